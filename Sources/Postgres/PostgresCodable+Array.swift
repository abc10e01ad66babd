import Foundation

extension Array: PostgresEncodable where Element == Int64 {
    public static var postgresType: PostgresType { .int8Array }
    public var postgresText: String { "{" + map(String.init).joined(separator: ",") + "}" }
}

extension Array: PostgresDecodable where Element == Int64 {
    public static var acceptedPostgresTypes: Set<PostgresType> { [.int8Array, .int4Array] }
    public init?(postgresText: String, type: PostgresType) {
        guard postgresText.first == "{", postgresText.last == "}" else { return nil }
        let body = postgresText.dropFirst().dropLast()
        if body.isEmpty {
            self = []
            return
        }
        var values: [Int64] = []
        for item in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int64(item) else { return nil }  // NULL elements are refused too
            values.append(value)
        }
        self = values
    }
}

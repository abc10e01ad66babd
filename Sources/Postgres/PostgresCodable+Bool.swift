import Foundation

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String { self ? "t" : "f" }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.bool]
    public init?(postgresText: String, type: PostgresType) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

import Foundation

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String { uuidString.lowercased() }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.uuid]
    public init?(postgresText: String, type: PostgresType) { self.init(uuidString: postgresText) }
}

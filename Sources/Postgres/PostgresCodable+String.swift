import Foundation

extension String: PostgresCodable {
    public static var postgresType: PostgresType { .text }
    public var postgresText: String { self }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.text, .varchar, .bpchar, .name, .json, .jsonb, .unknown]
    public init?(postgresText: String, type: PostgresType) { self = postgresText }
}

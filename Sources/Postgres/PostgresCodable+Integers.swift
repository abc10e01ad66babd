import Foundation

extension Int: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.int2, .int4, .int8, .oid]
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

extension Int64: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.int2, .int4, .int8, .oid]
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

extension Int32: PostgresCodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresText: String { String(self) }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.int2, .int4]
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

import Foundation

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static var acceptedPostgresTypes: Set<PostgresType> { Wrapped.acceptedPostgresTypes }
    public init?(postgresText: String, type: PostgresType) {
        guard let value = Wrapped(postgresText: postgresText, type: type) else { return nil }
        self = .some(value)
    }
    public static var decodedNull: Wrapped?? { .some(nil) }
}

import Foundation

/// A `Codable` value sent and read as `jsonb`.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresCodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a Codable value into JSON only fails for non-finite floats; those are a
        // programming error, never user input.
        guard let data = try? encoder.encode(value) else { preconditionFailure("value of \(Value.self) is not valid JSON") }
        return String(decoding: data, as: UTF8.self)
    }

    public static var acceptedPostgresTypes: Set<PostgresType> { [.json, .jsonb, .text] }
    public init?(postgresText: String, type: PostgresType) {
        guard let value = try? JSONDecoder().decode(Value.self, from: Data(postgresText.utf8)) else { return nil }
        self.value = value
    }
}

extension PostgresJSON: Equatable where Value: Equatable {}

extension PostgresJSON: Hashable where Value: Hashable {}

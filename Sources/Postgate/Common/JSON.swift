import Foundation
import Postgres

// One JSON configuration, both ways: the api functions take and return snake_case keys, and
// Swift's camelCase names map onto them.

extension JSONDecoder {
    /// Reads what the api functions return.
    public static var postgate: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

extension JSONEncoder {
    /// Writes what the api functions take; keys sorted, so the same value is the same text.
    public static var postgate: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return encoder
    }
}

/// A value sent to an api function as its JSON argument, encoded the one way.
struct JSONArgument<Value: Encodable & Sendable>: PostgresEncodable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }

    static var postgresType: PostgresType { .jsonb }
    // Encoding the plain values of an api argument (texts, numbers, dates) cannot fail.
    var postgresText: String { String(decoding: (try? JSONEncoder.postgate.encode(value)) ?? Data("null".utf8), as: UTF8.self) }
}

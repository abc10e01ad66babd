import Foundation

/// A `text[]` bind parameter.
public struct PostgresTextArray: PostgresCodable, Hashable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }

    public static var postgresType: PostgresType { .textArray }

    /// Array literal with every element quoted: `{"a","b \"c\""}`.
    public var postgresText: String {
        "{"
            + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    public static let acceptedPostgresTypes: Set<PostgresType> = [.textArray]

    public init?(postgresText: String, type: PostgresType) {
        guard postgresText.first == "{", postgresText.last == "}" else { return nil }
        var values: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var sawValue = false
        for character in postgresText.dropFirst().dropLast() {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"":
                quoted.toggle()
                sawValue = true
            case "," where !quoted:
                if !sawValue && current == "NULL" { return nil }
                values.append(current)
                current = ""
                sawValue = false
            default: current.append(character)
            }
        }
        if postgresText.count > 2 {
            if !sawValue && current == "NULL" { return nil }
            values.append(current)
        }
        self.values = values
    }
}

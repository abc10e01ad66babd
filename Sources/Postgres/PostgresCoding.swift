import Foundation

/// A Swift value that can be sent as a bind parameter.
public protocol PostgresEncodable: Sendable {
    /// The PostgreSQL type the value is sent as, also used for a typed NULL.
    static var postgresType: PostgresType { get }
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
}

extension PostgresEncodable {
    public var postgresBind: PostgresBind { PostgresBind(type: Self.postgresType, text: postgresText) }
}

/// A Swift value that can be read from a result column.
public protocol PostgresDecodable {
    /// The column types this Swift type accepts; decoding any other type is an error that names
    /// the column.
    static var acceptedPostgresTypes: Set<PostgresType> { get }
    /// Reads the value from PostgreSQL's text output format; `nil` when the text is not valid.
    init?(postgresText: String, type: PostgresType)
    /// What a SQL NULL decodes to; `nil` means NULL is an error for this type.
    static var decodedNull: Self? { get }
}

extension PostgresDecodable {
    public static var decodedNull: Self? { nil }
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

// MARK: - Text

extension String: PostgresCodable {
    public static var postgresType: PostgresType { .text }
    public var postgresText: String { self }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.text, .varchar, .bpchar, .name, .json, .jsonb, .unknown] }
    public init?(postgresText: String, type: PostgresType) { self = postgresText }
}

// MARK: - Integers

extension Int: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.int2, .int4, .int8, .oid] }
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

extension Int64: PostgresCodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresText: String { String(self) }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.int2, .int4, .int8, .oid] }
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

extension Int32: PostgresCodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresText: String { String(self) }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.int2, .int4] }
    public init?(postgresText: String, type: PostgresType) { self.init(postgresText) }
}

// MARK: - Bool

extension Bool: PostgresCodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresText: String { self ? "t" : "f" }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.bool] }
    public init?(postgresText: String, type: PostgresType) {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: return nil
        }
    }
}

// MARK: - Decimal (money)

extension Decimal: PostgresCodable {
    public static var postgresType: PostgresType { .numeric }
    public var postgresText: String { description }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.numeric, .int2, .int4, .int8] }

    /// Accepts only values Decimal holds exactly: a numeric with more significant digits than
    /// Decimal's 38 would be silently rounded, which money must never be.
    public init?(postgresText: String, type: PostgresType) {
        guard let value = Decimal(string: postgresText, locale: Locale(identifier: "en_US_POSIX")),
              !value.isNaN,
              Decimal.canonical(value.description) == Decimal.canonical(postgresText)
        else { return nil }
        self = value
    }

    /// Digits of a plain decimal literal without leading zeros, trailing fraction zeros, or `+`.
    static func canonical(_ text: String) -> String {
        var body = Substring(text)
        var negative = false
        if body.first == "-" { negative = true; body = body.dropFirst() } else if body.first == "+" { body = body.dropFirst() }
        var integer = Substring(body)
        var fraction = Substring("")
        if let dot = body.firstIndex(of: ".") {
            integer = body[..<dot]
            fraction = body[body.index(after: dot)...]
        }
        while integer.first == "0" { integer = integer.dropFirst() }
        while fraction.last == "0" { fraction = fraction.dropLast() }
        if integer.isEmpty && fraction.isEmpty { return "0" }
        let digits = (integer.isEmpty ? "0" : String(integer)) + (fraction.isEmpty ? "" : "." + fraction)
        return negative ? "-" + digits : digits
    }
}

// MARK: - UUID

extension UUID: PostgresCodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresText: String { uuidString.lowercased() }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.uuid] }
    public init?(postgresText: String, type: PostgresType) { self.init(uuidString: postgresText) }
}

// MARK: - Timestamps

extension Date: PostgresCodable {
    public static var postgresType: PostgresType { .timestamptz }

    /// ISO 8601 in UTC with microseconds, PostgreSQL's own precision.
    public var postgresText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int64((micros / 1_000_000).rounded(.down))
        var fraction = Int64(micros) - seconds * 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        let (date, time) = Self.civil(fromUnixSeconds: seconds)
        return "\(date) \(time).\(String(format: "%06lld", fraction))+00"
    }

    public static var acceptedPostgresTypes: Set<PostgresType> { [.timestamptz, .timestamp] }

    /// Reads `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]`, the ISO output the client session asks for
    /// (`DateStyle=ISO`, `TimeZone=UTC`); a timestamp without zone is taken as UTC.
    public init?(postgresText: String, type: PostgresType) {
        let text = Substring(postgresText)
        guard text.count >= 19, let day = LocalDate(postgresText: String(text.prefix(10)), type: .date) else { return nil }
        let timeStart = text.index(text.startIndex, offsetBy: 11)
        let timePart = text[timeStart...]
        let clock = timePart.prefix(8).split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        var rest = timePart.dropFirst(8)
        var micros = 0.0
        if rest.first == "." {
            rest = rest.dropFirst()
            let digits = rest.prefix(while: \.isNumber)
            rest = rest.dropFirst(digits.count)
            micros = (Double("0." + digits) ?? 0) * 1_000_000
        }
        var offsetSeconds = 0
        if let sign = rest.first, sign == "+" || sign == "-" {
            let parts = rest.dropFirst().split(separator: ":")
            guard let hours = parts.first.flatMap({ Int($0) }) else { return nil }
            let minutes = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            let seconds = parts.count > 2 ? Int(parts[2]) ?? 0 : 0
            offsetSeconds = (hours * 3600 + minutes * 60 + seconds) * (sign == "-" ? -1 : 1)
        }
        let days = day.daysSinceUnixEpoch
        let total = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        self.init(timeIntervalSince1970: Double(total) + micros.rounded() / 1_000_000)
    }

    static func civil(fromUnixSeconds seconds: Int64) -> (date: String, time: String) {
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let date = LocalDate(daysSinceUnixEpoch: Int(days))
        let time = String(format: "%02lld:%02lld:%02lld", secondOfDay / 3600, (secondOfDay % 3600) / 60, secondOfDay % 60)
        return (date.postgresText, time)
    }
}

// MARK: - Arrays of integers

extension Array: PostgresEncodable where Element == Int64 {
    public static var postgresType: PostgresType { .int8Array }
    public var postgresText: String { "{" + map(String.init).joined(separator: ",") + "}" }
}

extension Array: PostgresDecodable where Element == Int64 {
    public static var acceptedPostgresTypes: Set<PostgresType> { [.int8Array, .int4Array] }
    public init?(postgresText: String, type: PostgresType) {
        guard postgresText.first == "{", postgresText.last == "}" else { return nil }
        let body = postgresText.dropFirst().dropLast()
        if body.isEmpty { self = []; return }
        var values: [Int64] = []
        for item in body.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Int64(item) else { return nil } // NULL elements are refused too
            values.append(value)
        }
        self = values
    }
}

// MARK: - NULL

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static var acceptedPostgresTypes: Set<PostgresType> { Wrapped.acceptedPostgresTypes }
    public init?(postgresText: String, type: PostgresType) {
        guard let value = Wrapped(postgresText: postgresText, type: type) else { return nil }
        self = .some(value)
    }
    public static var decodedNull: Wrapped?? { .some(nil) }
}

// MARK: - JSON

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

// MARK: - Text arrays

/// A `text[]` bind parameter.
public struct PostgresTextArray: PostgresCodable, Hashable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }

    public static var postgresType: PostgresType { .textArray }

    /// Array literal with every element quoted: `{"a","b \"c\""}`.
    public var postgresText: String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    public static var acceptedPostgresTypes: Set<PostgresType> { [.textArray] }

    public init?(postgresText: String, type: PostgresType) {
        guard postgresText.first == "{", postgresText.last == "}" else { return nil }
        var values: [String] = []
        var current = ""
        var quoted = false, escaped = false, sawValue = false
        for character in postgresText.dropFirst().dropLast() {
            if escaped { current.append(character); escaped = false; continue }
            switch character {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle(); sawValue = true
            case "," where !quoted:
                if !sawValue && current == "NULL" { return nil }
                values.append(current); current = ""; sawValue = false
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

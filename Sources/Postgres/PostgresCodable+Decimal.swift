import Foundation

extension Decimal: PostgresCodable {
    public static var postgresType: PostgresType { .numeric }
    public var postgresText: String { description }
    public static let acceptedPostgresTypes: Set<PostgresType> = [.numeric, .int2, .int4, .int8]

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
        if body.first == "-" {
            negative = true
            body = body.dropFirst()
        } else if body.first == "+" {
            body = body.dropFirst()
        }
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

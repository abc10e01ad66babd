import Postgres

/// A value the database stores as one of a few texts: decoded from and encoded to that text, and
/// refused (a decoding error naming the column) when the text is none of them.
public protocol DatabaseText: RawRepresentable, PostgresCodable, CaseIterable, Hashable, Codable, Sendable where RawValue == String {}

extension DatabaseText {
    public static var postgresType: PostgresType { .text }
    public var postgresText: String { rawValue }
    public static var acceptedPostgresTypes: Set<PostgresType> { [.text, .varchar, .bpchar, .name] }
    public init?(postgresText: String, type: PostgresType) { self.init(rawValue: postgresText) }
}

/// How an invoice stands: an editable draft, or posted (numbered and final).
public enum InvoiceStatus: String, DatabaseText {
    case draft, posted
}

/// How a posting was asked for; the posting audit records it.
public enum PostingMode: String, DatabaseText {
    case single
    case mass
    case postAndPay = "post_and_pay"
    case pos
}

/// How strongly an alert speaks: `block` stops the document, `warn` lets it go on.
public enum AlertSeverity: String, DatabaseText {
    case block, warn
}

/// Where a customer's balance stands against its credit limit.
public enum CreditStatus: String, DatabaseText {
    case noLimit = "no limit"
    case ok
    case overLimit = "over limit"
}

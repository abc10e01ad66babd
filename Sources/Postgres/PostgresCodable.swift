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

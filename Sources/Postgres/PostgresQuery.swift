/// A statement and its bind parameters, built so that values can never be spliced into SQL text.
///
///     let query: PostgresQuery = "SELECT name FROM ar.customers WHERE id = \(id) AND active = \(true)"
///     // text: "SELECT name FROM ar.customers WHERE id = $1 AND active = $2", binds: [id, true]
///
/// Every interpolated value becomes a `$n` parameter. SQL text that is not a literal (an
/// identifier chosen at run time, a migration file) must go through `unsafeSQL:`, whose name
/// says what the caller takes responsibility for.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [PostgresBind]

    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        var sql = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// A value: becomes the next `$n` parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            binds.append(value.postgresBind)
            sql += "$\(binds.count)"
        }

        /// An optional value: `nil` binds SQL NULL (typed, so the server knows its type).
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value?.postgresBind ?? PostgresBind(type: Value.postgresType, text: nil))
            sql += "$\(binds.count)"
        }

        /// SQL text chosen by the program, never by a user: an identifier, a fragment.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }

    /// Appends another query, renumbering its parameters after this one's.
    public mutating func append(_ other: PostgresQuery) {
        var renumbered = other.sql
        if !other.binds.isEmpty {
            // Renumber from the highest index down so that $1 does not clobber $10.
            for index in stride(from: other.binds.count, through: 1, by: -1) {
                renumbered = renumbered.replacingPlaceholder(index, with: index + binds.count)
            }
        }
        sql += renumbered
        binds += other.binds
    }
}

extension PostgresQuery: CustomStringConvertible {
    public var description: String { sql }
}

/// One bind parameter as libpq sends it: a type OID and the value in PostgreSQL's text format
/// (`nil` is SQL NULL).
public struct PostgresBind: Sendable, Hashable {
    public var type: PostgresType
    public var text: String?

    public init(type: PostgresType, text: String?) {
        self.type = type
        self.text = text
    }
}

extension String {
    fileprivate func replacingPlaceholder(_ index: Int, with newIndex: Int) -> String {
        var result = ""
        var rest = Substring(self)
        let token = "$\(index)"
        while let range = rest.range(of: token) {
            let after = rest[range.upperBound...]
            result += rest[..<range.lowerBound]
            if let next = after.first, next.isNumber {
                result += token
            } else {
                result += "$\(newIndex)"
            }
            rest = after
        }
        return result + rest
    }
}

extension PostgresQuery {
    /// `name` as a quoted SQL identifier (`"my ""odd"" name"`), for the rare statements whose
    /// identifiers are chosen at run time (CREATE DATABASE, CREATE ROLE).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension PostgresQuery {
    /// A SQL string literal for program-chosen text (never user input: bind that instead).
    public static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

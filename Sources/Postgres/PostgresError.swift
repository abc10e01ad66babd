import CLibPQ
import Foundation

/// Every failure the Postgres client reports: what went wrong, and, for server errors, every
/// field the server sent (SQLSTATE, detail, hint, constraint, …).
///
/// `description` is one terse line for people; `String(reflecting:)` adds every field.
public struct PostgresError: Error, Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The server could not be reached or refused the connection.
        case connectionFailed
        /// The connection broke while in use.
        case connectionLost
        /// The server answered a statement with an error (see `sqlState`).
        case server
        /// A value in a result could not be decoded into the Swift type asked for.
        case decoding
        /// A value could not be encoded as a bind parameter.
        case encoding
        /// The pool had no free connection within its wait time.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
        /// The client was used in a way libpq refuses (for example COPY with binds).
        case clientMisuse
        /// A statement in a pipeline did not run because an earlier one failed.
        case pipelineAborted
    }

    public var kind: Kind
    public var message: String
    /// Five-character SQLSTATE, for server errors.
    public var sqlState: String?
    public var severity: String?
    public var detail: String?
    public var hint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var dataType: String?
    public var constraint: String?
    /// Character position of the error in the statement, when the server gives one.
    public var position: String?
    public var context: String?

    public init(
        kind: Kind, message: String, sqlState: String? = nil, severity: String? = nil,
        detail: String? = nil, hint: String? = nil, schema: String? = nil, table: String? = nil,
        column: String? = nil, dataType: String? = nil, constraint: String? = nil,
        position: String? = nil, context: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.schema = schema
        self.table = table
        self.column = column
        self.dataType = dataType
        self.constraint = constraint
        self.position = position
        self.context = context
    }

    /// True for the SQLSTATE class 23 (integrity constraint violation).
    public var isConstraintViolation: Bool { sqlState?.hasPrefix("23") ?? false }
}

extension PostgresError: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        var text = message
        if let sqlState { text = "\(text) (SQLSTATE \(sqlState))" }
        if let hint { text += " Hint: \(hint)" }
        return text
    }

    public var debugDescription: String {
        let fields: [(String, String?)] = [
            ("kind", kind.rawValue), ("message", message), ("sqlState", sqlState),
            ("severity", severity), ("detail", detail), ("hint", hint), ("schema", schema),
            ("table", table), ("column", column), ("dataType", dataType),
            ("constraint", constraint), ("position", position), ("context", context),
        ]
        let shown = fields.compactMap { name, value in value.map { "\(name): \(String(reflecting: $0))" } }
        return "PostgresError(\(shown.joined(separator: ", ")))"
    }
}

extension PostgresError {
    /// Reads every diagnostic field of a failed result.
    init(result: OpaquePointer, kind: Kind = .server) {
        // libpq's PG_DIAG_* codes are single ASCII letters.
        func field(_ code: Unicode.Scalar) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.value)) else { return nil }
            return String(cString: value)
        }
        let primary = field("M")
        let fallback = PQresultErrorMessage(result).map { String(cString: $0) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(
            kind: kind,
            message: primary ?? fallback ?? "unknown server error",
            sqlState: field("C"),
            severity: field("V") ?? field("S"),
            detail: field("D"),
            hint: field("H"),
            schema: field("s"),
            table: field("t"),
            column: field("c"),
            dataType: field("d"),
            constraint: field("n"),
            position: field("P"),
            context: field("W")
        )
    }

    static func connection(_ conn: OpaquePointer?, kind: Kind, prefix: String? = nil) -> PostgresError {
        let text = conn.flatMap { PQerrorMessage($0) }.map { String(cString: $0) }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let message = [prefix, (text?.isEmpty == false ? text : nil)].compactMap { $0 }.joined(separator: ": ")
        return PostgresError(kind: kind, message: message.isEmpty ? "connection failed" : message)
    }
}

extension PostgresError {
    /// The connection is gone: it broke, or the server ended the session (shut down, restarted,
    /// or an administrator terminated it). Work on it stops; a new connection may succeed.
    public var breaksConnection: Bool {
        kind == .connectionLost || kind == .connectionFailed
            || (sqlState.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false)
    }
}

/// A transaction's body failed and rolling it back failed too: both errors, as they happened.
/// The connection's state is then unknown, so the pool closes it instead of lending it again.
/// Callers classify the failure by `bodyError` (what the work met); `rollbackError` says why the
/// connection was given up.
public struct PostgresTransactionError: Error, Sendable, CustomStringConvertible {
    public var bodyError: any Error
    public var rollbackError: any Error

    public init(bodyError: any Error, rollbackError: any Error) {
        self.bodyError = bodyError
        self.rollbackError = rollbackError
    }

    public var description: String { "\(bodyError); rolling the transaction back failed too: \(rollbackError)" }

    /// The error to throw after `body` failed with `error` and the rollback ended as `rollback`:
    /// the body's error alone when the rollback succeeded, or when the connection is gone (the
    /// body's error broke it, or it broke during the rollback: the server rolls back a transaction
    /// whose connection ended, so the outcome is known); both errors when the rollback failed on a
    /// live connection, whose state is then unknown.
    static func after(_ error: any Error, rollback: Result<Void, any Error>) -> any Error {
        guard case .failure(let rollbackError) = rollback else { return error }
        if let broken = error as? PostgresError, broken.breaksConnection { return error }
        if let lost = rollbackError as? PostgresError, lost.breaksConnection { return error }
        return PostgresTransactionError(bodyError: error, rollbackError: rollbackError)
    }
}

extension Error {
    /// The error a failure is classified by: a transaction's body error when its rollback failed
    /// too, else the error itself.
    public var underlyingTransactionError: any Error {
        (self as? PostgresTransactionError)?.bodyError ?? self
    }
}

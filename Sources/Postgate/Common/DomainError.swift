import Postgres

/// A refusal a user can act on: what kind, which field, a sentence, and what to do next.
///
/// Every SQLSTATE the database raises is mapped to one of these here, and only here; the HTTP
/// layer maps the kinds to status codes the same way.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of refusal or failure it is. `ErrorTable.swift` holds the one table of each
    /// kind's SQLSTATEs, HTTP status, problem type and title, and whether trying again can help.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case invalid, unauthenticated, forbidden, notFound, methodNotAllowed
        case duplicate, stale, inProgress, outdated, tooLarge, unsupportedMediaType
        case ruleViolated, missingRate, postingRefused, bookingRefused, importRefused, keyReused
        case immutable
        case busy, unavailable
        case `internal`
    }

    public var kind: Kind
    /// The field concerned, when there is one (`credit_limit`, `payment_method`).
    public var field: String?
    public var message: String
    /// What to do next.
    public var hint: String?
    public var sqlState: String?
    /// For a code that names nothing: the table of what it should name (`currencies`,
    /// `locations`), so that a client can say which kind of thing to create.
    public var table: String?

    public init(kind: Kind, field: String? = nil, message: String, hint: String? = nil, sqlState: String? = nil, table: String? = nil) {
        self.kind = kind
        self.field = field
        self.message = message
        self.hint = hint
        self.sqlState = sqlState
        self.table = table
    }

    public var description: String {
        guard let hint, !hint.isEmpty else { return message }
        return "\(message). \(hint)"
    }

    public init(_ error: PostgresError) {
        // A schema or function that does not exist yet: the database predates this Postgate.
        if error.sqlState == "3F000" || (error.sqlState == "42883" && error.message.contains("api.")) {
            self.init(
                kind: .internal, message: "the database is not migrated to this version of Postgate (\(error.message))",
                hint: "Run 'postgate migrate' first.", sqlState: error.sqlState)
            return
        }
        let field = [error.column, error.constraint].compactMap { $0 }.first { !$0.isEmpty }
        // The project's own refusals say what to do; PostgreSQL's own messages are put in words
        // that name what was refused instead of the server's internals.
        let plain = error.sqlState.flatMap { Self.plainWords(forSQLState: $0, constraint: error.constraint) }
        self.init(
            kind: error.kind == .server
                ? Kind(sqlState: error.sqlState) : error.breaksConnection || error.kind == .poolTimeout ? .unavailable : .internal,
            field: field,
            message: plain?.message ?? error.message,
            hint: plain?.hint ?? error.hint.flatMap { $0.isEmpty ? nil : $0 },
            sqlState: error.sqlState, table: error.table.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// A sentence for PostgreSQL's own errors that reach a user through a path the api functions
    /// do not check first (a race between two clients, a value past a column's limit).
    static func plainWords(forSQLState state: String, constraint: String?) -> (message: String, hint: String)? {
        let what = constraint.map { " (\($0.replacingOccurrences(of: "_", with: " ")))" } ?? ""
        switch state {
        case "23505":
            return (
                "that code is already in use\(what): someone may have saved it at the same moment",
                "Read it again, then change it with its version, or choose another code."
            )
        case "23503": return ("it refers to something that does not exist, or no longer does\(what)", "Check the codes it names.")
        case "23514", "23502": return ("a value is not allowed here\(what)", "Check the values given.")
        case "22003": return ("a number is too large to be stored", "Give a smaller value.")
        case "22001", "54000": return ("a value is too long to be stored", "Give a shorter value.")
        case "22P02", "22007", "22008":
            return ("a value is not written in the form expected", "Check the values given: numbers with a point for decimals, dates as YYYY-MM-DD.")
        case "40001", "40P01", "55P03": return ("the database was busy with the same rows and gave up", "Try again.")
        case "25006":
            return (
                "this database server only reads (it is a standby, or the session is read-only), so nothing was changed",
                "Write through the primary; point only reports at a standby."
            )
        default: return nil
        }
    }
}

/// Runs database work, turning the database's refusals into `DomainError`s.
@discardableResult
func domainErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PostgresError where error.kind == .server {
        throw DomainError(error)
    }
}

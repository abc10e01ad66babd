import Postgres

/// A refusal a user can act on: what kind, which field, a sentence, and what to do next.
///
/// Every SQLSTATE the database raises is mapped to one of these here, and only here; the HTTP
/// layer maps the kinds to status codes the same way.
public struct DomainError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A field's value is invalid (PG400, 22xxx data errors).
        case invalid
        /// A referenced code does not exist (PG404).
        case notFound
        /// The code is taken (PG409, 23505).
        case duplicate
        /// The row changed since it was read (PG412).
        case stale
        /// A business rule refuses it (PG422, 23514, 23503).
        case ruleViolated
        /// Posted documents and ledger entries are never changed (PG423).
        case immutable
        /// No conversion rate for the pair and date (PG424).
        case missingRate
        /// The login may not do this (42501).
        case forbidden
        /// Anything else the database reported.
        case database
    }

    public var kind: Kind
    /// The field concerned, when there is one (`credit_limit`, `payment_method`).
    public var field: String?
    public var message: String
    /// What to do next.
    public var hint: String?
    public var sqlState: String?

    public init(kind: Kind, field: String? = nil, message: String, hint: String? = nil, sqlState: String? = nil) {
        self.kind = kind
        self.field = field
        self.message = message
        self.hint = hint
        self.sqlState = sqlState
    }

    public var description: String {
        guard let hint, !hint.isEmpty else { return message }
        return "\(message). \(hint)"
    }

    /// The one table from SQLSTATE to kind.
    public static func kind(forSQLState state: String?) -> Kind {
        switch state {
        case "PG400": .invalid
        case "PG404": .notFound
        case "PG409", "23505": .duplicate
        case "PG412": .stale
        case "PG422", "23514", "23503", "23502", "23P01": .ruleViolated
        case "PG423": .immutable
        case "PG424": .missingRate
        case "42501": .forbidden
        case let state? where state.hasPrefix("22"): .invalid
        default: .database
        }
    }

    public init(_ error: PostgresError) {
        // A schema or function that does not exist yet: the database predates this Postgate.
        if error.sqlState == "3F000" || (error.sqlState == "42883" && error.message.contains("api.")) {
            self.init(
                kind: .database, message: "the database is not migrated to this version of Postgate (\(error.message))",
                hint: "Run 'postgate migrate' first.", sqlState: error.sqlState)
            return
        }
        let field = [error.column, error.constraint].compactMap { $0 }.first { !$0.isEmpty }
        // The project's own refusals say what to do; PostgreSQL's own messages are put in words
        // that name what was refused instead of the server's internals.
        let plain = error.sqlState.flatMap { Self.plainWords(forSQLState: $0, constraint: error.constraint) }
        self.init(
            kind: error.kind == .server ? Self.kind(forSQLState: error.sqlState) : .database,
            field: field,
            message: plain?.message ?? error.message,
            hint: plain?.hint ?? error.hint.flatMap { $0.isEmpty ? nil : $0 },
            sqlState: error.sqlState)
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

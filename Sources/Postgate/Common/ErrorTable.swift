/// The one table of every kind of refusal and failure: the SQLSTATEs that are it, the HTTP status
/// it answers, its problem type (after `https://postgate.dev/problems/`) and title. The CLI, the
/// HTTP API and the console all read it; no status is written anywhere else.
///
/// Trying again can help only for what is retryable: a lost connection, no server to write to (a
/// standby, or no leader during a failover), a serialisation failure, a deadlock, a lock that was
/// not granted in time, an administrator's shutdown. Those are 503 with `Retry-After`; a
/// SQLSTATE this table does not know is a 500, which trying again will not mend.
extension DomainError.Kind {
    public struct Entry: Sendable {
        /// SQLSTATEs of this kind; a trailing `*` matches a class (`22*`).
        public var sqlStates: [String]
        public var status: Int
        public var type: String
        public var title: String
    }

    public var entry: Entry {
        switch self {
        case .invalid: Entry(sqlStates: ["PG400", "22*", "54000"], status: 400, type: "invalid", title: "A value is not valid")
        case .unauthenticated: Entry(sqlStates: [], status: 401, type: "unauthenticated", title: "A token is needed")
        case .forbidden: Entry(sqlStates: ["42501"], status: 403, type: "forbidden", title: "This login may not do that")
        case .notFound: Entry(sqlStates: ["PG404"], status: 404, type: "not-found", title: "Something it names does not exist")
        case .methodNotAllowed:
            Entry(sqlStates: [], status: 405, type: "method-not-allowed", title: "The route does not take this method")
        case .duplicate: Entry(sqlStates: ["PG409", "23505"], status: 409, type: "conflict", title: "It already exists")
        case .stale: Entry(sqlStates: ["PG412"], status: 409, type: "stale-version", title: "It changed since it was read")
        case .inProgress: Entry(sqlStates: [], status: 409, type: "in-progress", title: "A request with this key is still running")
        case .outdated:
            Entry(sqlStates: [], status: 412, type: "preview-outdated", title: "The selection changed since its preview")
        case .tooLarge: Entry(sqlStates: [], status: 413, type: "too-large", title: "The request body is too large")
        case .unsupportedMediaType:
            Entry(sqlStates: [], status: 415, type: "unsupported-media-type", title: "The body is not of a type this route takes")
        case .ruleViolated:
            Entry(sqlStates: ["PG422", "23514", "23503", "23502", "23P01"], status: 422, type: "refused", title: "A rule refuses it")
        case .missingRate: Entry(sqlStates: ["PG424"], status: 422, type: "refused", title: "A rule refuses it")
        case .postingRefused: Entry(sqlStates: [], status: 422, type: "posting-refused", title: "The posting rules refuse it")
        case .bookingRefused: Entry(sqlStates: [], status: 422, type: "booking-refused", title: "The booking check refuses it")
        case .importRefused:
            Entry(sqlStates: [], status: 422, type: "import-refused", title: "The file is not an adjustments file")
        case .keyReused: Entry(sqlStates: [], status: 422, type: "key-reused", title: "The key was used for another request")
        case .immutable: Entry(sqlStates: ["PG423"], status: 423, type: "immutable", title: "It can no longer change")
        case .busy:
            Entry(sqlStates: ["40001", "40P01", "55P03"], status: 503, type: "busy", title: "The database was busy with the same rows")
        case .unavailable:
            Entry(sqlStates: ["08*", "57P*", "25006"], status: 503, type: "unavailable", title: "The database cannot be reached")
        case .internal:
            Entry(sqlStates: [], status: 500, type: "internal", title: "The request could not be completed")
        }
    }

    public var status: Int { entry.status }
    /// Trying the same request again later can succeed (HTTP 503 with `Retry-After`).
    public var isRetryable: Bool { entry.status == 503 }

    /// The kind of a SQLSTATE; one this table does not know is `.internal`.
    public init(sqlState: String?) {
        guard let sqlState else {
            self = .internal
            return
        }
        self =
            Self.allCases.first { kind in
                kind.entry.sqlStates.contains { $0.hasSuffix("*") ? sqlState.hasPrefix($0.dropLast()) : $0 == sqlState }
            } ?? .internal
    }

    /// The kind of a status code this table answers with (the first kind that has it).
    public init?(status: Int) {
        guard let kind = Self.allCases.first(where: { $0.entry.status == status }) else { return nil }
        self = kind
    }
}

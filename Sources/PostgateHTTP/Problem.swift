import Foundation
import Postgate
import Postgres
import PostingPolicy

/// An error as RFC 9457 problem details: a stable type URI per kind, a title, a detail that says
/// what to do, the field and the SQLSTATE when there are any, and for a refused posting every
/// finding of every blocked invoice. The one table from errors to HTTP statuses.
struct Problem: Error {
    var status: Int
    var body: Components.Schemas.Problem

    static let typeBase = "https://postgate.dev/problems/"

    init(
        status: Int, type: String, title: String, detail: String?, field: String? = nil, sqlState: String? = nil,
        findings: [Components.Schemas.BlockedInvoice]? = nil
    ) {
        self.status = status
        body = .init(
            _type: Self.typeBase + type, title: title, status: status, detail: detail, field: field, sqlstate: sqlState, findings: findings)
    }

    /// The problem as the spec's response.
    var response: Components.Responses.Problem {
        .init(headers: .init(retryAfter: status == 503 ? Self.retryAfter : nil), body: .applicationProblemJson(body))
    }

    /// Seconds a client waits before trying again after a 503.
    static let retryAfter = 2

    /// The answer of an operation: its `default` case with this problem's status.
    func answer<Output>(_ make: (Int, Components.Responses.Problem) -> Output) -> Output { make(status, response) }

    /// The problem as sent by middleware that answers before any operation: problem+json bytes.
    var json: Data { (try? JSONEncoder().encode(body)) ?? Data("{}".utf8) }

    static func badBody(_ expected: String) -> Problem {
        Problem(status: 400, type: "invalid", title: "The request is not valid", detail: "The body must be \(expected).")
    }

    static func badField(_ field: String, _ expected: String) -> Problem {
        Problem(status: 400, type: "invalid", title: "The request is not valid", detail: "\(field) must be \(expected).", field: field)
    }

    /// Any error a route meets, in the one table. A Swift error never reaches a client with its
    /// internals: what is not known here is a 500 that says to try again and report it.
    init(_ error: any Error) {
        switch error {
        case let problem as Problem:
            self = problem
        case let refused as PostingRefused:
            let blocked = refused.decisions.filter { !$0.decision.canPost }.map { item in
                Components.Schemas.BlockedInvoice(invoice: item.invoice, findings: item.decision.findings.map(PostgateAPI.finding))
            }
            self.init(
                status: 422, type: "posting-refused", title: "The posting rules refuse it",
                detail: refused.description.prefix(1).uppercased() + refused.description.dropFirst()
                    + ". Fix what each finding says, then post again.", findings: blocked)
        case let refused as BookingRefused:
            self.init(
                status: 422, type: "booking-refused", title: "The booking check refuses it",
                detail: refused.description.prefix(1).uppercased() + refused.description.dropFirst()
                    + ". Fix what each finding says, then book again.",
                findings: [.init(invoice: "order \(refused.order)", findings: refused.decision.findings.map(PostgateAPI.finding))])
        case let refused as ImportRefused:
            self.init(
                status: refused.tooLarge ? 413 : 422, type: refused.tooLarge ? "too-large" : "import-refused",
                title: refused.tooLarge ? "The file is too large" : "The file is not an adjustments file",
                detail: refused.reason.prefix(1).uppercased() + refused.reason.dropFirst() + ".")
        case is BodyTooLarge:
            self.init(
                status: 413, type: "too-large", title: "The request body is too large",
                detail: "The body passed the limit of this route while it was read. Send less at a time.")
        case let outdated as PreviewOutdated:
            self.init(status: 412, type: "preview-outdated", title: "The selection changed since its preview", detail: outdated.description)
        case let domain as DomainError:
            let (status, type, title) = Self.status(for: domain.kind)
            self.init(status: status, type: type, title: title, detail: domain.description, field: domain.field, sqlState: domain.sqlState)
        case let database as PostgresError where database.breaksConnection || database.kind == .poolTimeout:
            self.init(
                status: 503, type: "unavailable", title: "The database cannot be reached",
                detail: "The database is unavailable or busy; try again in a few seconds.")
        case let database as PostgresError where database.kind == .server:
            self.init(DomainError(database))
        default:
            self.init(
                status: 500, type: "internal", title: "The request could not be completed",
                detail: "Something unexpected went wrong; nothing was changed by a refused request. Try again, and report it if it repeats.")
        }
    }

    /// The HTTP status, type and title of each kind of refusal.
    static func status(for kind: DomainError.Kind) -> (Int, String, String) {
        switch kind {
        case .invalid: (400, "invalid", "A value is not valid")
        case .notFound: (404, "not-found", "Something it names does not exist")
        case .duplicate: (409, "conflict", "It already exists")
        case .stale: (409, "stale-version", "It changed since it was read")
        case .ruleViolated, .missingRate: (422, "refused", "A rule refuses it")
        case .immutable: (423, "immutable", "It can no longer change")
        case .forbidden: (403, "forbidden", "This login may not do that")
        case .database: (503, "unavailable", "The database could not do it now")
        }
    }
}

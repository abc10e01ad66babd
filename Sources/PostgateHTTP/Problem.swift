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

    /// A problem of `kind`: its status and type from the one table (`DomainError.Kind.entry`),
    /// its title from there unless this refusal says it better.
    init(
        _ kind: DomainError.Kind, title: String? = nil, detail: String?, field: String? = nil, sqlState: String? = nil,
        findings: [Components.Schemas.BlockedInvoice]? = nil
    ) {
        let entry = kind.entry
        status = entry.status
        body = .init(
            _type: Self.typeBase + entry.type, title: title ?? entry.title, status: entry.status, detail: detail, field: field,
            sqlstate: sqlState, findings: findings)
    }

    /// The problem as the spec's response.
    var response: Components.Responses.Problem {
        .init(headers: .init(retryAfter: isRetryable ? Self.retryAfter : nil), body: .applicationProblemJson(body))
    }

    /// Seconds a client waits before trying again after a 503.
    static let retryAfter = 2

    /// Trying again later can succeed: the response carries `Retry-After`.
    var isRetryable: Bool { DomainError.Kind(status: status)?.isRetryable ?? false }

    /// The answer of an operation: its `default` case with this problem's status.
    func answer<Output>(_ make: (Int, Components.Responses.Problem) -> Output) -> Output { make(status, response) }

    /// The problem as sent by middleware that answers before any operation: problem+json bytes.
    var json: Data { (try? JSONEncoder().encode(body)) ?? Data("{}".utf8) }

    static func badBody(_ expected: String) -> Problem {
        Problem(.invalid, title: "The request is not valid", detail: "The body must be \(expected).")
    }

    static func badField(_ field: String, _ expected: String) -> Problem {
        Problem(.invalid, title: "The request is not valid", detail: "\(field) must be \(expected).", field: field)
    }

    /// Any error a route meets, in the one table. A Swift error never reaches a client with its
    /// internals: what is not known here is a 500 that says to report it if it repeats.
    init(_ error: any Error) {
        switch error.underlyingTransactionError {
        case let problem as Problem:
            self = problem
        case let refused as PostingRefused:
            let blocked = refused.decisions.filter { !$0.decision.canPost }.map { item in
                Components.Schemas.BlockedInvoice(invoice: item.invoice, findings: item.decision.findings.map(PostgateAPI.finding))
            }
            self.init(
                .postingRefused, detail: Self.sentence(refused.description) + ". Fix what each finding says, then post again.", findings: blocked)
        case let refused as BookingRefused:
            self.init(
                .bookingRefused, detail: Self.sentence(refused.description) + ". Fix what each finding says, then book again.",
                findings: [.init(invoice: "order \(refused.order)", findings: refused.decision.findings.map(PostgateAPI.finding))])
        case let refused as ImportRefused:
            self.init(
                refused.tooLarge ? .tooLarge : .importRefused, title: refused.tooLarge ? "The file is too large" : nil,
                detail: Self.sentence(refused.reason) + ".")
        case is BodyTooLarge:
            self.init(.tooLarge, detail: "The body passed the limit of this route while it was read. Send less at a time.")
        case let outdated as PreviewOutdated:
            self.init(.outdated, detail: outdated.description)
        case let domain as DomainError:
            self.init(domain.kind, detail: Self.detail(domain), field: domain.field, sqlState: domain.sqlState)
        case let database as PostgresError:
            self.init(DomainError(database))
        default:
            self.init(
                .internal,
                detail: "Something unexpected went wrong; nothing was changed by a refused request. Try again, and report it if it repeats.")
        }
    }

    /// A domain error's words; a connection that broke or a pool that is full says to try again.
    private static func detail(_ error: DomainError) -> String {
        switch error.kind {
        case .unavailable where error.sqlState == nil: "The database is unavailable or busy; try again in a few seconds."
        case .internal where error.sqlState != nil && error.hint == nil:
            "The database refused it in a way Postgate does not know (SQLSTATE \(error.sqlState!)): \(error.message). Report it if it repeats."
        default: error.description
        }
    }

    private static func sentence(_ text: String) -> String { text.prefix(1).uppercased() + text.dropFirst() }
}

import Foundation
import HTTPTypes
import OpenAPIRuntime
import Postgate
import Postgres

/// The token behind the request being served: its name is the actor the posting audit records.
enum RequestToken {
    @TaskLocal static var current: APIToken?
}

/// Every operation but the open ones needs a token of this service (`Authorization: Bearer …`):
/// missing or unknown is 401; a role without the right is 403.
struct TokenAuthentication: ServerMiddleware {
    let pool: PostgresPool

    /// Operations anyone may call: the process's health, whether it is ready, its metrics, and the contract.
    static let open: Set<String> = ["getHealth", "getReady", "getSpecification", "getDocumentation", "getMetrics"]
    /// Operations that post or move money (payments, refunds, allocating credit): a poster's alone.
    static let posting: Set<String> = [
        "postInvoices", "startPostingRun", "postAndPay", "posSale", "receivePayment", "postCreditNote", "recordRefund", "applyCreditNote",
    ]

    /// Whether a role may call an operation with a method.
    static func allows(_ role: TokenRole, _ operationID: String, _ method: HTTPRequest.Method) -> Bool {
        switch role {
        case .poster: true
        case .clerk: !posting.contains(operationID)
        case .reader: method == .get
        }
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.open.contains(operationID) { return try await next(request, body, metadata) }
        guard let header = request.headerFields[.authorization], header.lowercased().hasPrefix("bearer ") else {
            return Self.refusal(
                Problem(
                    .unauthenticated, title: "A token is needed",
                    detail: "Send Authorization: Bearer TOKEN with a token of this service; an administrator makes them."))
        }
        let presented = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        let token: APIToken?
        do {
            token = try await TokenStore(pool: pool).token(presented: presented)
        } catch {
            return Self.refusal(Problem(error))
        }
        guard let token else {
            return Self.refusal(
                Problem(
                    .unauthenticated, title: "The token is not known",
                    detail: "The token is not one of this service's, or it was removed: ask for a new one."))
        }
        guard Self.allows(token.role, operationID, request.method) else {
            return Self.refusal(
                Problem(
                    .forbidden, title: "The token's role may not do that",
                    detail:
                        "Token \(token.name) is a \(token.role.rawValue): \(token.role == .reader ? "it may only read" : "posting is a poster's")."))
        }
        RequestLog.current?.token = token.name
        return try await RequestToken.$current.withValue(token) { try await next(request, body, metadata) }
    }

    static func refusal(_ problem: Problem) -> (HTTPResponse, HTTPBody?) {
        var response = HTTPResponse(status: .init(code: problem.status))
        response.headerFields[.contentType] = "application/problem+json"
        if problem.status == DomainError.Kind.unauthenticated.status { response.headerFields[.wwwAuthenticate] = "Bearer" }
        if problem.isRetryable { response.headerFields[.retryAfter] = String(Problem.retryAfter) }
        return (response, HTTPBody(problem.json))
    }
}

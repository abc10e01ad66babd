import Crypto
import Foundation
import HTTPTypes
import OpenAPIRuntime
import Postgate
import Postgres

/// Every POST may carry `Idempotency-Key`. The key (per token) is claimed, the request runs and
/// its response is stored in one database transaction, so the key and the effect are committed
/// together or not at all: a replay gets the stored response with `Idempotent-Replayed: true`,
/// the same key with another request is 422, and a replay while the first still runs is 409. A
/// request that fails for a passing reason (5xx) is rolled back, key and all.
struct Idempotency: ServerMiddleware {
    let pool: PostgresPool
    let timeToLive: Duration

    static var keyHeader: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }
    static var replayedHeader: HTTPField.Name { HTTPField.Name("Idempotent-Replayed")! }
    /// What `api.claim_idempotency_key` answers for a key.
    enum Claim: String {
        /// The key is this request's now: run it.
        case claimed
        /// The key was answered: send the stored response.
        case replay
        /// Another request with the key still runs.
        case running
        /// The key was used for another request.
        case mismatch
    }

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard request.method == .post, let key = request.headerFields[Self.keyHeader] else { return try await next(request, body, metadata) }
        // A file upload (CSV or a workbook) streams through untouched: its key fingerprints its
        // length, and the import itself refuses the same file twice (by its checksum).
        let streamed = BodyLimits.isFile(contentType: request.headerFields[.contentType])
        var bytes: [UInt8] = []
        if let body, !streamed {
            do {
                bytes = try await [UInt8](collecting: body, upTo: BodyLimits.json)
            } catch {
                return TokenAuthentication.refusal(
                    Problem(
                        .tooLarge, title: "The request body is too large",
                        detail: "A request body may hold at most \(BodyLimits.json) bytes. Send less at a time."))
            }
        }
        let scope = RequestToken.current?.name ?? ""
        var fingerprint = SHA256()
        fingerprint.update(data: Data("\(request.method.rawValue) \(request.path ?? "")\n".utf8))
        if streamed { fingerprint.update(data: Data("length: \(request.headerFields[.contentLength] ?? "unknown")".utf8)) }
        fingerprint.update(data: bytes)
        let print = fingerprint.finalize().hex
        let seconds = Int64(timeToLive.components.seconds)
        do {
            // The claim, the request's effect and the stored response: one transaction.
            return try await pool.withOneTransaction { connection in
                let claim = try await connection.query(
                    "SELECT * FROM api.claim_idempotency_key(\(scope), \(key), \(print), make_interval(secs => \(seconds)))")[0]
                let outcome = try claim.decode("outcome", as: String.self)
                guard let claimed = Claim(rawValue: outcome) else {
                    throw PostgresError(kind: .decoding, message: "api.claim_idempotency_key answered an unknown outcome '\(outcome)'")
                }
                switch claimed {
                case .replay:
                    var response = HTTPResponse(status: .init(code: try claim.decode("response_status", as: Int.self)))
                    response.headerFields[.contentType] = try claim.decode("response_type", as: String?.self)
                    response.headerFields[Self.replayedHeader] = "true"
                    return (response, HTTPBody(try claim.decode("response_body", as: String?.self) ?? ""))
                case .running:
                    var running = Answered(
                        Problem(
                            .inProgress, title: "A request with this key is still running",
                            detail: "Wait for the first request with this Idempotency-Key to finish, then send it again to get its response."))
                    running.response.headerFields[.retryAfter] = "1"
                    throw running
                case .mismatch:
                    throw Answered(
                        Problem(
                            .keyReused, title: "The key was used for another request",
                            detail: "This Idempotency-Key was sent with another request; use a new key for a new request.",
                            field: "Idempotency-Key"))
                case .claimed:
                    break
                }
                let (response, responseBody) = try await next(request, streamed || body == nil ? body : HTTPBody(bytes), metadata)
                var stored = ""
                if let responseBody { stored = try await String(collecting: responseBody, upTo: BodyLimits.storedResponse) }
                // A failure for a passing reason (5xx) undoes everything, the key too: the client may try again.
                if response.status.code >= 500 { throw Answered(response, stored) }
                _ = try await connection.query(
                    """
                    SELECT api.answer_idempotency_key(\(scope), \(key), \(Int32(response.status.code)), \(response.headerFields[.contentType]), \(stored))
                    """)
                return (response, HTTPBody(stored))
            }
        } catch let answered as Answered {
            return (answered.response, HTTPBody(answered.body))
        } catch {
            return RequestErrors.refusal(error)
        }
    }
}

/// An answer that ends the request's transaction without committing it.
struct Answered: Error {
    var response: HTTPResponse
    var body: String

    init(_ response: HTTPResponse, _ body: String) {
        self.response = response
        self.body = body
    }

    init(_ problem: Problem) {
        let (response, _) = TokenAuthentication.refusal(problem)
        self.init(response, String(decoding: problem.json, as: UTF8.self))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Postgres

/// One structured log line per request (request id, token, method, route, path, status,
/// duration) and its metrics, the request id echoed in `X-Request-Id` on every answer (errors
/// too), and bodies over the limit refused with 413: JSON bodies have one limit, file uploads
/// (`text/csv`, an .xlsx workbook, the console's file form) their own. A declared length over the limit is refused before the body is read;
/// a body without one (`Transfer-Encoding: chunked`) is counted as it is read, and reading stops
/// at the limit with the same 413.
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestID: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    /// The largest JSON body taken, in bytes.
    let maximumBody: Int
    /// The largest file upload (CSV or workbook) taken, in bytes.
    let maximumUpload: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[Self.requestID].flatMap { $0.count <= 200 ? $0 : nil } ?? UUID().uuidString.lowercased()
        let start = ContinuousClock.now
        var response: Response
        let isUpload = Self.isUpload(request)
        let limit = isUpload ? maximumUpload : maximumBody
        let route = Specification.shared.route(of: request.uri.path)
        let log = RequestLog()
        if let methods = route?.methods, !methods.contains(request.method.rawValue) {
            let problem = Problem(
                .methodNotAllowed, title: "The route does not take this method",
                detail: "\(request.uri.path) takes \(methods.sorted().joined(separator: ", ")); see /openapi.yaml.")
            response = Response(
                status: .methodNotAllowed,
                headers: [.contentType: "application/problem+json", .allow: methods.sorted().joined(separator: ", ")],
                body: .init(byteBuffer: ByteBuffer(data: problem.json)))
        } else if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            response = Self.response(Self.tooLarge(limit, isUpload: isUpload, length: length))
        } else {
            var request = request
            let counter = BodyCounter(limit: limit)
            request.body = RequestBody(asyncSequence: LimitedBody(body: request.body, counter: counter))
            do {
                var logger = context.logger
                logger[metadataKey: "request_id"] = .string(id)
                response = try await PostgresLogging.$logger.withValue(logger) {
                    try await RequestLog.$current.withValue(log) { try await next(request, context) }
                }
            } catch {
                // Whatever a route let through is answered as a problem, never as an empty 500.
                let problem = counter.exceeded ? Self.tooLarge(limit, isUpload: isUpload, length: nil) : Problem(error)
                if !counter.exceeded { context.logger.error("request failed", metadata: ["request_id": .string(id), "error": .string("\(error)")]) }
                response = Self.response(problem)
            }
            // However a route answered a body cut off at the limit, the answer is 413.
            if counter.exceeded, response.status != .contentTooLarge {
                response = Self.response(Self.tooLarge(limit, isUpload: isUpload, length: nil))
            }
        }
        response.headers[Self.requestID] = id
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let template = route?.template ?? (request.uri.path.hasPrefix("/console") ? "/console" : "unmatched")
        ServiceMetrics.request(method: request.method.rawValue, route: template, status: response.status.code, duration: elapsed)
        context.logger.info(
            "request",
            metadata: [
                "request_id": .string(id), "token": .string(log.token ?? "-"), "method": .string(request.method.rawValue),
                "route": .string(template), "path": .string(request.uri.path), "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }

    /// A file upload: CSV or a workbook to the API, a file form of the console.
    static func isUpload(_ request: Request) -> Bool {
        BodyLimits.isUpload(contentType: request.headers[.contentType], path: request.uri.path)
    }

    static func tooLarge(_ limit: Int, isUpload: Bool, length: Int?) -> Problem {
        Problem(
            .tooLarge, title: "The request body is too large",
            detail: "A \(isUpload ? "file upload" : "request body") may hold at most \(limit) bytes; this one has "
                + (length.map { "\($0)" } ?? "more") + ". " + (isUpload ? "Split the file into smaller ones." : "Send less at a time."))
    }

    static func response(_ problem: Problem) -> Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if problem.isRetryable { headers[.retryAfter] = String(Problem.retryAfter) }
        return Response(status: .init(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(data: problem.json)))
    }
}

/// How much of a request body was read, and whether it went past the limit.
final class BodyCounter: @unchecked Sendable {
    let limit: Int
    private let lock = NSLock()
    private var read = 0
    private var over = false

    init(limit: Int) { self.limit = limit }

    var exceeded: Bool { lock.withLock { over } }

    /// Counts `bytes` more; false (and `exceeded` from then on) once the total passes the limit.
    func take(_ bytes: Int) -> Bool {
        lock.withLock {
            read += bytes
            if read > limit { over = true }
            return !over
        }
    }
}

/// The error a body over the limit ends with; the middleware answers it with 413.
struct BodyTooLarge: Error {}

/// A request body that ends with `BodyTooLarge` as soon as it passes its limit.
struct LimitedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: RequestBody
    let counter: BodyCounter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let counter: BodyCounter

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            guard counter.take(buffer.readableBytes) else { throw BodyTooLarge() }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: body.makeAsyncIterator(), counter: counter) }
}

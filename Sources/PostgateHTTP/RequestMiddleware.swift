import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One structured log line per request (request id, token, method, route, path, status,
/// duration) and its metrics, the
/// request id echoed in `X-Request-Id`, and bodies over the limit refused with 413 before they
/// are read: JSON bodies have one limit, CSV uploads (`text/csv`) their own.
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestID: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
    /// The largest JSON body taken, in bytes.
    let maximumBody: Int
    /// The largest CSV upload taken, in bytes.
    let maximumUpload: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[Self.requestID].flatMap { $0.count <= 200 ? $0 : nil } ?? UUID().uuidString.lowercased()
        let start = ContinuousClock.now
        var response: Response
        let isUpload = request.headers[.contentType]?.lowercased().hasPrefix("text/csv") ?? false
        let limit = isUpload ? maximumUpload : maximumBody
        let route = Specification.shared.route(of: request.uri.path)
        let log = RequestLog()
        if let methods = route?.methods, !methods.contains(request.method.rawValue) {
            let problem = Problem(
                status: 405, type: "method-not-allowed", title: "The route does not take this method",
                detail: "\(request.uri.path) takes \(methods.sorted().joined(separator: ", ")); see /openapi.yaml.")
            response = Response(
                status: .methodNotAllowed,
                headers: [.contentType: "application/problem+json", .allow: methods.sorted().joined(separator: ", ")],
                body: .init(byteBuffer: ByteBuffer(data: problem.json)))
        } else if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            let problem = Problem(
                status: 413, type: "too-large", title: "The request body is too large",
                detail: "A \(isUpload ? "CSV upload" : "request body") may hold at most \(limit) bytes; this one has \(length). "
                    + (isUpload ? "Split the file into smaller ones." : "Send less at a time."))
            response = Response(
                status: .contentTooLarge, headers: [.contentType: "application/problem+json"], body: .init(byteBuffer: ByteBuffer(data: problem.json))
            )
        } else {
            response = try await RequestLog.$current.withValue(log) { try await next(request, context) }
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
}

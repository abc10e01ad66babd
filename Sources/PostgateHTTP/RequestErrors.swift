import Foundation
import HTTPTypes
import OpenAPIRuntime

/// A request that does not match the spec (a missing field, a value of the wrong type or out of
/// its range, an unknown enum value, a malformed parameter) is a 400 problem naming the field,
/// checked against `Specification` before the route runs; what the generated decoder still
/// refuses is a 400 too, never a 500. An empty body sent with a JSON content type is no body.
struct RequestErrors: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        var body = body
        // JSON bodies are small (the service takes at most 1 MiB): read whole, an empty one is none.
        var bytes: [UInt8]?
        let contentType = request.headerFields[.contentType]?.lowercased()
        let expectsJSON = Specification.shared.operations[operationID]?.body != nil
        if let given = body, contentType?.hasPrefix("application/json") ?? false {
            let read = try await [UInt8](collecting: given, upTo: Idempotency.maximumBody)
            bytes = read
            body = read.isEmpty ? nil : HTTPBody(read)
            if read.isEmpty { request.headerFields[.contentType] = nil }
        } else if expectsJSON, body != nil, let contentType, !contentType.hasPrefix("application/json") {
            return TokenAuthentication.refusal(
                Problem(
                    status: 415, type: "unsupported-media-type", title: "The body is not JSON",
                    detail: "This route takes a JSON body: send it with Content-Type: application/json."))
        }
        let query = URLComponents(string: request.path ?? "")?.queryItems ?? []
        if let problem = Specification.shared.problem(
            operationID: operationID, query: query, path: metadata.pathParameters, body: bytes)
        {
            return TokenAuthentication.refusal(problem)
        }
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError where error.operationInput == nil {
            return TokenAuthentication.refusal(Self.problem(error.underlyingError, cause: error.causeDescription))
        } catch {
            return TokenAuthentication.refusal(Problem(error))
        }
    }

    /// What is wrong with the request, in the API's own terms.
    static func problem(_ error: any Error, cause: String) -> Problem {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { path, key in
                if let index = key.intValue { return path + "[\(index + 1)]" }
                return path.isEmpty ? key.stringValue : path + "." + key.stringValue
            }
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            let field = path(context.codingPath + [key])
            return Problem.badField(field, "given: it is required (see /openapi.yaml)")
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            let field = path(context.codingPath)
            return Problem.badField(
                field.isEmpty ? "body" : field, "of the type /openapi.yaml gives it (money and quantities are strings such as \"25.50\")")
        case .dataCorrupted(let context)?:
            let field = path(context.codingPath)
            if field.isEmpty {
                return Problem.badBody("JSON that matches /openapi.yaml")
            }
            return Problem.badField(field, "one of the values /openapi.yaml allows")
        default:
            return Problem(
                status: 400, type: "invalid", title: "The request does not match the API",
                detail: "\(cause.prefix(1).uppercased() + cause.dropFirst()). See /openapi.yaml for what this route takes.")
        }
    }
}

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
        // JSON bodies are small (at most `BodyLimits.json`): read whole, an empty one is none.
        var bytes: [UInt8]?
        let contentType = request.headerFields[.contentType]?.lowercased()
        let operation = Specification.shared.operations[operationID]
        let accepted = operation?.contentTypes ?? []
        let takesJSON = accepted.contains("application/json")
        if body == nil || contentType == nil, operation?.bodyRequired ?? false, !takesJSON, let type = accepted.first {
            return TokenAuthentication.refusal(
                Problem(
                    .invalid, title: "The request is not valid",
                    detail: "This route needs a body: send it with Content-Type: \(type)."))
        }
        if body != nil, let contentType, !accepted.isEmpty, !accepted.contains(where: { contentType.hasPrefix($0) }) {
            let types = accepted.joined(separator: " or ")
            return TokenAuthentication.refusal(
                Problem(
                    .unsupportedMediaType, title: "The body is not of a type this route takes",
                    detail: "This route takes a body of type \(types): send it with Content-Type: \(accepted[0])."))
        }
        // A JSON body (or one sent without a type to a route that takes JSON, as a POST with no
        // body at all is) is read whole; an empty one is no body.
        if let given = body, contentType?.hasPrefix("application/json") ?? (takesJSON || given.length == .known(0)) {
            let read = try await [UInt8](collecting: given, upTo: BodyLimits.json)
            bytes = read
            body = read.isEmpty ? nil : HTTPBody(read)
            if read.isEmpty { request.headerFields[.contentType] = nil }
        }
        guard let query = Self.queryItems(request.path ?? "") else {
            return TokenAuthentication.refusal(
                Problem(
                    .invalid, title: "The request is not valid",
                    detail: "The query string must be percent-encoded (a % followed by two hexadecimal digits)."))
        }
        if let problem = Specification.shared.problem(
            operationID: operationID, query: query, path: metadata.pathParameters, body: bytes)
        {
            return TokenAuthentication.refusal(problem)
        }
        do {
            return try await next(request, body, metadata)
        } catch {
            return Self.refusal(error)
        }
    }

    /// The answer to an error a route or the generated decoder raised.
    static func refusal(_ error: any Error) -> (HTTPResponse, HTTPBody?) {
        if let error = error as? ServerError, error.operationInput == nil {
            return TokenAuthentication.refusal(Self.problem(error.underlyingError, cause: error.causeDescription))
        }
        return TokenAuthentication.refusal(Problem(error))
    }

    /// The query's parameters as clients send them: `+` is a space, as in HTML forms and `curl
    /// --data-urlencode` (the generated decoder reads it so too); nil when it is not
    /// percent-encoding.
    static func queryItems(_ path: String) -> [URLQueryItem]? {
        guard let mark = path.firstIndex(of: "?") else { return [] }
        let raw = Array(path[path.index(after: mark)...].utf8)
        // URLComponents reads a malformed escape such as %zz as itself rather than refusing it.
        for (index, byte) in raw.enumerated() where byte == UInt8(ascii: "%") {
            guard index + 2 < raw.count, raw[index + 1].isHexDigit, raw[index + 2].isHexDigit else { return nil }
        }
        let query = String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        guard let components = URLComponents(string: "/?" + query) else { return nil }
        return components.queryItems ?? []
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
                .invalid, title: "The request does not match the API",
                detail: "\(cause.prefix(1).uppercased() + cause.dropFirst()). See /openapi.yaml for what this route takes.")
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

import Foundation
import HTTPTypes
import OpenAPIRuntime

/// A request that does not match the spec (a missing field, a value of the wrong type, an
/// unknown enum value, a malformed parameter) is a 400 problem naming the field, never a 500;
/// an empty body sent with a JSON content type is no body.
struct RequestErrors: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        var body = body
        // JSON bodies are small (the service takes at most 1 MiB): read whole, an empty one is none.
        if let given = body, request.headerFields[.contentType]?.lowercased().hasPrefix("application/json") ?? false {
            let bytes = try await [UInt8](collecting: given, upTo: Idempotency.maximumBody)
            body = bytes.isEmpty ? nil : HTTPBody(bytes)
            if bytes.isEmpty { request.headerFields[.contentType] = nil }
        }
        do {
            return try await next(request, body, metadata)
        } catch let error as ServerError where error.operationInput == nil {
            if let blamed = QueryParameters.blame(request, operationID: operationID) {
                return TokenAuthentication.refusal(blamed)
            }
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

/// The query parameters of each operation, read from the spec, to name the one a request got
/// wrong: the generated decoder says what type it wanted, not which parameter.
enum QueryParameters {
    struct Parameter {
        var name: String
        var required: Bool
        var integer: Bool
        var boolean: Bool
        var values: [String]?
    }

    /// The spec's parameters by operation id. Parameters are written one per line, in flow style.
    static let byOperation: [String: [Parameter]] = {
        var table: [String: [Parameter]] = [:]
        var operation = ""
        for line in openAPISpecification.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("operationId: ") { operation = String(text.dropFirst("operationId: ".count)) }
            guard text.hasPrefix("- { name: "), text.contains("in: query") else { continue }
            let name = text.dropFirst("- { name: ".count).prefix { $0 != "," }
            var values: [String]?
            if let open = text.range(of: "enum: ["), let close = text[open.upperBound...].firstIndex(of: "]") {
                values = text[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            table[operation, default: []].append(
                Parameter(
                    name: String(name), required: text.contains("required: true"), integer: text.contains("type: integer"),
                    boolean: text.contains("type: boolean"), values: values))
        }
        return table
    }()

    /// The first query parameter of the request that is missing or not of its type, as a problem.
    static func blame(_ request: HTTPRequest, operationID: String) -> Problem? {
        let query = URLComponents(string: request.path ?? "")?.queryItems ?? []
        for parameter in byOperation[operationID] ?? [] {
            let given = query.first { $0.name == parameter.name }?.value
            guard let value = given else {
                if parameter.required { return Problem.badField(parameter.name, "given: this query parameter is required") }
                continue
            }
            if parameter.integer, Int64(value) == nil { return Problem.badField(parameter.name, "a whole number, not '\(value)'") }
            if parameter.boolean, value != "true", value != "false" { return Problem.badField(parameter.name, "true or false, not '\(value)'") }
            if let values = parameter.values, !values.contains(value) {
                return Problem.badField(parameter.name, "one of \(values.joined(separator: ", ")), not '\(value)'")
            }
        }
        return nil
    }
}

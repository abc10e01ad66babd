import Foundation
import HTTPTypes
import Postgate
import Postgres
import Yams

/// The contract as data: each operation's parameters and JSON body schema, and each path's
/// methods. Requests are checked against it before they reach a route, so every constraint the
/// spec states (required, type, length, pattern, range, items, enum, format) is enforced, and a
/// refusal names the field the way the spec does.
final class Specification: @unchecked Sendable {
    static let shared = Specification(openAPISpecification)

    struct Parameter {
        var name: String
        var location: String
        var required: Bool
        var schema: [String: Any]
    }

    struct Operation {
        var parameters: [Parameter] = []
        var body: [String: Any]?
        var bodyRequired = false
        /// The media types its body may have (none: it takes no body).
        var contentTypes: [String] = []
    }

    private let schemas: [String: Any]
    private(set) var operations: [String: Operation] = [:]
    /// Each path's template, its segments (`{name}` matches any one) and the methods it has.
    private(set) var paths: [(template: String, segments: [String], methods: Set<String>)] = []
    /// Every operation as the docs page lists it: method, path and summary, by path.
    private(set) var routes: [(method: String, path: String, summary: String)] = []
    private var patterns: [String: NSRegularExpression] = [:]

    init(_ text: String) {
        let document = (try? Yams.load(yaml: text)) as? [String: Any] ?? [:]
        schemas = ((document["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        let sharedParameters = ((document["components"] as? [String: Any])?["parameters"] as? [String: Any]) ?? [:]
        for (path, item) in (document["paths"] as? [String: Any]) ?? [:] {
            guard let item = item as? [String: Any] else { continue }
            paths.append((path, path.split(separator: "/").map(String.init), Set(item.keys.map { $0.uppercased() })))
            for case (let method, let definition as [String: Any]) in item {
                guard let id = definition["operationId"] as? String else { continue }
                routes.append((method.uppercased(), path, definition["summary"] as? String ?? ""))
                var operation = Operation()
                for case var parameter as [String: Any] in (definition["parameters"] as? [Any]) ?? [] {
                    if let reference = parameter["$ref"] as? String, reference.hasPrefix("#/components/parameters/") {
                        parameter = sharedParameters[String(reference.dropFirst("#/components/parameters/".count))] as? [String: Any] ?? [:]
                    }
                    // Headers (Idempotency-Key) are checked by the middleware that reads them.
                    if parameter["in"] as? String == "header" { continue }
                    operation.parameters.append(
                        Parameter(
                            name: parameter["name"] as? String ?? "", location: parameter["in"] as? String ?? "",
                            required: parameter["required"] as? Bool ?? false, schema: parameter["schema"] as? [String: Any] ?? [:]))
                }
                if let body = definition["requestBody"] as? [String: Any] {
                    operation.bodyRequired = body["required"] as? Bool ?? false
                    let content = body["content"] as? [String: Any]
                    operation.contentTypes = (content?.keys).map { $0.sorted() } ?? []
                    operation.body = (content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
                }
                operations[id] = operation
            }
        }
        routes.sort { ($0.path, $0.method) < ($1.path, $1.method) }
        for pattern in Self.patternsIn(document) {
            patterns[pattern] = try? NSRegularExpression(pattern: pattern)
        }
    }

    private static func patternsIn(_ value: Any) -> [String] {
        if let object = value as? [String: Any] {
            return ((object["pattern"] as? String).map { [$0] } ?? []) + object.values.flatMap(patternsIn)
        }
        if let list = value as? [Any] { return list.flatMap(patternsIn) }
        return []
    }

    /// The spec's path that `path` is (its template, such as `/customers/{code}`) and its
    /// methods, if it is one. A literal segment wins over a `{name}` one.
    func route(of path: String) -> (template: String, methods: Set<String>)? {
        let segments = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        let matches = paths.filter { candidate in
            candidate.segments.count == segments.count
                && zip(candidate.segments, segments).allSatisfy { $0.hasPrefix("{") ? !$1.isEmpty : $0 == $1 }
        }
        return matches.min { $0.segments.filter { $0.hasPrefix("{") }.count < $1.segments.filter { $0.hasPrefix("{") }.count }
            .map { ($0.template, $0.methods) }
    }

    /// What is wrong with a request for an operation, or nil: parameters first, then the body.
    func problem(operationID: String, query: [URLQueryItem], path: [String: Substring], body: [UInt8]?) -> Problem? {
        guard let operation = operations[operationID] else { return nil }
        for parameter in operation.parameters {
            let given: String? =
                parameter.location == "path"
                ? path[parameter.name].map { String($0).removingPercentEncoding ?? String($0) }
                : query.first { $0.name == parameter.name }?.value
            guard let given else {
                if parameter.required { return Problem.badField(parameter.name, "given: this \(parameter.location) parameter is required") }
                continue
            }
            if given.unicodeScalars.contains("\0") { return Problem.badField(parameter.name, "text without NUL characters (%00)") }
            let schema = resolve(parameter.schema)
            let value: JSONValue
            switch schema["type"] as? String {
            case "integer":
                guard let number = Decimal(decimalLiteral: given) else {
                    return Problem.badField(parameter.name, "a whole number, not '\(given.prefix(40))'")
                }
                value = .number(number)
            case "boolean":
                guard given == "true" || given == "false" else { return Problem.badField(parameter.name, "true or false, not '\(given.prefix(40))'") }
                value = .bool(given == "true")
            default:
                value = .string(given)
            }
            if let refusal = check(value, against: parameter.schema, field: "") { return Problem.badField(parameter.name, refusal.expected) }
        }
        guard let schema = operation.body else { return nil }
        guard let body, !body.isEmpty else {
            return operation.bodyRequired ? Problem.badBody("a JSON object (see /openapi.yaml for its fields)") : nil
        }
        let value: JSONValue
        do {
            value = try StrictJSON.parse(body)
        } catch {
            return Problem.badBody("JSON (RFC 8259); it is not: \(error)")
        }
        if let field = Self.fieldWithNUL(value, field: "") {
            return field.isEmpty ? Problem.badBody("text without NUL characters") : Problem.badField(field, "text without NUL characters (\\u0000)")
        }
        guard let refusal = check(value, against: schema, field: "") else { return nil }
        return refusal.field.isEmpty ? Problem.badBody(refusal.expected) : Problem.badField(refusal.field, refusal.expected)
    }

    /// A field, and what it must be.
    struct Refusal {
        var field: String
        var expected: String
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let reference = schema["$ref"] as? String, reference.hasPrefix("#/components/schemas/") else { return schema }
        return resolve(schemas[String(reference.dropFirst("#/components/schemas/".count))] as? [String: Any] ?? [:])
    }

    /// The first way `value` breaks `schema`: the field (its path in the body; empty for the
    /// whole value) and what it must be.
    private func check(_ value: JSONValue, against original: [String: Any], field: String) -> Refusal? {
        let schema = resolve(original)
        let money = schema["description"] as? String == "A decimal amount, exact."
        func refuse(_ expected: String) -> Refusal {
            Refusal(field: field, expected: value == .null ? expected + " (leave the field out rather than send null)" : expected)
        }
        if let values = schema["enum"] as? [Any] {
            let allowed = values.map { "\($0)" }
            guard case .string(let text) = value, allowed.contains(text) else {
                return refuse("one of \(allowed.joined(separator: ", "))")
            }
        }
        switch (schema["type"] as? String, value) {
        case ("string", .string(let text)):
            let length = text.unicodeScalars.count
            if let minimum = schema["minLength"] as? Int, length < minimum {
                return refuse(minimum == 1 ? "given, not empty" : "at least \(minimum) characters long")
            }
            if let maximum = schema["maxLength"] as? Int, length > maximum { return refuse("at most \(maximum) characters long") }
            if let pattern = schema["pattern"] as? String, let expression = patterns[pattern],
                expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                if let expected = schema["x-refusal"] as? String { return refuse(expected) }
                return refuse(money ? "a decimal number written as a string, such as \"25.50\"" : "of the form \(pattern)")
            }
            switch schema["format"] as? String {
            case "date" where LocalDate(text) == nil: return refuse("a date written YYYY-MM-DD")
            case "uuid" where UUID(uuidString: text) == nil: return refuse("a UUID")
            default: break
            }
        case ("integer", .number(let number)):
            guard let whole = Int64(number.description) else { return refuse("a whole number") }
            if let minimum = schema["minimum"] as? Int, whole < minimum { return refuse("at least \(minimum)") }
            if let maximum = schema["maximum"] as? Int, whole > maximum { return refuse("at most \(maximum)") }
            if schema["format"] as? String != "int64", Int32(exactly: whole) == nil { return refuse("a whole number of at most 10 digits") }
        case ("boolean", .bool):
            break
        case ("array", .array(let items)):
            if let minimum = schema["minItems"] as? Int, items.count < minimum { return refuse("a list of at least \(minimum)") }
            if let maximum = schema["maxItems"] as? Int, items.count > maximum { return refuse("a list of at most \(maximum)") }
            if let item = schema["items"] as? [String: Any] {
                for (index, element) in items.enumerated() {
                    if let refusal = check(element, against: item, field: "\(field)[\(index + 1)]") { return refusal }
                }
            }
        case ("object", .object(let fields)):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for required in (schema["required"] as? [String]) ?? [] where fields[required] == nil {
                return Refusal(field: Self.join(field, required), expected: "given: it is required")
            }
            for (key, element) in fields.sorted(by: { $0.key < $1.key }) {
                guard let property = properties[key] as? [String: Any] else { continue }
                if let refusal = check(element, against: property, field: Self.join(field, key)) { return refusal }
            }
        case (nil, _):
            break
        case ("string", _):
            if let expected = schema["x-refusal"] as? String { return refuse(expected) }
            return refuse(money ? "a decimal number written as a string, such as \"25.50\"" : "a string")
        case ("integer", _):
            return refuse("a whole number")
        case ("boolean", _):
            return refuse("true or false")
        case ("array", _):
            return refuse("a list")
        case ("object", _):
            return refuse(field.isEmpty ? "a JSON object" : "an object")
        default:
            break
        }
        return nil
    }

    /// The first field holding a NUL, which no text in PostgreSQL can. Field names are not
    /// looked at: a name the spec does not know is ignored, and the service reads no other.
    static func fieldWithNUL(_ value: JSONValue, field: String) -> String? {
        switch value {
        case .string(let text): return text.unicodeScalars.contains("\0") ? field : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = fieldWithNUL(item, field: "\(field)[\(index + 1)]") { return found }
            }
        case .object(let fields):
            for (key, item) in fields.sorted(by: { $0.key < $1.key }) {
                if let found = fieldWithNUL(item, field: join(field, key)) { return found }
            }
        default: break
        }
        return nil
    }

    private static func join(_ field: String, _ key: String) -> String {
        field.isEmpty ? key : field + "." + key
    }
}

import Foundation
import HTTPTypes
import Postgate
import Postgres

/// A schema of the spec, or a reference to a named one (`Money`, `CustomerNew`).
indirect enum SpecNode: Sendable, Equatable {
    case reference(String)
    case schema(SpecSchema)
}

/// The keywords of a schema the request checks enforce; the build refuses a spec that uses any
/// other (see `SpecificationTableGenerator`).
struct SpecSchema: Sendable, Equatable {
    var type: String? = nil
    var enumValues: [String]? = nil
    var minLength: Int? = nil
    var maxLength: Int? = nil
    var minimum: Int? = nil
    var maximum: Int? = nil
    var minItems: Int? = nil
    var maxItems: Int? = nil
    var minProperties: Int? = nil
    var pattern: String? = nil
    var format: String? = nil
    /// What to say a refused value must be (`x-refusal`), when the pattern says it badly.
    var refusal: String? = nil
    var items: SpecNode? = nil
    var properties: [String: SpecNode] = [:]
    var required: [String] = []
}

struct SpecParameter: Sendable {
    var name: String
    var location: String
    var required: Bool
    var schema: SpecNode
}

struct SpecOperation: Sendable {
    var method: String
    var path: String
    var summary: String
    var parameters: [SpecParameter]
    var body: SpecNode?
    var bodyRequired: Bool
    /// The media types its body may have (none: it takes no body).
    var contentTypes: [String]
}

struct SpecPath: Sendable {
    var template: String
    var methods: [String]
}

/// The contract as data, made from `openapi.yaml` by the build (`SpecificationTable.swift`):
/// each operation's parameters and JSON body schema, and each path's methods. Requests are
/// checked against it before they reach a route, so every constraint the spec states (required,
/// type, length, pattern, range, items, properties, enum, format) is enforced, and a refusal names
/// the field the way the spec does. Money is the named schema `Money`.
final class Specification: Sendable {
    static let shared = Specification()

    let operations: [String: SpecOperation]
    /// Each path's template, its segments (`{name}` matches any one) and the methods it has.
    let paths: [(template: String, segments: [String], methods: Set<String>)]
    /// Every operation as the docs page lists it: method, path and summary, by path.
    let routes: [(method: String, path: String, summary: String)]
    private let patterns: [String: NSRegularExpression]
    /// What keeps the checks from working (a pattern this platform's regular expressions refuse);
    /// the service does not start unless it is empty.
    let problems: [String]

    init() {
        operations = SpecificationTable.operations
        paths = SpecificationTable.paths.map { ($0.template, $0.template.split(separator: "/").map(String.init), Set($0.methods)) }
        routes = SpecificationTable.operations.values.map { ($0.method, $0.path, $0.summary) }.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
        var patterns: [String: NSRegularExpression] = [:]
        var problems: [String] = []
        let nodes =
            SpecificationTable.schemas.values
            + SpecificationTable.operations.values.flatMap { operation in operation.parameters.map(\.schema) + [operation.body].compactMap { $0 } }
        for pattern in Set(nodes.flatMap(Self.patterns(in:))) {
            do {
                patterns[pattern] = try NSRegularExpression(pattern: pattern)
            } catch {
                problems.append("the pattern \(pattern) does not compile: \(error)")
            }
        }
        self.patterns = patterns
        self.problems = problems
    }

    private static func patterns(in node: SpecNode) -> [String] {
        guard case .schema(let schema) = node else { return [] }
        return [schema.pattern].compactMap { $0 } + (schema.items.map(patterns(in:)) ?? []) + schema.properties.values.flatMap(patterns(in:))
    }

    /// Refuses to go on when requests cannot be checked.
    func ready() throws {
        if !problems.isEmpty { throw SpecificationUnusable(problems: problems) }
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
            let value: JSONValue
            switch resolve(parameter.schema).type {
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

    private func resolve(_ node: SpecNode) -> SpecSchema {
        switch node {
        case .schema(let schema): schema
        case .reference(let name): SpecificationTable.schemas[name].map(resolve) ?? SpecSchema()
        }
    }

    /// The first way `value` breaks `schema`: the field (its path in the body; empty for the
    /// whole value) and what it must be.
    private func check(_ value: JSONValue, against node: SpecNode, field: String) -> Refusal? {
        let schema = resolve(node)
        let money = node == .reference("Money")
        func refuse(_ expected: String) -> Refusal {
            Refusal(field: field, expected: value == .null ? expected + " (leave the field out rather than send null)" : expected)
        }
        if let allowed = schema.enumValues {
            guard case .string(let text) = value, allowed.contains(text) else {
                return refuse("one of \(allowed.joined(separator: ", "))")
            }
        }
        switch (schema.type, value) {
        case ("string", .string(let text)):
            let length = text.unicodeScalars.count
            if let minimum = schema.minLength, length < minimum {
                return refuse(minimum == 1 ? "given, not empty" : "at least \(minimum) characters long")
            }
            if let maximum = schema.maxLength, length > maximum { return refuse("at most \(maximum) characters long") }
            if let pattern = schema.pattern, let expression = patterns[pattern],
                expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                if let expected = schema.refusal { return refuse(expected) }
                return refuse(money ? "a decimal number written as a string, such as \"25.50\"" : "of the form \(pattern)")
            }
            switch schema.format {
            case "date" where LocalDate(text) == nil: return refuse("a date written YYYY-MM-DD")
            case "uuid" where UUID(uuidString: text) == nil: return refuse("a UUID")
            default: break
            }
        case ("integer", .number(let number)):
            guard let whole = Int64(number.description) else { return refuse("a whole number") }
            if let minimum = schema.minimum, whole < minimum { return refuse("at least \(minimum)") }
            if let maximum = schema.maximum, whole > maximum { return refuse("at most \(maximum)") }
            if schema.format != "int64", Int32(exactly: whole) == nil { return refuse("a whole number of at most 10 digits") }
        case ("boolean", .bool):
            break
        case ("array", .array(let items)):
            if let minimum = schema.minItems, items.count < minimum { return refuse("a list of at least \(minimum)") }
            if let maximum = schema.maxItems, items.count > maximum { return refuse("a list of at most \(maximum)") }
            if let item = schema.items {
                for (index, element) in items.enumerated() {
                    if let refusal = check(element, against: item, field: "\(field)[\(index + 1)]") { return refusal }
                }
            }
        case ("object", .object(let fields)):
            for required in schema.required where fields[required] == nil {
                return Refusal(field: Self.join(field, required), expected: "given: it is required")
            }
            if let minimum = schema.minProperties, fields.count < minimum {
                return refuse(schema.refusal ?? "an object with at least \(minimum) fields")
            }
            for (key, element) in fields.sorted(by: { $0.key < $1.key }) {
                guard let property = schema.properties[key] else { continue }
                if let refusal = check(element, against: property, field: Self.join(field, key)) { return refusal }
            }
        case (nil, _):
            break
        case ("string", _):
            if let expected = schema.refusal { return refuse(expected) }
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

/// The service cannot check requests against its contract, so it does not start.
struct SpecificationUnusable: Error, CustomStringConvertible {
    var problems: [String]
    var description: String { "the request checks cannot work: " + problems.joined(separator: "; ") }
}

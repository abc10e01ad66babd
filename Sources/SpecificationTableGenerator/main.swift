import Foundation
import Yams

// Reads openapi.yaml and writes SpecificationTable.swift: the contract as typed Swift values
// (each operation's parameters, body schema and media types; each path's methods; every named
// schema) and the spec's text, so the service checks requests against what it was built with and
// has nothing to read at run time. A schema keyword the service does not enforce stops the
// build: a rule the spec states is never silently off.
//
// Usage: SpecificationTableGenerator openapi.yaml SpecificationTable.swift

/// Keywords the request checks enforce, or that say nothing a request can break.
let enforced: Set<String> = [
    "type", "$ref", "format", "properties", "required", "items", "minimum", "maximum", "minLength", "maxLength", "pattern",
    "enum", "minItems", "maxItems", "minProperties", "x-refusal",
]
let documentation: Set<String> = ["description", "default", "example", "examples", "title", "readOnly", "additionalProperties"]
let formats: Set<String> = ["date", "uuid", "int32", "int64", "date-time", "binary"]

struct GenerationError: Error, CustomStringConvertible {
    var description: String
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: SpecificationTableGenerator openapi.yaml SpecificationTable.swift\n".utf8))
    exit(2)
}

func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20 || scalar.value > 0x7e: out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

func optional(_ text: String?) -> String { text.map(literal) ?? "nil" }
func optional(_ number: Int?) -> String { number.map(String.init) ?? "nil" }
func list(_ texts: [String]) -> String { "[" + texts.map(literal).joined(separator: ", ") + "]" }

var schemaNames: Set<String> = []

/// A schema as a `SpecNode` expression.
@MainActor func node(_ value: Any?, at place: String) throws -> String {
    guard let schema = value as? [String: Any] else { throw GenerationError(description: "\(place): a schema must be an object") }
    if let reference = schema["$ref"] as? String {
        // Beside a reference only words may stand: a constraint there would not be checked.
        if let other = schema.keys.sorted().first(where: { $0 != "$ref" && !documentation.contains($0) }) {
            throw GenerationError(description: "\(place): '\(other)' beside $ref is not enforced by the request checks; put it in the schema")
        }
        let prefix = "#/components/schemas/"
        guard reference.hasPrefix(prefix), schemaNames.contains(String(reference.dropFirst(prefix.count))) else {
            throw GenerationError(description: "\(place): $ref \(reference) names no schema of components/schemas")
        }
        return ".reference(\(literal(String(reference.dropFirst(prefix.count)))))"
    }
    return ".schema(\(try schemaLiteral(schema, at: place)))"
}

@MainActor func schemaLiteral(_ schema: [String: Any], at place: String) throws -> String {
    for key in schema.keys.sorted() where !enforced.contains(key) && !documentation.contains(key) {
        throw GenerationError(
            description: "\(place): the keyword '\(key)' is not enforced by the service's request checks; teach Specification.swift to enforce it")
    }
    if let additional = schema["additionalProperties"], additional as? Bool != true {
        throw GenerationError(description: "\(place): only additionalProperties: true is supported (unknown fields are ignored)")
    }
    if let format = schema["format"] as? String, !formats.contains(format) {
        throw GenerationError(description: "\(place): the format '\(format)' is not known to the request checks")
    }
    var fields: [String] = []
    if let type = schema["type"] as? String { fields.append("type: \(literal(type))") }
    if let values = schema["enum"] as? [Any] { fields.append("enumValues: \(list(values.map { "\($0)" }))") }
    for key in ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "minProperties"] {
        if let number = schema[key] as? Int { fields.append("\(key): \(number)") }
    }
    if let pattern = schema["pattern"] as? String {
        guard (try? NSRegularExpression(pattern: pattern)) != nil else {
            throw GenerationError(description: "\(place): the pattern \(pattern) does not compile")
        }
        fields.append("pattern: \(literal(pattern))")
    }
    if let format = schema["format"] as? String { fields.append("format: \(literal(format))") }
    if let refusal = schema["x-refusal"] as? String { fields.append("refusal: \(literal(refusal))") }
    if let items = schema["items"] { fields.append("items: \(try node(items, at: place + ".items"))") }
    if let properties = schema["properties"] as? [String: Any] {
        let entries = try properties.keys.sorted().map { "\(literal($0)): \(try node(properties[$0], at: place + "." + $0))" }
        fields.append("properties: [" + entries.joined(separator: ", ") + "]")
    }
    if let required = schema["required"] as? [String] { fields.append("required: \(list(required))") }
    return "SpecSchema(" + fields.joined(separator: ", ") + ")"
}

do {
    let text = try String(contentsOfFile: arguments[1], encoding: .utf8)
    guard let document = try Yams.load(yaml: text) as? [String: Any] else {
        throw GenerationError(description: "\(arguments[1]) is not a YAML mapping")
    }
    let components = document["components"] as? [String: Any] ?? [:]
    let schemas = components["schemas"] as? [String: Any] ?? [:]
    schemaNames = Set(schemas.keys)
    let sharedParameters = components["parameters"] as? [String: Any] ?? [:]

    var out = """
        // Generated from openapi.yaml by SpecificationTableGenerator when the target is built. Do not edit.

        /// openapi.yaml as typed values: what the request checks of `Specification` read.
        enum SpecificationTable {

        """
    // The spec's own text, served at /openapi.yaml.
    var hashes = "#"
    while text.contains("\"\"\"" + hashes) || text.contains("\"" + hashes) { hashes += "#" }
    out += "    static let text: String = \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)\n\n"

    out += "    static let schemas: [String: SpecNode] = [\n"
    for name in schemas.keys.sorted() {
        out += "        \(literal(name)): \(try node(schemas[name], at: "components.schemas.\(name)")),\n"
    }
    out += "    ]\n\n"

    var operations: [String] = []
    var paths: [String] = []
    let methods = ["get", "put", "post", "delete", "patch", "head", "options"]
    for path in (document["paths"] as? [String: Any] ?? [:]).keys.sorted() {
        guard let item = (document["paths"] as? [String: Any])?[path] as? [String: Any] else { continue }
        let itemMethods = methods.filter { item[$0] != nil }
        paths.append("SpecPath(template: \(literal(path)), methods: \(list(itemMethods.map { $0.uppercased() })))")
        for method in itemMethods {
            guard let definition = item[method] as? [String: Any], let id = definition["operationId"] as? String else {
                throw GenerationError(description: "\(method.uppercased()) \(path) has no operationId")
            }
            var parameters: [String] = []
            for case var parameter as [String: Any] in definition["parameters"] as? [Any] ?? [] {
                if let reference = parameter["$ref"] as? String {
                    let name = String(reference.dropFirst("#/components/parameters/".count))
                    guard let shared = sharedParameters[name] as? [String: Any] else {
                        throw GenerationError(description: "\(id): $ref \(reference) names no parameter")
                    }
                    parameter = shared
                }
                // Headers (Idempotency-Key) are checked by the middleware that reads them.
                guard let location = parameter["in"] as? String, location != "header" else { continue }
                let name = parameter["name"] as? String ?? ""
                parameters.append(
                    "SpecParameter(name: \(literal(name)), location: \(literal(location)), required: \(parameter["required"] as? Bool ?? false), "
                        + "schema: \(try node(parameter["schema"] ?? [String: Any](), at: "\(id).\(name)")))")
            }
            var body = "nil"
            var bodyRequired = false
            var contentTypes: [String] = []
            if let request = definition["requestBody"] as? [String: Any] {
                bodyRequired = request["required"] as? Bool ?? false
                let content = request["content"] as? [String: Any] ?? [:]
                contentTypes = content.keys.sorted()
                if let json = content["application/json"] as? [String: Any] {
                    body = try node(json["schema"], at: "\(id).body")
                }
            }
            operations.append(
                "\(literal(id)): SpecOperation(method: \(literal(method.uppercased())), path: \(literal(path)), "
                    + "summary: \(literal(definition["summary"] as? String ?? "")), parameters: [\(parameters.joined(separator: ", "))], "
                    + "body: \(body), bodyRequired: \(bodyRequired), contentTypes: \(list(contentTypes)))")
        }
    }
    out += "    static let operations: [String: SpecOperation] = [\n"
    out += operations.map { "        \($0),\n" }.joined()
    out += "    ]\n\n"
    out += "    static let paths: [SpecPath] = [\n" + paths.map { "        \($0),\n" }.joined() + "    ]\n}\n"
    try out.write(toFile: arguments[2], atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("error: openapi.yaml: \(error)\n".utf8))
    exit(1)
}

import Foundation
import Hummingbird
import Postgate

/// A submitted HTML form (`application/x-www-form-urlencoded`), or a query string: every value of
/// every field, in order.
struct ConsoleForm: Sendable {
    private(set) var fields: [(name: String, value: String)] = []

    init(_ encoded: String) {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            fields.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    /// The form of a request's body: at most 1 MiB, which is far more than any console form sends.
    static func body(of request: Request) async throws -> ConsoleForm {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return ConsoleForm(String(buffer: buffer))
    }

    static func query(of request: Request) -> ConsoleForm { ConsoleForm(request.uri.query ?? "") }

    mutating func append(_ name: String, _ value: String) { fields.append((name, value)) }

    /// The first value of a field, trimmed; nil when missing or blank.
    subscript(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
        else { return nil }
        return value
    }

    /// Every value of a field (checkboxes of the same name).
    func all(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }
}

/// A refusal of what a form or query said, naming the field: shown on the page, changing nothing.
struct ConsoleInputError: Error {
    let field: String
    let message: String
}

/// How the console writes numbers and money: exact (never rounded), at least two decimals,
/// thousands grouped with commas, so that they right-align in columns. That is the en-US number
/// format with at least two decimals: the page's script sums a selection and writes it with the
/// platform's own en-US format (`Intl.NumberFormat`), so the rule is the locale's, not ours twice.
enum ConsoleFormat {
    static func money(_ value: Decimal) -> String {
        value.formatted(.number.locale(Locale(identifier: "en_US")).precision(.fractionLength(2...38)).grouping(.automatic))
    }

    static func quantity(_ value: Decimal) -> String { value.description }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
    }

    /// A value for a URL's query.
    static func query(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// A path segment.
    static func path(_ text: String) -> String {
        // Dots too: a code "." or ".." would otherwise be a relative step a browser takes.
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/."))) ?? ""
    }
}

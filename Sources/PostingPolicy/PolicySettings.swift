import Foundation

/// What the credit limit rule does when an invoice would take a customer over its limit.
public enum CreditMode: String, Sendable, Codable, CaseIterable {
    case off, warn, block
}

/// The settings the rule set is built from, as stored in the database (`ar.settings`).
public struct PolicySettings: Sendable, Hashable, Codable {
    public var creditMode: CreditMode
    /// Exposure at or above this share of the limit (and within it) is noted as `watch`.
    public var creditWatchRatio: Decimal
    /// "Require user confirmation of customer item details before posting invoice".
    public var reviewRequired: Bool
    /// Rule ids switched off.
    public var disabledRules: Set<String>
    /// Rule id → the severity of its warn and block findings.
    public var severityOverrides: [String: Severity]
    /// What the credit check does when booking a sales order would take a customer over its limit.
    public var orderCreditMode: CreditMode = .off

    public init(
        creditMode: CreditMode = .warn, creditWatchRatio: Decimal = Decimal(string: "0.9")!, reviewRequired: Bool = false,
        disabledRules: Set<String> = [], severityOverrides: [String: Severity] = [:]
    ) {
        self.creditMode = creditMode
        self.creditWatchRatio = creditWatchRatio
        self.reviewRequired = reviewRequired
        self.disabledRules = disabledRules
        self.severityOverrides = severityOverrides
    }

    /// Reads the settings from their stored JSON texts (key → JSON), for example
    /// `["credit_mode": "\"block\"", "credit_watch_ratio": "0.9", "review_required": "true",
    /// "disabled_rules": "[\"tax-allowed\"]", "severity_overrides": "{\"on-hold\":\"warn\"}"]`.
    /// Unknown keys belong to other parts of Postgate and are ignored; a malformed value is an
    /// error naming its key and what is wrong. Values are read strictly: `1` is not `true`, and
    /// `0.9abc` is not a ratio.
    public init(stored: [String: String]) throws(PolicySettingsError) {
        self.init()
        if let text = stored["credit_mode"] {
            guard
                let mode = CreditMode(
                    rawValue: try Self.decode(String.self, text, key: "credit_mode", expected: "must be \"off\", \"warn\" or \"block\""))
            else {
                throw PolicySettingsError(key: "credit_mode", problem: "must be \"off\", \"warn\" or \"block\"")
            }
            creditMode = mode
        }
        if let text = stored["order_credit_mode"] {
            guard
                let mode = CreditMode(
                    rawValue: try Self.decode(String.self, text, key: "order_credit_mode", expected: "must be \"off\", \"warn\" or \"block\""))
            else {
                throw PolicySettingsError(key: "order_credit_mode", problem: "must be \"off\", \"warn\" or \"block\"")
            }
            orderCreditMode = mode
        }
        if let text = stored["credit_watch_ratio"] {
            creditWatchRatio = try Self.ratio(text, key: "credit_watch_ratio")
        }
        if let text = stored["review_required"] {
            reviewRequired = try Self.decode(Bool.self, text, key: "review_required", expected: "must be true or false")
        }
        if let text = stored["disabled_rules"] {
            disabledRules = Set(try Self.decode([String].self, text, key: "disabled_rules", expected: "must be a list of rule ids"))
            try Self.known(disabledRules, key: "disabled_rules")
        }
        if let text = stored["severity_overrides"] {
            let pairs = try Self.decode(
                [String: String].self, text, key: "severity_overrides",
                expected: "must map rule ids to \"info\", \"warn\" or \"block\"")
            for (rule, text) in pairs.sorted(by: { $0.key < $1.key }) {
                guard let severity = Severity(rawValue: text) else {
                    throw PolicySettingsError(key: "severity_overrides", problem: "\(rule): '\(text)' is not info, warn or block")
                }
                severityOverrides[rule] = severity
            }
            try Self.known(Set(severityOverrides.keys), key: "severity_overrides")
        }
    }

    /// Rule ids the setting names must be rules: a misspelt one would otherwise switch nothing.
    private static func known(_ ids: Set<String>, key: String) throws(PolicySettingsError) {
        guard let unknown = ids.sorted().first(where: { RuleID(rawValue: $0) == nil }) else { return }
        throw PolicySettingsError(
            key: key, problem: "names '\(unknown)', which is no rule: the rules are \(RuleID.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    /// One stored JSON text as a value of `type`: not JSON, or JSON of another shape, is an error.
    private static func decode<T: Decodable>(_ type: T.Type, _ text: String, key: String, expected: String) throws(PolicySettingsError) -> T {
        guard (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil else {
            throw PolicySettingsError(key: key, problem: "'\(text)' is not JSON")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw PolicySettingsError(key: key, problem: "\(expected), not \(text)")
        }
    }

    /// A ratio from 0 to 1, read exactly from its JSON number text (or a JSON string holding
    /// one), never through `Double`.
    private static func ratio(_ text: String, key: String) throws(PolicySettingsError) -> Decimal {
        let problem = "must be a number from 0 to 1, not \(text)"
        var number = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if number.hasPrefix("\""), number.hasSuffix("\""), number.count >= 2 {
            number = String(number.dropFirst().dropLast())
        }
        // The JSON number grammar: Decimal(string:) alone reads "0.9abc" as 0.9 and "1,000" as 1.
        guard number.wholeMatch(of: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/) != nil,
            let ratio = Decimal(string: number, locale: Locale(identifier: "en_US_POSIX")), ratio >= 0, ratio <= 1
        else {
            throw PolicySettingsError(key: key, problem: problem)
        }
        return ratio
    }
}

/// A stored setting that cannot be read.
public struct PolicySettingsError: Error, Sendable, CustomStringConvertible, Equatable {
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "setting \(key) \(problem)" }
}

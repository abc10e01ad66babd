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

    public init(creditMode: CreditMode = .warn, creditWatchRatio: Decimal = Decimal(string: "0.9")!, reviewRequired: Bool = false,
                disabledRules: Set<String> = [], severityOverrides: [String: Severity] = [:]) {
        self.creditMode = creditMode
        self.creditWatchRatio = creditWatchRatio
        self.reviewRequired = reviewRequired
        self.disabledRules = disabledRules
        self.severityOverrides = severityOverrides
    }

    /// Reads the settings from their stored JSON texts (key → JSON). Unknown keys belong to
    /// other parts of Postgate and are ignored; a malformed value is an error naming its key.
    public init(stored: [String: String]) throws(PolicySettingsError) {
        self.init()
        func json(_ key: String) throws(PolicySettingsError) -> Any? {
            guard let text = stored[key] else { return nil }
            do {
                return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            } catch {
                throw PolicySettingsError(key: key, problem: "'\(text)' is not JSON")
            }
        }
        if let value = try json("credit_mode") {
            guard let text = value as? String, let mode = CreditMode(rawValue: text) else {
                throw PolicySettingsError(key: "credit_mode", problem: "must be \"off\", \"warn\" or \"block\"")
            }
            creditMode = mode
        }
        if let text = stored["credit_watch_ratio"] {
            guard let ratio = Decimal(string: text.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))), ratio >= 0, ratio <= 1 else {
                throw PolicySettingsError(key: "credit_watch_ratio", problem: "must be a number from 0 to 1")
            }
            creditWatchRatio = ratio
        }
        if let value = try json("review_required") {
            guard let flag = value as? Bool else { throw PolicySettingsError(key: "review_required", problem: "must be true or false") }
            reviewRequired = flag
        }
        if let value = try json("disabled_rules") {
            guard let ids = value as? [String] else { throw PolicySettingsError(key: "disabled_rules", problem: "must be a list of rule ids") }
            disabledRules = Set(ids)
        }
        if let value = try json("severity_overrides") {
            guard let pairs = value as? [String: String] else {
                throw PolicySettingsError(key: "severity_overrides", problem: "must map rule ids to \"info\", \"warn\" or \"block\"")
            }
            for (rule, text) in pairs {
                guard let severity = Severity(rawValue: text) else {
                    throw PolicySettingsError(key: "severity_overrides", problem: "\(rule): '\(text)' is not info, warn or block")
                }
                severityOverrides[rule] = severity
            }
        }
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

/// A posting rule: a pure function from the facts of one document to its findings. No I/O, no
/// clock: everything a rule needs is in `Facts`.
public protocol Rule<Facts>: Sendable {
    associatedtype Facts
    /// Stable identifier, stored in the posting audit (for example `credit-limit`).
    var id: RuleID { get }
    func evaluate(_ facts: Facts) -> [Finding]
}

/// The rules in force, built from settings. Every rule is evaluated and every finding kept,
/// so a user can fix all problems at once.
public struct RuleSet<Facts>: Sendable {
    public private(set) var rules: [any Rule<Facts>]

    public init(_ rules: [any Rule<Facts>]) {
        self.rules = rules
    }

    public func evaluate(_ facts: Facts) -> Decision {
        Decision(findings: rules.flatMap { $0.evaluate(facts) })
    }
}

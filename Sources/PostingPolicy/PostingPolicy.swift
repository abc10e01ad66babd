import Foundation

/// The posting rules in force, built from the settings, and their evaluation.
public enum PostingPolicy {
    /// Every rule, in the order findings are reported.
    static func allRules(_ settings: PolicySettings) -> [any Rule<InvoiceFacts>] {
        [
            HasLinesRule(), OnHoldRule(), CashSalesOnlyRule(), ReviewRequiredRule(required: settings.reviewRequired), SerialsCompleteRule(),
            SerialsAvailableRule(), StockAvailableRule(), TaxAllowedRule(), ConversionRateRule(),
            CreditLimitRule<InvoiceFacts>(mode: settings.creditMode, watchRatio: settings.creditWatchRatio),
        ]
    }

    public static func ruleSet(_ settings: PolicySettings) -> RuleSet<InvoiceFacts> {
        RuleSet(configuring: allRules(settings), with: settings)
    }

    public static func evaluate(_ facts: InvoiceFacts, settings: PolicySettings) -> Decision {
        ruleSet(settings).evaluate(facts)
    }

    /// Evaluates invoices in order, each seeing as `earlierInBatch` the totals of the same
    /// customer's earlier invoices in the batch that will post (blocked ones do not count).
    public static func evaluateBatch(_ batch: [InvoiceFacts], settings: PolicySettings) -> [Decision] {
        var evaluation = BatchEvaluation(settings: settings)
        return evaluation.evaluate(batch)
    }

    /// A batch evaluated a part at a time, in order: what it carries from one part to the next
    /// is each customer's running total of the invoices that will post, so its memory grows with
    /// the customers of the batch, not its invoices.
    public struct BatchEvaluation: Sendable {
        let rules: RuleSet<InvoiceFacts>
        var earlier: [String: Decimal] = [:]

        public init(settings: PolicySettings) {
            rules = PostingPolicy.ruleSet(settings)
        }

        /// The next part's decisions, as `evaluateBatch` would give them for the whole batch.
        public mutating func evaluate(_ part: [InvoiceFacts]) -> [Decision] {
            part.map { facts in
                var facts = facts
                facts.earlierInBatch = earlier[facts.customer, default: 0]
                let decision = rules.evaluate(facts)
                if decision.canPost { earlier[facts.customer, default: 0] += facts.invoiceTotal }
                return decision
            }
        }
    }
}

extension RuleSet {
    /// The rules the settings leave on (`disabled_rules`), each with the severity they give it
    /// (`severity_overrides`): the same settings, by rule id, for every kind of document.
    init(configuring rules: [any Rule<Facts>], with settings: PolicySettings) {
        self.init(
            rules.filter { !settings.disabledRules.contains($0.id.rawValue) }.map { rule in
                settings.severityOverrides[rule.id.rawValue].map { SeverityOverride(base: rule, severity: $0) } ?? rule
            })
    }
}

/// A rule whose warn and block findings take another severity.
struct SeverityOverride<Facts>: Rule {
    let base: any Rule<Facts>
    let severity: Severity
    var id: RuleID { base.id }

    func evaluate(_ facts: Facts) -> [Finding] {
        base.evaluate(facts).map { finding in
            var finding = finding
            if finding.severity != .info { finding.severity = severity }
            return finding
        }
    }
}

extension Decimal {
    /// Plain text for a finding's figures.
    var figure: String { description }
}

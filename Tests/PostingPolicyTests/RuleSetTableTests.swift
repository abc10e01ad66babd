import Foundation
import Testing

@testable import PostingPolicy

@Suite("The rule set: every rule evaluated, every finding collected, settings applied")
struct RuleSetFromSettingsTests {
    @Test("the rules run in the documented order")
    func order() {
        let ids = PostingPolicy.ruleSet(settings()).rules.map(\.id.rawValue)
        #expect(ids.filter(sixRules.contains) == sixRules)
        #expect(Set(ids) == Set(sixRules + ["stock-available", "has-lines", "serials-available", "conversion-rate"]))
    }

    @Test("an invoice that trips all six rules gets every finding, in rule order and line order", arguments: [CreditMode.warn, .block])
    func everyFinding(_ mode: CreditMode) {
        let decision = PostingPolicy.evaluate(everythingWrong(), settings: settings(credit: mode, review: true))
        #expect(
            decision.findings.map(\.rule) == [
                "on-hold", "cash-sales-only", "review-required", "serials-complete", "serials-complete",
                "tax-allowed", "tax-allowed", "credit-limit",
            ])
        #expect(
            decision.findings.map(\.code) == [
                "customer-on-hold", "cash-sales-only-unpaid", "customer-items-unreviewed", "serials-missing",
                "serials-missing", "tax-rate-not-allowed", "tax-rate-not-allowed", "credit-limit-exceeded",
            ])
        #expect(decision.findings.filter { $0.rule == "serials-complete" }.map { $0.figures["line"] } == ["1", "4"])
        #expect(decision.findings.filter { $0.rule == "tax-allowed" }.map { $0.figures["line"] } == ["2", "3"])
        #expect(decision.findings.last?.severity == (mode == .block ? .block : .warn))
        #expect(decision.blockers.count == (mode == .block ? 8 : 7))
        #expect(!decision.canPost)
        #expect(decision.findings.allSatisfy { $0.message.hasSuffix(".") })
    }

    @Test("a disabled rule is left out of the rule set and finds nothing; the others still do", arguments: sixRules)
    func disabled(_ rule: String) {
        let on = settings(credit: .block, review: true)
        let off = settings(credit: .block, review: true, disabled: [rule])
        #expect(!PostingPolicy.ruleSet(off).rules.map(\.id.rawValue).contains(rule))
        let all = PostingPolicy.evaluate(everythingWrong(), settings: on).findings
        let without = PostingPolicy.evaluate(everythingWrong(), settings: off).findings
        #expect(without == all.filter { $0.rule != rule })
    }

    @Test("with every rule disabled, anything posts")
    func everythingDisabled() {
        let decision = PostingPolicy.evaluate(everythingWrong(), settings: settings(credit: .block, review: true, disabled: Set(sixRules)))
        #expect(decision.findings.isEmpty)
        #expect(decision.canPost)
    }

    @Test(
        "a severity override changes every blocking or warning finding of its rule, and only of its rule", arguments: sixRules,
        [Severity.info, .warn])
    func overridden(_ rule: String, _ severity: Severity) {
        let base = settings(credit: .block, review: true)
        let overridden = settings(credit: .block, review: true, overrides: [rule: severity])
        let before = PostingPolicy.evaluate(everythingWrong(), settings: base).findings
        let after = PostingPolicy.evaluate(everythingWrong(), settings: overridden).findings
        #expect(after.map(\.code) == before.map(\.code))
        for (old, new) in zip(before, after) {
            #expect(new.severity == (old.rule == rule ? severity : old.severity))
            #expect(new.message == old.message)
            #expect(new.figures == old.figures)
        }
    }

    @Test("on hold overridden to warn: the invoice posts with a warning")
    func onHoldAsWarning() {
        let decision = PostingPolicy.evaluate(draft { $0.onHoldForInvoices = true }, settings: settings(overrides: ["on-hold": .warn]))
        #expect(decision.findings.map(\.severity) == [.warn])
        #expect(decision.canPost)
    }

    @Test(
        "a credit limit overridden to block refuses even in warn mode; an override never raises a watch note",
        arguments: [
            ("1000.01", "credit-limit-exceeded", Severity.block), ("950", "credit-limit-watch", .info),
        ])
    func creditOverride(_ total: String, _ code: String, _ severity: Severity) {
        let decision = PostingPolicy.evaluate(
            draft(total: total, limit: "1000"), settings: settings(credit: .warn, overrides: ["credit-limit": .block]))
        #expect(decision.findings.map(\.code) == [code])
        #expect(decision.findings.map(\.severity) == [severity])
    }

    @Test("an override of a disabled rule, or of a rule that does not exist, changes nothing")
    func overrideOfNothing() {
        let decision = PostingPolicy.evaluate(
            draft { $0.onHoldForInvoices = true },
            settings: settings(disabled: ["on-hold"], overrides: ["on-hold": .block, "no-such-rule": .warn]))
        #expect(decision.findings.isEmpty)
        let unchanged = PostingPolicy.evaluate(draft { $0.onHoldForInvoices = true }, settings: settings(overrides: ["no-such-rule": .warn]))
        #expect(unchanged.findings.map(\.severity) == [.block])
    }

    @Test("a clean invoice has no findings; evaluating twice gives the same decision")
    func cleanAndPure() {
        let facts = draft(total: "10", limit: "1000")
        let decision = PostingPolicy.evaluate(facts, settings: settings(credit: .block, review: true))
        #expect(decision == Decision(findings: []))
        #expect(PostingPolicy.evaluate(everythingWrong(), settings: settings()) == PostingPolicy.evaluate(everythingWrong(), settings: settings()))
    }
}

import PostingPolicy
import Testing

@Suite("Rule sets")
struct RuleSetTests {
    struct Facts {
        var onHold: Bool
        var missingSerials: Int
    }

    struct OnHold: Rule {
        let id = RuleID.onHold
        func evaluate(_ facts: Facts) -> [Finding] {
            facts.onHold
                ? [
                    Finding(
                        rule: id, severity: .block, code: "customer-on-hold",
                        message: "The customer is on hold for sales invoices: release the hold first.")
                ] : []
        }
    }

    struct Serials: Rule {
        let id = RuleID.serialsComplete
        func evaluate(_ facts: Facts) -> [Finding] {
            guard facts.missingSerials > 0 else { return [] }
            return [
                Finding(
                    rule: id, severity: .block, code: "serials-missing", message: "Load \(facts.missingSerials) serial numbers.",
                    figures: ["missing": String(facts.missingSerials)])
            ]
        }
    }

    /// A rule that always notes something, whatever the facts.
    struct Note: Rule {
        let id = RuleID.hasLines
        func evaluate(_ facts: Facts) -> [Finding] {
            [Finding(rule: id, severity: .info, code: "evaluated", message: "Evaluated.")]
        }
    }

    let rules = RuleSet<Facts>([OnHold(), Serials(), Note()])

    @Test("every rule is evaluated and every finding kept, in rule order")
    func collectsEveryFinding() {
        let decision = rules.evaluate(Facts(onHold: true, missingSerials: 2))
        #expect(decision.findings.map(\.rule) == ["on-hold", "serials-complete", "has-lines"])
        #expect(decision.blockers.count == 2)
        #expect(decision.canPost == false)
        #expect(decision.findings[1].figures["missing"] == "2")
    }

    @Test("a document with only informational findings may be posted")
    func infoDoesNotBlock() {
        let decision = rules.evaluate(Facts(onHold: false, missingSerials: 0))
        #expect(decision.canPost)
        #expect(decision.findings.map(\.severity) == [.info])
    }

    @Test("severities order info < warn < block")
    func severityOrder() {
        #expect(Severity.allCases.sorted() == [.info, .warn, .block])
        #expect(Severity.block > .warn)
    }
}

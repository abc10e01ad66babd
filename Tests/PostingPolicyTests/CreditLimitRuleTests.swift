import Foundation
import Testing

@testable import PostingPolicy

struct CreditCase: Sendable, CustomTestStringConvertible {
    var name: String
    var mode: CreditMode
    var limit: String?
    var balance: String
    var earlier: String = "0"
    var total: String
    var ratio: String = "0.9"
    var code: String?
    var severity: Severity?
    var over: String? = nil
    var testDescription: String { name }
}

@Suite("credit-limit: open balance + earlier in batch + this invoice against the limit")
struct CreditLimitRuleTests {
    static let cases: [CreditCase] = [
        // Off and unlimited.
        CreditCase(
            name: "credit rule off: far over the limit, nothing", mode: .off, limit: "1000", balance: "5000", total: "100", code: nil, severity: nil),
        CreditCase(name: "no limit in block mode: nothing", mode: .block, limit: nil, balance: "1000000", total: "1000000", code: nil, severity: nil),
        CreditCase(name: "no limit in warn mode: nothing", mode: .warn, limit: nil, balance: "0", total: "1", code: nil, severity: nil),
        // The limit itself.
        CreditCase(
            name: "exactly at the limit in block mode is not over (watch)", mode: .block, limit: "1000", balance: "900", total: "100",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "one cent over in block mode is refused", mode: .block, limit: "1000", balance: "900", total: "100.01",
            code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(
            name: "one cent over in warn mode warns", mode: .warn, limit: "1000", balance: "900", total: "100.01",
            code: "credit-limit-exceeded", severity: .warn, over: "0.01"),
        CreditCase(
            name: "one cent over with the rule off: nothing", mode: .off, limit: "1000", balance: "900", total: "100.01", code: nil, severity: nil),
        CreditCase(
            name: "exactness: 0.1 + 0.2 against a limit of 0.3 is not over", mode: .block, limit: "0.3", balance: "0.1", total: "0.2",
            code: "credit-limit-watch", severity: .info),
        // The watch line.
        CreditCase(
            name: "one cent under 90 % of the limit: nothing", mode: .warn, limit: "1000", balance: "0", total: "899.99", code: nil, severity: nil),
        CreditCase(
            name: "exactly 90 % of the limit: watch", mode: .warn, limit: "1000", balance: "0", total: "900", code: "credit-limit-watch",
            severity: .info),
        CreditCase(
            name: "exactly 90 % of the limit in block mode: watch, posts", mode: .block, limit: "1000", balance: "800", total: "100",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "a watch ratio of 0.75: exactly 75 % is watched", mode: .warn, limit: "2000", balance: "1000", total: "500", ratio: "0.75",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "a watch ratio of 0.75: one cent under 75 % is not", mode: .warn, limit: "2000", balance: "1000", total: "499.99", ratio: "0.75",
            code: nil, severity: nil),
        CreditCase(
            name: "a watch ratio of 1: only exactly at the limit is watched", mode: .warn, limit: "1000", balance: "0", total: "1000", ratio: "1",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "a watch ratio of 1: one cent under the limit is not", mode: .warn, limit: "1000", balance: "0", total: "999.99", ratio: "1",
            code: nil, severity: nil),
        // A zero limit.
        CreditCase(
            name: "a zero limit allows nothing: one cent is over", mode: .block, limit: "0", balance: "0", total: "0.01",
            code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(
            name: "a zero limit with nothing owed: no watch note", mode: .block, limit: "0", balance: "0", total: "0", code: nil, severity: nil),
        CreditCase(
            name: "a zero limit and a credit note bringing the balance below zero: nothing", mode: .block, limit: "0", balance: "-50",
            total: "20", code: nil, severity: nil),
        // Every part of the exposure counts.
        CreditCase(
            name: "a credit balance lowers the exposure", mode: .block, limit: "1000", balance: "-500", total: "1400",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "earlier invoices in the batch count", mode: .block, limit: "1000", balance: "500", earlier: "400", total: "100.01",
            code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(
            name: "earlier invoices in the batch up to exactly the limit", mode: .block, limit: "1000", balance: "500", earlier: "400", total: "100",
            code: "credit-limit-watch", severity: .info),
        CreditCase(
            name: "already over before this invoice", mode: .warn, limit: "1000", balance: "1200.50", total: "0",
            code: "credit-limit-exceeded", severity: .warn, over: "200.5"),
    ]

    @Test("the credit limit compares exactly, in each mode, at each boundary", arguments: CreditLimitRuleTests.cases)
    func credit(_ row: CreditCase) {
        let facts = draft(total: row.total, balance: row.balance, limit: row.limit) { $0.earlierInBatch = money(row.earlier) }
        let decision = PostingPolicy.evaluate(facts, settings: settings(credit: row.mode, ratio: row.ratio))
        #expect(decision.findings.map(\.code) == (row.code.map { [$0] } ?? []))
        #expect(decision.findings.first?.severity == row.severity)
        #expect(decision.findings.allSatisfy { $0.rule == "credit-limit" })
        #expect(decision.canPost == (row.severity != .block))
        if let finding = decision.findings.first {
            let exposure = money(row.balance) + money(row.earlier) + money(row.total)
            #expect(finding.figures["exposure"] == exposure.description)
            #expect(finding.figures["over"] == row.over)
        }
    }

    @Test("an invoice exactly at the credit limit posts; one cent over is refused in block mode")
    func exactlyAtTheLimit() {
        let block = settings(credit: .block)
        #expect(PostingPolicy.evaluate(draft(total: "250", balance: "750", limit: "1000"), settings: block).canPost)
        #expect(!PostingPolicy.evaluate(draft(total: "250.01", balance: "750", limit: "1000"), settings: block).canPost)
    }

    @Test("an exceeded limit gives the exposure, the limit, the currency and how much over, and says what to do")
    func exceededMessageAndFigures() {
        let facts = draft(total: "300.50", balance: "750", limit: "1000") { $0.earlierInBatch = 150 }
        let findings = CreditLimitRule(mode: .block, watchRatio: money("0.9")).evaluate(facts)
        #expect(
            findings == [
                Finding(
                    rule: "credit-limit", severity: .block, code: "credit-limit-exceeded",
                    message:
                        "Customer ACME would owe 1200.5 EUR, 200.5 over its credit limit of 1000 EUR: take a payment, raise the limit, or post later.",
                    figures: [
                        "limit": "1000", "open_balance": "750", "earlier_in_batch": "150", "invoice_total": "300.5", "exposure": "1200.5",
                        "over": "200.5",
                    ])
            ])
    }

    @Test("a watch note gives the numbers, without an amount over")
    func watchFigures() {
        let findings = CreditLimitRule(mode: .warn, watchRatio: money("0.9")).evaluate(draft(total: "50", balance: "900", limit: "1000"))
        #expect(findings.map(\.code) == ["credit-limit-watch"])
        #expect(
            findings.first?.figures == ["limit": "1000", "open_balance": "900", "earlier_in_batch": "0", "invoice_total": "50", "exposure": "950"])
        #expect(findings.first?.message.contains("950 EUR of its 1000 EUR credit limit") == true)
    }

    @Test(
        "figures are plain decimal text",
        arguments: [
            ("1000", "1000"), ("1000.00", "1000"), ("1200.50", "1200.5"), ("0.01", "0.01"),
            ("-25.5", "-25.5"), ("123456789012.34", "123456789012.34"),
        ])
    func plainFigures(_ text: String, _ figure: String) {
        #expect(money(text).figure == figure)
    }
}

import Foundation
import Testing

@testable import PostingPolicy

struct CashCase: Sendable, CustomTestStringConvertible {
    var cashSalesOnly: Bool
    var mass: Bool
    var paid: Bool
    var code: String?
    var testDescription: String {
        "\(cashSalesOnly ? "cash sales only" : "on account"), \(mass ? "mass posting" : "single posting"), \(paid ? "paid in full" : "unpaid") → \(code ?? "posts")"
    }
}

@Suite("cash-sales-only: Cash Sales Only customers post one at a time, with their payment")
struct CashSalesOnlyRuleTests {
    @Test(
        "Cash Sales Only: refused in a mass posting even when paid, refused alone unless paid in full; other terms never",
        arguments: [
            CashCase(cashSalesOnly: false, mass: false, paid: false, code: nil),
            CashCase(cashSalesOnly: false, mass: false, paid: true, code: nil),
            CashCase(cashSalesOnly: false, mass: true, paid: false, code: nil),
            CashCase(cashSalesOnly: false, mass: true, paid: true, code: nil),
            CashCase(cashSalesOnly: true, mass: false, paid: false, code: "cash-sales-only-unpaid"),
            CashCase(cashSalesOnly: true, mass: false, paid: true, code: nil),
            CashCase(cashSalesOnly: true, mass: true, paid: false, code: "post-and-pay-individually"),
            CashCase(cashSalesOnly: true, mass: true, paid: true, code: "post-and-pay-individually"),
        ])
    func cashSalesOnly(_ row: CashCase) {
        let decision = PostingPolicy.evaluate(
            draft {
                $0.cashSalesOnly = row.cashSalesOnly
                $0.massPosting = row.mass
                $0.paidInFull = row.paid
            }, settings: settings())
        #expect(decision.findings.map(\.code) == (row.code.map { [$0] } ?? []))
        #expect(decision.findings.allSatisfy { $0.rule == "cash-sales-only" && $0.severity == .block })
        #expect(decision.canPost == (row.code == nil))
    }

    @Test("the findings say to post and pay, individually in a mass posting")
    func messages() {
        let mass = CashSalesOnlyRule().evaluate(
            draft {
                $0.cashSalesOnly = true
                $0.massPosting = true
            })
        #expect(mass.map(\.message) == ["Customer ACME has Cash Sales Only terms: post and pay this invoice individually."])
        let single = CashSalesOnlyRule().evaluate(draft { $0.cashSalesOnly = true })
        #expect(single.count == 1)
        #expect(single[0].message.hasPrefix("Customer ACME has Cash Sales Only terms"))
        #expect(single[0].message.hasSuffix("must be paid in full when posted: use post and pay."))
    }
}

import Foundation
import Testing

@testable import PostingPolicy

@Suite("Booking a sales order: the posting's rule types, for orders")
struct BookingRulesTests {
    func order(held: Bool = false, limit: String? = "1000", exposure: String = "600", total: String = "300") -> OrderFacts {
        OrderFacts(
            reference: "order 7", customer: "ACME", customerCurrency: "EUR", onHoldForOrders: held,
            creditLimit: limit.flatMap { Decimal(string: $0) }, exposure: Decimal(string: exposure)!, orderTotal: Decimal(string: total)!)
    }

    func settings(_ mode: CreditMode) -> PolicySettings {
        var settings = PolicySettings()
        settings.orderCreditMode = mode
        return settings
    }

    @Test("the booking check is the on-hold and credit-limit rules, the same types that guard posting")
    func sameTypes() {
        let rules = OrderPolicy.allRules(settings(.block))
        #expect(rules.map(\.id) == [.onHold, .creditLimit])
        #expect(rules[0] is OnHoldRule<OrderFacts> && rules[1] is CreditLimitRule<OrderFacts>)
        #expect(PostingPolicy.allRules(PolicySettings()).contains { $0 is OnHoldRule<InvoiceFacts> })
        #expect(PostingPolicy.allRules(PolicySettings()).contains { $0 is CreditLimitRule<InvoiceFacts> })
    }

    @Test(
        "a hold and the credit limit, as order_credit_mode says",
        arguments: [
            // held, exposure, total, mode → codes and severities
            (false, "600", "300", CreditMode.block, [String](), [Severity]()),
            (true, "600", "300", .off, ["customer-on-hold-orders"], [.block]),
            (false, "600", "500", .off, [], []),
            (false, "600", "500", .warn, ["credit-limit-exceeded"], [.warn]),
            (false, "600", "500", .block, ["credit-limit-exceeded"], [.block]),
            (false, "600", "400", .block, [], []),
            (true, "900", "200", .block, ["customer-on-hold-orders", "credit-limit-exceeded"], [.block, .block]),
        ])
    func table(_ held: Bool, _ exposure: String, _ total: String, _ mode: CreditMode, _ codes: [String], _ severities: [Severity]) {
        let decision = OrderPolicy.evaluateBooking(order(held: held, exposure: exposure, total: total), settings: settings(mode))
        #expect(decision.findings.map(\.code) == codes)
        #expect(decision.findings.map(\.severity) == severities)
    }

    @Test("the findings say what to do for an order, with the figures behind them")
    func words() {
        let decision = OrderPolicy.evaluateBooking(order(held: true, exposure: "900", total: "200"), settings: settings(.warn))
        #expect(decision.findings[0].message == "Customer ACME is on hold for sales orders: release the hold before booking order 7.")
        #expect(
            decision.findings[1].message
                == "Customer ACME would have 1100 EUR of exposure with order 7, 100 EUR over its credit limit of 1000 EUR: take a payment, raise the limit, or book later."
        )
        #expect(decision.findings[1].figures == ["limit": "1000", "exposure": "900", "order_total": "200", "over": "100"])
        // No limit: nothing to check against.
        #expect(OrderPolicy.evaluateBooking(order(limit: nil, total: "99999"), settings: settings(.block)).findings.isEmpty)
    }

    @Test("every rule id has a label of its own and says what to do")
    func ruleTable() {
        #expect(Set(RuleID.allCases.map(\.label)).count == RuleID.allCases.count)
        for rule in RuleID.allCases {
            #expect(rule.whatToDo.contains(": "), "\(rule): a reason, then what to do")
            #expect(Finding(rule: rule, severity: .block, code: "c", message: "m").ruleID == rule)
        }
        #expect(Finding(rule: "retired-rule", severity: .info, code: "c", message: "m").ruleID == nil)
    }
}

import Foundation
import Testing

@testable import PostingPolicy

@Suite("on-hold: a customer on hold for sales invoices")
struct OnHoldRuleTests {
    @Test(
        "a customer on hold for sales invoices is refused; one that is not posts",
        arguments: [
            (false, [String]()), (true, ["customer-on-hold"]),
        ])
    func onHold(_ held: Bool, _ expected: [String]) {
        let decision = PostingPolicy.evaluate(draft { $0.onHoldForInvoices = held }, settings: settings())
        #expect(decision.findings.map(\.code) == expected)
        #expect(decision.canPost == !held)
    }

    @Test("the hold names the customer and says to release it")
    func message() {
        let finding = OnHoldRule().evaluate(draft { $0.onHoldForInvoices = true })
        #expect(
            finding == [
                Finding(
                    rule: "on-hold", severity: .block, code: "customer-on-hold",
                    message: "Customer ACME is on hold for sales invoices: release the hold before posting.")
            ])
    }
}

import Foundation
import Testing

@testable import PostingPolicy

@Suite("tax-allowed: each line's tax rate is one the customer may use")
struct TaxAllowedRuleTests {
    @Test("each line with a tax rate not allowed is one finding, in line order", arguments: [0, 1, 3])
    func taxes(_ count: Int) {
        let taxes = (1...3).prefix(count).reversed().map {
            DisallowedTax(line: $0 * 2, taxRate: "VAT\($0)", reason: "customer ACME is tax exempt and VAT\($0) is not an exempt rate")
        }
        let decision = PostingPolicy.evaluate(draft { $0.disallowedTaxes = Array(taxes) }, settings: settings())
        #expect(decision.findings.map(\.code) == Array(repeating: "tax-rate-not-allowed", count: count))
        #expect(decision.findings.map { $0.figures["line"] } == (1...3).prefix(count).map { String($0 * 2) })
        #expect(decision.blockers.count == count)
    }

    @Test("the finding names the line, the rate and the reason, and says to choose another rate")
    func message() {
        let tax = DisallowedTax(line: 2, taxRate: "VAT21", reason: "customer ACME is tax exempt and VAT21 is not an exempt rate")
        let findings = TaxAllowedRule().evaluate(draft { $0.disallowedTaxes = [tax] })
        #expect(findings.count == 1)
        let finding = findings[0]
        #expect(finding.rule == "tax-allowed")
        #expect(finding.severity == .block)
        #expect(finding.message.contains("line 2"))
        #expect(finding.message.contains("VAT21"))
        #expect(finding.message.contains(tax.reason))
        #expect(finding.message.hasPrefix("Choose another tax rate"))
        #expect(finding.figures["line"] == "2")
        #expect(finding.figures["tax_rate"] == "VAT21")
    }
}

import Foundation
import PostingPolicy
import Testing

func facts(
    _ customer: String = "ACME", total: Decimal = 100, balance: Decimal = 0, limit: Decimal? = nil,
    configure: (inout InvoiceFacts) -> Void = { _ in }
) -> InvoiceFacts {
    var facts = InvoiceFacts(
        invoiceID: 1, reference: "draft 1", customer: customer, customerCurrency: "EUR",
        creditLimit: limit, openBalance: balance, invoiceTotal: total)
    configure(&facts)
    return facts
}

func codes(_ decision: Decision) -> [String] { decision.findings.map(\.code) }

@Suite("Posting rules")
struct PostingRulesTests {
    let defaults = PolicySettings()

    @Test("a clean invoice has no findings and may be posted")
    func cleanInvoice() {
        let decision = PostingPolicy.evaluate(facts(), settings: defaults)
        #expect(decision.findings.isEmpty)
        #expect(decision.canPost)
    }

    @Test("a draft without lines is blocked, saying to add lines or delete it")
    func noLines() {
        let decision = PostingPolicy.evaluate(facts { $0.lineCount = 0 }, settings: defaults)
        #expect(codes(decision) == ["no-lines"])
        #expect(decision.findings.first?.message == "draft 1 has no lines: add its lines, or delete the draft.")
        #expect(!decision.canPost)
    }

    @Test("a unique serial that is elsewhere or gone is blocked, naming where it is")
    func serialUnavailable() {
        let decision = PostingPolicy.evaluate(
            facts {
                $0.unavailableSerials = [
                    UnavailableSerial(line: 2, product: "TV", serial: "SN-B", reason: "written off on 2026-11-01"),
                    UnavailableSerial(line: 1, product: "TV", serial: "SN-A", reason: "in stock at VAN"),
                ]
            }, settings: defaults)
        #expect(codes(decision) == ["serial-unavailable", "serial-unavailable"])
        #expect(decision.findings.map { $0.figures["serial"] } == ["SN-A", "SN-B"])
        #expect(decision.findings[0].message.contains("in stock at VAN"))
        #expect(!decision.canPost)
    }

    @Test("Cash Sales Only with a part payment is blocked with the amount due")
    func cashSalesOnlyPartPayment() {
        let decision = PostingPolicy.evaluate(
            facts {
                $0.cashSalesOnly = true
                $0.payment = OfferedPayment(amount: 60, due: 100, currency: "USD")
            }, settings: defaults)
        #expect(codes(decision) == ["cash-sales-only-part-paid"])
        #expect(decision.findings.first?.message.contains("the amount due is 100 USD, not 60") == true)
    }

    @Test("a customer on hold for invoices is blocked")
    func onHold() {
        let decision = PostingPolicy.evaluate(facts { $0.onHoldForInvoices = true }, settings: defaults)
        #expect(codes(decision) == ["customer-on-hold"])
        #expect(!decision.canPost)
    }

    @Test(
        "Cash Sales Only: blocked unless paid in full; in a mass posting always blocked",
        arguments: [
            (false, false, "cash-sales-only-unpaid"), (false, true, nil), (true, false, "post-and-pay-individually"),
            (true, true, "post-and-pay-individually"),
        ] as [(Bool, Bool, String?)])
    func cashSalesOnly(_ mass: Bool, _ paid: Bool, _ code: String?) {
        let decision = PostingPolicy.evaluate(
            facts {
                $0.cashSalesOnly = true
                $0.massPosting = mass
                $0.paidInFull = paid
            }, settings: defaults)
        #expect(codes(decision) == (code.map { [$0] } ?? []))
    }

    @Test("unreviewed customer items block only when the setting asks for review", arguments: [(false, 3, 0), (true, 0, 0), (true, 2, 1)])
    func reviewRequired(_ required: Bool, _ unreviewed: Int, _ expected: Int) {
        var settings = defaults
        settings.reviewRequired = required
        let decision = PostingPolicy.evaluate(
            facts {
                $0.unreviewedItems = unreviewed
                $0.itemsToCreate = 3
            }, settings: settings)
        #expect(decision.findings.filter { $0.code == "customer-items-unreviewed" }.count == expected)
    }

    @Test("each line missing serials is its own finding, in line order, naming the line")
    func missingSerials() {
        let decision = PostingPolicy.evaluate(
            facts {
                $0.linesMissingSerials = [
                    MissingSerials(line: 3, product: "TV", missing: 2), MissingSerials(line: 1, product: "CARPET", missing: Decimal(string: "0.5")!),
                ]
            }, settings: defaults)
        #expect(decision.findings.map(\.figures["line"]) == ["1", "3"])
        #expect(decision.findings[1].message == "Load 2 serial numbers on line 3 (TV).")
        #expect(decision.blockers.count == 2)
    }

    @Test("taxes not allowed and stock shortages block, naming the line")
    func taxAndStock() {
        let decision = PostingPolicy.evaluate(
            facts {
                $0.disallowedTaxes = [DisallowedTax(line: 2, taxRate: "VAT21", reason: "customer X is tax exempt")]
                $0.linesShortOfStock = [StockShortage(line: 1, product: "CABLE", location: "MAIN", needed: 5, onHand: 3)]
            }, settings: defaults)
        #expect(codes(decision) == ["stock-short", "tax-rate-not-allowed"])
        #expect(decision.findings[0].message.contains("Line 1 needs 5 of CABLE at MAIN, which has 3"))
    }

    @Test(
        "the credit limit compares balance + earlier in batch + this invoice with the limit, exactly",
        arguments: [
            // balance, total, limit, mode, expected code, expected severity
            ("0", "100", nil, CreditMode.block, nil, nil),
            ("900", "100", "1000", .block, "credit-limit-watch", Severity.info),  // exactly at the limit is not over
            ("900", "100.01", "1000", .block, "credit-limit-exceeded", .block),  // one cent over
            ("900", "100.01", "1000", .warn, "credit-limit-exceeded", .warn),
            ("900", "100.01", "1000", .off, nil, nil),
            ("0", "899.99", "1000", .warn, nil, nil),  // just under the 90 % watch line
            ("0", "900", "1000", .warn, "credit-limit-watch", .info),  // exactly at 90 %
            ("0", "0.01", "0", .block, "credit-limit-exceeded", .block),  // a zero limit allows nothing
            ("-500", "1400", "1000", .block, "credit-limit-watch", .info),  // a credit balance counts
        ] as [(String, String, String?, CreditMode, String?, Severity?)])
    func creditLimit(_ balance: String, _ total: String, _ limit: String?, _ mode: CreditMode, _ code: String?, _ severity: Severity?) {
        var settings = defaults
        settings.creditMode = mode
        let decision = PostingPolicy.evaluate(
            facts(total: Decimal(string: total)!, balance: Decimal(string: balance)!, limit: limit.flatMap { Decimal(string: $0) }),
            settings: settings)
        #expect(decision.findings.first?.code == code)
        #expect(decision.findings.first?.severity == severity)
        #expect(decision.findings.count <= 1)
    }

    @Test("an exceeded limit says by how much, with the numbers behind it")
    func creditFigures() {
        var settings = defaults
        settings.creditMode = .block
        let finding = PostingPolicy.evaluate(facts(total: Decimal(string: "250.50")!, balance: 900, limit: 1000), settings: settings).findings[0]
        #expect(finding.figures["exposure"] == "1150.5")
        #expect(finding.figures["over"] == "150.5")
        #expect(finding.message.contains("150.5 over its credit limit of 1000 EUR"))
    }

    @Test("every rule is evaluated and every finding collected, in rule order")
    func everyFindingCollected() {
        var settings = defaults
        settings.reviewRequired = true
        settings.creditMode = .block
        let decision = PostingPolicy.evaluate(
            facts(total: 2000, limit: 1000) {
                $0.onHoldForInvoices = true
                $0.cashSalesOnly = true
                $0.unreviewedItems = 1
                $0.linesMissingSerials = [MissingSerials(line: 1, product: "TV", missing: 1)]
                $0.linesShortOfStock = [StockShortage(line: 2, product: "CABLE", location: "MAIN", needed: 1, onHand: 0)]
                $0.disallowedTaxes = [DisallowedTax(line: 3, taxRate: "VAT", reason: "no")]
                $0.unavailableSerials = [UnavailableSerial(line: 1, product: "TV", serial: "SN-1", reason: "in stock at VAN")]
                $0.lineCount = 0
            }, settings: settings)
        #expect(
            decision.findings.map(\.rule) == [
                "has-lines", "on-hold", "cash-sales-only", "review-required", "serials-complete", "serials-available",
                "stock-available", "tax-allowed", "credit-limit",
            ])
        #expect(decision.blockers.count == 9)
    }

    @Test("disabled rules find nothing; overrides change a rule's severity")
    func disabledAndOverridden() {
        var settings = defaults
        settings.disabledRules = ["on-hold"]
        settings.severityOverrides = ["serials-complete": .warn]
        let decision = PostingPolicy.evaluate(
            facts {
                $0.onHoldForInvoices = true
                $0.linesMissingSerials = [MissingSerials(line: 1, product: "TV", missing: 1)]
            }, settings: settings)
        #expect(codes(decision) == ["serials-missing"])
        #expect(decision.findings[0].severity == .warn)
        #expect(decision.canPost)
    }

    @Test("a batch adds each customer's earlier invoices that will post to its exposure; blocked ones do not count")
    func batchExposure() {
        var settings = defaults
        settings.creditMode = .block
        let batch = [
            facts("A", total: 400, limit: 1000), facts("B", total: 900, limit: 1000), facts("A", total: 500, limit: 1000),
            facts("A", total: 200, limit: 1000), facts("B", total: 200, limit: 1000), facts("A", total: 100, limit: 1000),
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings)
        #expect(decisions.map(\.canPost) == [true, true, true, false, false, true])
        #expect(decisions[3].findings[0].figures["earlier_in_batch"] == "900")
        #expect(decisions[5].findings.first?.figures["earlier_in_batch"] == "900", "the blocked 200 does not count")
    }

    @Test("settings are read from their stored JSON, and a bad value names its key")
    func storedSettings() throws {
        let settings = try PolicySettings(stored: [
            "credit_mode": "\"block\"", "credit_watch_ratio": "0.8", "review_required": "true",
            "disabled_rules": "[\"tax-allowed\"]", "severity_overrides": "{\"on-hold\": \"warn\"}", "create_customer_items": "true",
        ])
        #expect(settings.creditMode == .block)
        #expect(settings.creditWatchRatio == Decimal(string: "0.8"))
        #expect(settings.reviewRequired)
        #expect(settings.disabledRules == ["tax-allowed"])
        #expect(settings.severityOverrides == ["on-hold": .warn])
        #expect(throws: PolicySettingsError(key: "credit_mode", problem: "must be \"off\", \"warn\" or \"block\"")) {
            try PolicySettings(stored: ["credit_mode": "\"sometimes\""])
        }
        #expect(throws: PolicySettingsError.self) { try PolicySettings(stored: ["review_required": "yes please"]) }
        #expect(throws: PolicySettingsError.self) { try PolicySettings(stored: ["credit_watch_ratio": "2"]) }
    }
}

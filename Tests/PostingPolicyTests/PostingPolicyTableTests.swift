import Foundation
@testable import PostingPolicy
import Testing

// Table-driven tests of the posting policy: every rule, each condition and its boundary, the
// rule set built from settings, batches, and the stored settings.
//
// Money is written as text and read with `Decimal(string:)`: a floating-point literal such as
// `0.01` would reach `Decimal` through `Double`.

/// Exact decimal from text.
private func money(_ text: String) -> Decimal {
    guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
        preconditionFailure("not a decimal: \(text)")
    }
    return value
}

/// A clean draft for `customer` (EUR), changed by `change`.
private func draft(_ customer: String = "ACME", id: Int64 = 1, total: String = "100", balance: String = "0", limit: String? = nil,
                   _ change: (inout InvoiceFacts) -> Void = { _ in }) -> InvoiceFacts {
    var facts = InvoiceFacts(invoiceID: id, reference: "draft \(id)", customer: customer, customerCurrency: "EUR",
                             onHoldForInvoices: false, cashSalesOnly: false, creditLimit: limit.map(money),
                             openBalance: money(balance), invoiceTotal: money(total))
    change(&facts)
    return facts
}

private func settings(credit: CreditMode = .warn, ratio: String = "0.9", review: Bool = false, disabled: Set<String> = [],
                      overrides: [String: Severity] = [:]) -> PolicySettings {
    PolicySettings(creditMode: credit, creditWatchRatio: money(ratio), reviewRequired: review, disabledRules: disabled, severityOverrides: overrides)
}

/// Facts that trip all six rules of the brief: on hold, Cash Sales Only unpaid, two unreviewed
/// items, two lines without serials, two lines with a tax rate not allowed, over the credit limit.
private func everythingWrong() -> InvoiceFacts {
    draft(total: "1500", balance: "0", limit: "1000") {
        $0.onHoldForInvoices = true
        $0.cashSalesOnly = true
        $0.unreviewedItems = 2
        $0.itemsToCreate = 3
        $0.linesMissingSerials = [MissingSerials(line: 4, product: "FRIDGE", missing: 1), MissingSerials(line: 1, product: "TV55", missing: 2)]
        $0.disallowedTaxes = [DisallowedTax(line: 3, taxRate: "VAT21", reason: "customer ACME is tax exempt and VAT21 is not an exempt rate"),
                              DisallowedTax(line: 2, taxRate: "VAT6", reason: "VAT6 is not one of the rates of tax category EXPORT")]
    }
}

private let sixRules = ["on-hold", "cash-sales-only", "review-required", "serials-complete", "tax-allowed", "credit-limit"]

// MARK: - on-hold

@Suite("on-hold: a customer on hold for sales invoices")
struct OnHoldRuleTests {
    @Test("a customer on hold for sales invoices is refused; one that is not posts", arguments: [
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
        #expect(finding == [Finding(rule: "on-hold", severity: .block, code: "customer-on-hold",
                                    message: "Customer ACME is on hold for sales invoices: release the hold before posting.")])
    }
}

// MARK: - cash-sales-only

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
    @Test("Cash Sales Only: refused in a mass posting even when paid, refused alone unless paid in full; other terms never", arguments: [
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
        let decision = PostingPolicy.evaluate(draft {
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
        let mass = CashSalesOnlyRule().evaluate(draft { $0.cashSalesOnly = true; $0.massPosting = true })
        #expect(mass.map(\.message) == ["Customer ACME has Cash Sales Only terms: post and pay this invoice individually."])
        let single = CashSalesOnlyRule().evaluate(draft { $0.cashSalesOnly = true })
        #expect(single.count == 1)
        #expect(single[0].message.hasPrefix("Customer ACME has Cash Sales Only terms"))
        #expect(single[0].message.hasSuffix("must be paid in full when posted: use post and pay."))
    }
}

// MARK: - review-required

struct ReviewCase: Sendable, CustomTestStringConvertible {
    var required: Bool
    var unreviewed: Int
    var blocks: Bool
    var testDescription: String { "review \(required ? "required" : "not required"), \(unreviewed) unreviewed → \(blocks ? "refused" : "posts")" }
}

@Suite("review-required: customer item details confirmed before posting, when the setting asks")
struct ReviewRequiredRuleTests {
    @Test("unreviewed customer items refuse the posting only when review is required", arguments: [
        ReviewCase(required: false, unreviewed: 0, blocks: false),
        ReviewCase(required: false, unreviewed: 1, blocks: false),
        ReviewCase(required: false, unreviewed: 5, blocks: false),
        ReviewCase(required: true, unreviewed: 0, blocks: false),
        ReviewCase(required: true, unreviewed: 1, blocks: true),
        ReviewCase(required: true, unreviewed: 5, blocks: true),
    ])
    func review(_ row: ReviewCase) {
        let decision = PostingPolicy.evaluate(draft { $0.unreviewedItems = row.unreviewed; $0.itemsToCreate = 5 }, settings: settings(review: row.required))
        #expect(decision.findings.map(\.code) == (row.blocks ? ["customer-items-unreviewed"] : []))
        #expect(decision.canPost == !row.blocks)
        if row.blocks {
            #expect(decision.findings[0].figures["unreviewed"] == String(row.unreviewed))
            #expect(decision.findings[0].rule == "review-required")
        }
    }

    @Test("the finding says how many items to review", arguments: [(1, "Review the 1 customer item this invoice will create, then post."),
                                                                      (3, "Review the 3 customer items this invoice will create, then post.")])
    func message(_ unreviewed: Int, _ message: String) {
        let findings = ReviewRequiredRule(required: true).evaluate(draft { $0.unreviewedItems = unreviewed; $0.itemsToCreate = 3 })
        #expect(findings.map(\.message) == [message])
    }

    @Test("items to create that are all reviewed do not refuse the posting")
    func reviewedItems() {
        let decision = PostingPolicy.evaluate(draft { $0.itemsToCreate = 4 }, settings: settings(review: true))
        #expect(decision.findings.isEmpty)
    }
}

// MARK: - serials-complete

struct SerialsCase: Sendable, CustomTestStringConvertible {
    var name: String
    var missing: [MissingSerials]
    var lines: [String]
    var testDescription: String { name }
}

@Suite("serials-complete: every serial-tracked line carries its serials")
struct SerialsCompleteRuleTests {
    @Test("each line missing serials is one finding, in line order", arguments: [
        SerialsCase(name: "no line missing serials", missing: [], lines: []),
        SerialsCase(name: "one line", missing: [MissingSerials(line: 3, product: "TV55", missing: 2)], lines: ["3"]),
        SerialsCase(name: "three lines, given out of order",
                    missing: [MissingSerials(line: 7, product: "FRIDGE", missing: 1), MissingSerials(line: 2, product: "TV55", missing: 2),
                              MissingSerials(line: 5, product: "CARPET", missing: money("0.5"))],
                    lines: ["2", "5", "7"]),
    ])
    func serials(_ row: SerialsCase) {
        let decision = PostingPolicy.evaluate(draft { $0.linesMissingSerials = row.missing }, settings: settings())
        #expect(decision.findings.map { $0.figures["line"] } == row.lines)
        #expect(decision.findings.allSatisfy { $0.rule == "serials-complete" && $0.code == "serials-missing" && $0.severity == .block })
        #expect(decision.blockers.count == row.missing.count)
    }

    @Test("the finding says how many serials to load on which line, of which product", arguments: [
        (MissingSerials(line: 3, product: "TV55", missing: 2), "Load 2 serial numbers on line 3 (TV55).", "2"),
        (MissingSerials(line: 1, product: "TV55", missing: 1), "Load 1 serial number on line 1 (TV55).", "1"),
        (MissingSerials(line: 9, product: "CABLE", missing: money("2.5")), "Load 2.5 serial numbers on line 9 (CABLE).", "2.5"),
    ])
    func message(_ missing: MissingSerials, _ message: String, _ figure: String) {
        let findings = SerialsCompleteRule().evaluate(draft { $0.linesMissingSerials = [missing] })
        #expect(findings.map(\.message) == [message])
        #expect(findings.first?.figures == ["line": String(missing.line), "product": missing.product, "missing": figure])
    }
}

// MARK: - tax-allowed

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

// MARK: - credit-limit

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
        CreditCase(name: "credit rule off: far over the limit, nothing", mode: .off, limit: "1000", balance: "5000", total: "100", code: nil, severity: nil),
        CreditCase(name: "no limit in block mode: nothing", mode: .block, limit: nil, balance: "1000000", total: "1000000", code: nil, severity: nil),
        CreditCase(name: "no limit in warn mode: nothing", mode: .warn, limit: nil, balance: "0", total: "1", code: nil, severity: nil),
        // The limit itself.
        CreditCase(name: "exactly at the limit in block mode is not over (watch)", mode: .block, limit: "1000", balance: "900", total: "100",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "one cent over in block mode is refused", mode: .block, limit: "1000", balance: "900", total: "100.01",
                   code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(name: "one cent over in warn mode warns", mode: .warn, limit: "1000", balance: "900", total: "100.01",
                   code: "credit-limit-exceeded", severity: .warn, over: "0.01"),
        CreditCase(name: "one cent over with the rule off: nothing", mode: .off, limit: "1000", balance: "900", total: "100.01", code: nil, severity: nil),
        CreditCase(name: "exactness: 0.1 + 0.2 against a limit of 0.3 is not over", mode: .block, limit: "0.3", balance: "0.1", total: "0.2",
                   code: "credit-limit-watch", severity: .info),
        // The watch line.
        CreditCase(name: "one cent under 90 % of the limit: nothing", mode: .warn, limit: "1000", balance: "0", total: "899.99", code: nil, severity: nil),
        CreditCase(name: "exactly 90 % of the limit: watch", mode: .warn, limit: "1000", balance: "0", total: "900", code: "credit-limit-watch", severity: .info),
        CreditCase(name: "exactly 90 % of the limit in block mode: watch, posts", mode: .block, limit: "1000", balance: "800", total: "100",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "a watch ratio of 0.75: exactly 75 % is watched", mode: .warn, limit: "2000", balance: "1000", total: "500", ratio: "0.75",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "a watch ratio of 0.75: one cent under 75 % is not", mode: .warn, limit: "2000", balance: "1000", total: "499.99", ratio: "0.75",
                   code: nil, severity: nil),
        CreditCase(name: "a watch ratio of 1: only exactly at the limit is watched", mode: .warn, limit: "1000", balance: "0", total: "1000", ratio: "1",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "a watch ratio of 1: one cent under the limit is not", mode: .warn, limit: "1000", balance: "0", total: "999.99", ratio: "1",
                   code: nil, severity: nil),
        // A zero limit.
        CreditCase(name: "a zero limit allows nothing: one cent is over", mode: .block, limit: "0", balance: "0", total: "0.01",
                   code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(name: "a zero limit with nothing owed: no watch note", mode: .block, limit: "0", balance: "0", total: "0", code: nil, severity: nil),
        CreditCase(name: "a zero limit and a credit note bringing the balance below zero: nothing", mode: .block, limit: "0", balance: "-50",
                   total: "20", code: nil, severity: nil),
        // Every part of the exposure counts.
        CreditCase(name: "a credit balance lowers the exposure", mode: .block, limit: "1000", balance: "-500", total: "1400",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "earlier invoices in the batch count", mode: .block, limit: "1000", balance: "500", earlier: "400", total: "100.01",
                   code: "credit-limit-exceeded", severity: .block, over: "0.01"),
        CreditCase(name: "earlier invoices in the batch up to exactly the limit", mode: .block, limit: "1000", balance: "500", earlier: "400", total: "100",
                   code: "credit-limit-watch", severity: .info),
        CreditCase(name: "already over before this invoice", mode: .warn, limit: "1000", balance: "1200.50", total: "0",
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
        #expect(findings == [Finding(
            rule: "credit-limit", severity: .block, code: "credit-limit-exceeded",
            message: "Customer ACME would owe 1200.5 EUR, 200.5 over its credit limit of 1000 EUR: take a payment, raise the limit, or post later.",
            figures: ["limit": "1000", "open_balance": "750", "earlier_in_batch": "150", "invoice_total": "300.5", "exposure": "1200.5", "over": "200.5"])])
    }

    @Test("a watch note gives the numbers, without an amount over")
    func watchFigures() {
        let findings = CreditLimitRule(mode: .warn, watchRatio: money("0.9")).evaluate(draft(total: "50", balance: "900", limit: "1000"))
        #expect(findings.map(\.code) == ["credit-limit-watch"])
        #expect(findings.first?.figures == ["limit": "1000", "open_balance": "900", "earlier_in_batch": "0", "invoice_total": "50", "exposure": "950"])
        #expect(findings.first?.message.contains("950 EUR of its 1000 EUR credit limit") == true)
    }

    @Test("figures are plain decimal text", arguments: [("1000", "1000"), ("1000.00", "1000"), ("1200.50", "1200.5"), ("0.01", "0.01"),
                                                           ("-25.5", "-25.5"), ("123456789012.34", "123456789012.34")])
    func plainFigures(_ text: String, _ figure: String) {
        #expect(money(text).figure == figure)
    }
}

// MARK: - The rule set

@Suite("The rule set: every rule evaluated, every finding collected, settings applied")
struct RuleSetFromSettingsTests {
    @Test("the rules run in the documented order")
    func order() {
        let ids = PostingPolicy.ruleSet(settings()).rules.map(\.id)
        #expect(ids.filter(sixRules.contains) == sixRules)
        #expect(Set(ids) == Set(sixRules + ["stock-available", "has-lines", "serials-available"]))
    }

    @Test("an invoice that trips all six rules gets every finding, in rule order and line order", arguments: [CreditMode.warn, .block])
    func everyFinding(_ mode: CreditMode) {
        let decision = PostingPolicy.evaluate(everythingWrong(), settings: settings(credit: mode, review: true))
        #expect(decision.findings.map(\.rule) == ["on-hold", "cash-sales-only", "review-required", "serials-complete", "serials-complete",
                                                  "tax-allowed", "tax-allowed", "credit-limit"])
        #expect(decision.findings.map(\.code) == ["customer-on-hold", "cash-sales-only-unpaid", "customer-items-unreviewed", "serials-missing",
                                                  "serials-missing", "tax-rate-not-allowed", "tax-rate-not-allowed", "credit-limit-exceeded"])
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
        #expect(!PostingPolicy.ruleSet(off).rules.map(\.id).contains(rule))
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

    @Test("a severity override changes every blocking or warning finding of its rule, and only of its rule", arguments: sixRules, [Severity.info, .warn])
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

    @Test("a credit limit overridden to block refuses even in warn mode; an override never raises a watch note", arguments: [
        ("1000.01", "credit-limit-exceeded", Severity.block), ("950", "credit-limit-watch", .info),
    ])
    func creditOverride(_ total: String, _ code: String, _ severity: Severity) {
        let decision = PostingPolicy.evaluate(draft(total: total, limit: "1000"), settings: settings(credit: .warn, overrides: ["credit-limit": .block]))
        #expect(decision.findings.map(\.code) == [code])
        #expect(decision.findings.map(\.severity) == [severity])
    }

    @Test("an override of a disabled rule, or of a rule that does not exist, changes nothing")
    func overrideOfNothing() {
        let decision = PostingPolicy.evaluate(draft { $0.onHoldForInvoices = true },
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

// MARK: - Batches

@Suite("Batches: each customer's earlier invoices that will post add to its exposure")
struct BatchTests {
    private func earlier(_ decisions: [Decision]) -> [String?] {
        decisions.map { $0.findings.first { $0.rule == "credit-limit" }?.figures["earlier_in_batch"] }
    }

    @Test("two customers interleaved: each accumulates only its own invoices, and a refused invoice does not count")
    func interleaved() {
        let batch = [
            draft("A", id: 1, total: "400", limit: "1000"),   // A: 0 + 400          posts
            draft("B", id: 2, total: "900", limit: "1000"),   // B: 0 + 900 (watch)  posts
            draft("A", id: 3, total: "500", limit: "1000"),   // A: 400 + 500 (watch) posts
            draft("A", id: 4, total: "200", limit: "1000"),   // A: 900 + 200 = 1100 refused
            draft("B", id: 5, total: "100.01", limit: "1000"), // B: 900 + 100.01   refused
            draft("A", id: 6, total: "100", limit: "1000"),   // A: 900 + 100 = 1000 exactly: posts
            draft("B", id: 7, total: "100", limit: "1000"),   // B: 900 + 100 = 1000 exactly: posts
            draft("A", id: 8, total: "0.01", limit: "1000"),  // A: 1000 + 0.01    refused
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [true, true, true, false, false, true, true, false])
        #expect(earlier(decisions) == [nil, "0", "400", "900", "900", "900", "900", "1000"])
        #expect(decisions[7].findings.first?.figures["over"] == "0.01")
    }

    @Test("an invoice refused by another rule does not count toward the customer's later exposure")
    func refusedByAnotherRule() {
        let batch = [
            draft("A", id: 1, total: "600", limit: "1000") { $0.linesMissingSerials = [MissingSerials(line: 1, product: "TV55", missing: 1)] },
            draft("A", id: 2, total: "500", limit: "1000"),
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [false, true])
        #expect(decisions[1].findings.isEmpty, "500 of 1000 is under the watch line: the refused 600 does not count")
    }

    @Test("in warn mode an invoice over the limit still posts, so it counts for the next one")
    func warnedInvoicesCount() {
        let batch = [draft("A", id: 1, total: "800", limit: "1000"), draft("A", id: 2, total: "800", limit: "1000"), draft("A", id: 3, total: "1", limit: "1000")]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .warn))
        #expect(decisions.map(\.canPost) == [true, true, true])
        #expect(earlier(decisions) == [nil, "800", "1600"])
        #expect(decisions[1].findings.map(\.severity) == [.warn])
    }

    @Test("the batch works out earlierInBatch itself, whatever the facts say, and keeps the input order")
    func batchSetsEarlier() {
        let batch = [draft("A", id: 1, total: "10", limit: "100") { $0.earlierInBatch = 5000 }, draft("B", id: 2, total: "95", limit: "100")]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [true, true])
        #expect(decisions[0].findings.isEmpty)
        #expect(decisions[1].findings.map(\.code) == ["credit-limit-watch"])
    }

    @Test("a batch of one is the invoice on its own; an empty batch has no decisions")
    func oneAndNone() {
        let facts = everythingWrong()
        #expect(PostingPolicy.evaluateBatch([facts], settings: settings()) == [PostingPolicy.evaluate(facts, settings: settings())])
        #expect(PostingPolicy.evaluateBatch([], settings: settings()).isEmpty)
    }
}

// MARK: - Facts and settings

@Suite("Facts and settings")
struct FactsAndSettingsTests {
    @Test("facts default to nothing wrong and survive a round trip through JSON")
    func factsDefaults() throws {
        let facts = InvoiceFacts(invoiceID: 42, reference: "draft 42", customer: "ACME", customerCurrency: "EUR", onHoldForInvoices: false,
                                 cashSalesOnly: false, creditLimit: nil, openBalance: 0, invoiceTotal: money("19.99"))
        #expect(!facts.paidInFull && !facts.massPosting)
        #expect(facts.earlierInBatch == 0)
        #expect(facts.linesMissingSerials.isEmpty && facts.disallowedTaxes.isEmpty)
        #expect(facts.unreviewedItems == 0 && facts.itemsToCreate == 0)
        let full = everythingWrong()
        #expect(try JSONDecoder().decode(InvoiceFacts.self, from: JSONEncoder().encode(full)) == full)
    }

    @Test("the defaults: credit warn, watch at exactly 0.9, no review, every rule on at its own severity")
    func defaults() throws {
        let fromNothing = try PolicySettings(stored: [:])
        for value in [PolicySettings(), fromNothing] {
            #expect(value.creditMode == .warn)
            #expect(value.creditWatchRatio == money("0.9"))
            #expect(!value.reviewRequired)
            #expect(value.disabledRules.isEmpty)
            #expect(value.severityOverrides.isEmpty)
        }
    }

    @Test("settings are read from their stored JSON texts; other keys are ignored")
    func stored() throws {
        let value = try PolicySettings(stored: [
            "credit_mode": "\"block\"", "credit_watch_ratio": "0.95", "review_required": "true",
            "disabled_rules": "[\"tax-allowed\", \"on-hold\"]", "severity_overrides": "{\"on-hold\":\"warn\", \"credit-limit\": \"info\"}",
            "create_customer_items": "true", "batch_serial_items": "not even JSON",
        ])
        #expect(value == PolicySettings(creditMode: .block, creditWatchRatio: money("0.95"), reviewRequired: true,
                                        disabledRules: ["tax-allowed", "on-hold"], severityOverrides: ["on-hold": .warn, "credit-limit": .info]))
    }

    @Test("each credit mode is read", arguments: CreditMode.allCases)
    func creditModes(_ mode: CreditMode) throws {
        #expect(try PolicySettings(stored: ["credit_mode": "\"\(mode.rawValue)\""]).creditMode == mode)
    }

    @Test("the watch ratio is read exactly", arguments: [("0.9", "0.9"), ("0.95", "0.95"), ("0", "0"), ("1", "1"), ("1.0", "1"), ("9e-1", "0.9"),
                                                           ("\"0.8\"", "0.8"), ("0.333333333333333333333", "0.333333333333333333333")])
    func ratios(_ text: String, _ expected: String) throws {
        #expect(try PolicySettings(stored: ["credit_watch_ratio": text]).creditWatchRatio == money(expected))
    }

    @Test("a malformed setting is an error naming its key", arguments: [
        ("credit_mode", "\"sometimes\""), ("credit_mode", "block"), ("credit_mode", "3"), ("credit_mode", "null"),
        ("credit_watch_ratio", "2"), ("credit_watch_ratio", "1.01"), ("credit_watch_ratio", "-0.1"), ("credit_watch_ratio", "0.9abc"),
        ("credit_watch_ratio", "1,000"), ("credit_watch_ratio", "abc"), ("credit_watch_ratio", "\"x\""), ("credit_watch_ratio", ""),
        ("credit_watch_ratio", "0x1"), ("credit_watch_ratio", "NaN"),
        ("review_required", "yes please"), ("review_required", "1"), ("review_required", "\"true\""), ("review_required", "null"),
        ("disabled_rules", "\"tax-allowed\""), ("disabled_rules", "[1]"), ("disabled_rules", "{}"), ("disabled_rules", "[\"tax-allowed\""),
        ("severity_overrides", "{\"on-hold\":\"maybe\"}"), ("severity_overrides", "[\"on-hold\"]"), ("severity_overrides", "{\"on-hold\": 1}"),
    ])
    func malformed(_ key: String, _ text: String) {
        let others = ["credit_mode": "\"warn\"", "review_required": "false", "unrelated": "}{"]
        let error = #expect(throws: PolicySettingsError.self) {
            try PolicySettings(stored: others.merging([key: text]) { _, new in new })
        }
        #expect(error?.key == key)
        #expect(error?.problem.isEmpty == false)
        #expect(error?.description.hasPrefix("setting \(key) ") == true)
    }

    @Test("the error says what a good value looks like", arguments: [
        ("credit_mode", "\"sometimes\"", "must be \"off\", \"warn\" or \"block\""),
        ("credit_watch_ratio", "2", "must be a number from 0 to 1"),
        ("review_required", "1", "must be true or false"),
        ("disabled_rules", "{}", "must be a list of rule ids"),
        ("severity_overrides", "{\"on-hold\":\"maybe\"}", "on-hold: 'maybe' is not info, warn or block"),
        ("credit_mode", "block", "is not JSON"),
    ])
    func problems(_ key: String, _ text: String, _ problem: String) {
        let error = #expect(throws: PolicySettingsError.self) { try PolicySettings(stored: [key: text]) }
        #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
    }
}

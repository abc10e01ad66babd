import Foundation
import Testing

@testable import PostingPolicy

@Suite("Facts and settings")
struct FactsAndSettingsTests {
    @Test("facts default to nothing wrong and survive a round trip through JSON")
    func factsDefaults() throws {
        let facts = InvoiceFacts(
            invoiceID: 42, reference: "draft 42", customer: "ACME", customerCurrency: "EUR", onHoldForInvoices: false,
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
        #expect(
            value
                == PolicySettings(
                    creditMode: .block, creditWatchRatio: money("0.95"), reviewRequired: true,
                    disabledRules: ["tax-allowed", "on-hold"], severityOverrides: ["on-hold": .warn, "credit-limit": .info]))
    }

    @Test("each credit mode is read", arguments: CreditMode.allCases)
    func creditModes(_ mode: CreditMode) throws {
        #expect(try PolicySettings(stored: ["credit_mode": "\"\(mode.rawValue)\""]).creditMode == mode)
    }

    @Test(
        "the watch ratio is read exactly",
        arguments: [
            ("0.9", "0.9"), ("0.95", "0.95"), ("0", "0"), ("1", "1"), ("1.0", "1"), ("9e-1", "0.9"),
            ("\"0.8\"", "0.8"), ("0.333333333333333333333", "0.333333333333333333333"),
        ])
    func ratios(_ text: String, _ expected: String) throws {
        #expect(try PolicySettings(stored: ["credit_watch_ratio": text]).creditWatchRatio == money(expected))
    }

    @Test(
        "a malformed setting is an error naming its key",
        arguments: [
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

    @Test(
        "the error says what a good value looks like",
        arguments: [
            ("credit_mode", "\"sometimes\"", "must be \"off\", \"warn\" or \"block\""),
            ("credit_watch_ratio", "2", "must be a number from 0 to 1"),
            ("review_required", "1", "must be true or false"),
            ("disabled_rules", "{}", "must be a list of rule ids"),
            ("severity_overrides", "{\"on-hold\":\"maybe\"}", "on-hold: 'maybe' is not info, warn or block"),
            ("credit_mode", "block", "is not JSON"),
            ("disabled_rules", "[\"credit-limt\"]", "names 'credit-limt', which is no rule: the rules are has-lines, on-hold"),
            ("severity_overrides", "{\"onhold\":\"warn\"}", "names 'onhold', which is no rule"),
        ])
    func problems(_ key: String, _ text: String, _ problem: String) {
        let error = #expect(throws: PolicySettingsError.self) { try PolicySettings(stored: [key: text]) }
        #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
    }
}

import Foundation
import Testing

@testable import PostingPolicy

// Table-driven tests of the posting policy: every rule, each condition and its boundary, the
// rule set built from settings, batches, and the stored settings.
//
// Money is written as text and read with `Decimal(string:)`: a floating-point literal such as
// `0.01` would reach `Decimal` through `Double`.

/// Exact decimal from text.
func money(_ text: String) -> Decimal {
    guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
        preconditionFailure("not a decimal: \(text)")
    }
    return value
}

/// A clean draft for `customer` (EUR), changed by `change`.
func draft(
    _ customer: String = "ACME", id: Int64 = 1, total: String = "100", balance: String = "0", limit: String? = nil,
    _ change: (inout InvoiceFacts) -> Void = { _ in }
) -> InvoiceFacts {
    var facts = InvoiceFacts(
        invoiceID: id, reference: "draft \(id)", customer: customer, customerCurrency: "EUR",
        onHoldForInvoices: false, cashSalesOnly: false, creditLimit: limit.map(money),
        openBalance: money(balance), invoiceTotal: money(total))
    change(&facts)
    return facts
}

func settings(
    credit: CreditMode = .warn, ratio: String = "0.9", review: Bool = false, disabled: Set<String> = [],
    overrides: [String: Severity] = [:]
) -> PolicySettings {
    PolicySettings(creditMode: credit, creditWatchRatio: money(ratio), reviewRequired: review, disabledRules: disabled, severityOverrides: overrides)
}

/// Facts that trip the six business rules: on hold, Cash Sales Only unpaid, two unreviewed
/// items, two lines without serials, two lines with a tax rate not allowed, over the credit limit.
func everythingWrong() -> InvoiceFacts {
    draft(total: "1500", balance: "0", limit: "1000") {
        $0.onHoldForInvoices = true
        $0.cashSalesOnly = true
        $0.unreviewedItems = 2
        $0.itemsToCreate = 3
        $0.linesMissingSerials = [MissingSerials(line: 4, product: "FRIDGE", missing: 1), MissingSerials(line: 1, product: "TV55", missing: 2)]
        $0.disallowedTaxes = [
            DisallowedTax(line: 3, taxRate: "VAT21", reason: "customer ACME is tax exempt and VAT21 is not an exempt rate"),
            DisallowedTax(line: 2, taxRate: "VAT6", reason: "VAT6 is not one of the rates of tax category EXPORT"),
        ]
    }
}

let sixRules = ["on-hold", "cash-sales-only", "review-required", "serials-complete", "tax-allowed", "credit-limit"]

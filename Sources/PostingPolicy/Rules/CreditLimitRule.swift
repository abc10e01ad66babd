import Foundation

/// What a customer would owe once the document is done (for an invoice: the open balance, plus the
/// same customer's invoices earlier in the batch, plus this invoice; for an order: the exposure
/// plus the order) against the credit limit. Its effect is a setting: off, warn or block
/// (`credit_mode` for invoices, `order_credit_mode` for orders). With a watch ratio, an amount
/// within the limit but at or above that share of it is noted.
struct CreditLimitRule<Facts: CreditFacts>: Rule {
    let id = RuleID.creditLimit
    let mode: CreditMode
    let watchRatio: Decimal?

    func evaluate(_ facts: Facts) -> [Finding] {
        // Without a rate the total in the customer's currency is unknown: conversion-rate blocks it.
        guard mode != .off, let limit = facts.creditLimit, let (exposure, parts) = facts.creditExposure else { return [] }
        var figures = parts.merging(["limit": limit.figure]) { $1 }
        let currency = facts.customerCurrency
        if exposure > limit {
            let over = exposure - limit
            figures["over"] = over.figure
            return [
                Finding(
                    rule: id, severity: mode == .block ? .block : .warn, code: "credit-limit-exceeded",
                    message: Self.overLimit(facts, exposure: exposure, over: over, limit: limit, currency: currency), figures: figures)
            ]
        }
        if let watchRatio, limit > 0, exposure >= limit * watchRatio {
            return [
                Finding(
                    rule: id, severity: .info, code: "credit-limit-watch",
                    message:
                        "Customer \(facts.customer) will owe \(exposure.figure) \(currency) of its \(limit.figure) \(currency) credit limit: this posts, but take a payment before the limit is reached.",
                    figures: figures)
            ]
        }
        return []
    }

    static func overLimit(_ facts: Facts, exposure: Decimal, over: Decimal, limit: Decimal, currency: String) -> String {
        switch Facts.kind {
        case .salesOrder:
            "Customer \(facts.customer) would have \(exposure.figure) \(currency) of exposure with \(facts.reference), \(over.figure) \(currency) over its credit limit of \(limit.figure) \(currency): take a payment, raise the limit, or book later."
        case .invoice, .creditNote:
            "Customer \(facts.customer) would owe \(exposure.figure) \(currency), \(over.figure) over its credit limit of \(limit.figure) \(currency): take a payment, raise the limit, or post later."
        }
    }
}

import Foundation

/// Open balance, plus the same customer's invoices earlier in the batch, plus this invoice,
/// against the credit limit. Its effect is a setting: off, warn (the default) or block.
struct CreditLimitRule: Rule {
    let id = "credit-limit"
    let mode: CreditMode
    let watchRatio: Decimal

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        // Without a rate the total in the customer's currency is unknown: conversion-rate blocks it.
        guard mode != .off, let limit = facts.creditLimit, facts.missingRate == nil else { return [] }
        let exposure = facts.openBalance + facts.earlierInBatch + facts.invoiceTotal
        var figures = [
            "limit": limit.figure, "open_balance": facts.openBalance.figure, "earlier_in_batch": facts.earlierInBatch.figure,
            "invoice_total": facts.invoiceTotal.figure, "exposure": exposure.figure,
        ]
        let currency = facts.customerCurrency
        if exposure > limit {
            let over = exposure - limit
            figures["over"] = over.figure
            return [
                Finding(
                    rule: id, severity: mode == .block ? .block : .warn, code: "credit-limit-exceeded",
                    message:
                        "Customer \(facts.customer) would owe \(exposure.figure) \(currency), \(over.figure) over its credit limit of \(limit.figure) \(currency): take a payment, raise the limit, or post later.",
                    figures: figures)
            ]
        }
        if limit > 0, exposure >= limit * watchRatio {
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
}

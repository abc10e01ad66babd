/// Cash Sales Only terms: every invoice is paid in full when it is posted, so such invoices post
/// one at a time with their payment, never in a mass posting.
struct CashSalesOnlyRule: Rule {
    let id = RuleID.cashSalesOnly

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        guard facts.cashSalesOnly else { return [] }
        if facts.massPosting {
            return [
                Finding(
                    rule: id, severity: .block, code: "post-and-pay-individually",
                    message: "Customer \(facts.customer) has Cash Sales Only terms: post and pay this invoice individually.")
            ]
        }
        guard !facts.paidInFull else { return [] }
        if let payment = facts.payment {
            return [
                Finding(
                    rule: id, severity: .block, code: "cash-sales-only-part-paid",
                    message: "Customer \(facts.customer) has Cash Sales Only terms, so \(facts.reference) must be paid in full when posted: "
                        + "the amount due is \(payment.due.figure) \(payment.currency), not \(payment.amount.figure).",
                    figures: ["due": payment.due.figure, "paid": payment.amount.figure, "currency": payment.currency])
            ]
        }
        return [
            Finding(
                rule: id, severity: .block, code: "cash-sales-only-unpaid",
                message:
                    "Customer \(facts.customer) has Cash Sales Only terms, so \(facts.reference) must be paid in full when posted: use post and pay.")
        ]
    }
}

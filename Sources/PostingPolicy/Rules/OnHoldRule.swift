/// A customer on hold for sales invoices gets none posted.
struct OnHoldRule: Rule {
    let id = "on-hold"

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        guard facts.onHoldForInvoices else { return [] }
        return [
            Finding(
                rule: id, severity: .block, code: "customer-on-hold",
                message: "Customer \(facts.customer) is on hold for sales invoices: release the hold before posting.")
        ]
    }
}

/// A customer on hold for sales invoices gets none of its documents posted: neither invoices nor
/// the credit notes that correct them.
struct OnHoldRule<Facts: DocumentFacts>: Rule {
    let id = "on-hold"

    func evaluate(_ facts: Facts) -> [Finding] {
        guard facts.onHoldForInvoices else { return [] }
        return [
            Finding(
                rule: id, severity: .block, code: "customer-on-hold",
                message: "Customer \(facts.customer) is on hold for sales invoices: release the hold before posting.")
        ]
    }
}

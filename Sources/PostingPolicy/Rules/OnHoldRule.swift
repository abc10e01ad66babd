/// A customer on hold for a kind of document gets none of it done: an invoice or a credit note is
/// not posted while the hold blocks sales invoices, an order not booked while it blocks sales orders.
struct OnHoldRule<Facts: DocumentFacts>: Rule {
    let id = RuleID.onHold

    func evaluate(_ facts: Facts) -> [Finding] {
        guard facts.isHeld else { return [] }
        let kind = Facts.kind
        let before = kind == .salesOrder ? "booking \(facts.reference)" : kind.act
        return [
            Finding(
                rule: id, severity: .block, code: kind.holdCode,
                message: "Customer \(facts.customer) is on hold for \(kind.heldDocuments): release the hold before \(before).")
        ]
    }
}

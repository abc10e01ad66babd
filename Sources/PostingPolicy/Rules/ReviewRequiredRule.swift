/// When the setting asks for it, the details of every customer item an invoice creates must be
/// confirmed before it posts.
struct ReviewRequiredRule: Rule {
    let id = RuleID.reviewRequired
    let required: Bool

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        guard required, facts.unreviewedItems > 0 else { return [] }
        let items = facts.unreviewedItems == 1 ? "customer item" : "customer items"
        return [
            Finding(
                rule: id, severity: .block, code: "customer-items-unreviewed",
                message: "Review the \(facts.unreviewedItems) \(items) this invoice will create, then post.",
                figures: ["unreviewed": String(facts.unreviewedItems), "items": String(facts.itemsToCreate)])
        ]
    }
}

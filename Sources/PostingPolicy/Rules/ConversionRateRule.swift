/// An invoice in another currency than its customer's enters the balance at the rate valid on its
/// date: without one it cannot post, and says which rate to add.
struct ConversionRateRule: Rule {
    let id = RuleID.conversionRate

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        guard let rate = facts.missingRate else { return [] }
        return [
            Finding(
                rule: id, severity: .block, code: "conversion-rate-missing",
                message:
                    "There is no conversion rate from \(rate.from) to \(rate.to) valid on \(rate.date), the date of \(facts.reference): add one valid from that date or earlier, or change the invoice's date.",
                figures: ["from": rate.from, "to": rate.to, "date": rate.date])
        ]
    }
}

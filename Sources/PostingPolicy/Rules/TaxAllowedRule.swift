/// Tax-exempt customers use exempt rates only; a customer in a tax category uses its rates only.
struct TaxAllowedRule: Rule {
    let id = RuleID.taxAllowed

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        facts.disallowedTaxes.sorted { $0.line < $1.line }.map { tax in
            Finding(
                rule: id, severity: .block, code: "tax-rate-not-allowed",
                message: "Choose another tax rate for line \(tax.line): \(tax.taxRate) is not allowed (\(tax.reason)).",
                figures: ["line": String(tax.line), "tax_rate": tax.taxRate, "reason": tax.reason])
        }
    }
}

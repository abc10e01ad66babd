/// Tax-exempt customers use exempt rates only; a customer in a tax category uses its rates only.
struct TaxAllowedRule: Rule {
    let id = "tax-allowed"

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        facts.disallowedTaxes.sorted { $0.line < $1.line }.map { tax in
            Finding(rule: id, severity: .block, code: "tax-rate-not-allowed",
                    message: "Line \(tax.line): \(tax.reason); choose a tax rate the customer may use.",
                    figures: ["line": String(tax.line), "tax_rate": tax.taxRate])
        }
    }
}

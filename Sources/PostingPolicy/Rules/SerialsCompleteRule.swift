/// Every serial-tracked line carries all its serials.
struct SerialsCompleteRule: Rule {
    let id = RuleID.serialsComplete

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        facts.linesMissingSerials.sorted { $0.line < $1.line }.map { missing in
            let noun = missing.missing == 1 ? "serial number" : "serial numbers"
            return Finding(
                rule: id, severity: .block, code: "serials-missing",
                message: "Load \(missing.missing.figure) \(noun) on line \(missing.line) (\(missing.product)).",
                figures: ["line": String(missing.line), "product": missing.product, "missing": missing.missing.figure])
        }
    }
}

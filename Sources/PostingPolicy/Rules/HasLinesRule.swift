/// An invoice without lines books nothing: it is finished or deleted, never posted.
struct HasLinesRule: Rule {
    let id = "has-lines"

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        guard facts.lineCount == 0 else { return [] }
        return [
            Finding(
                rule: id, severity: .block, code: "no-lines",
                message: "\(facts.reference) has no lines: add its lines, or delete the draft.")
        ]
    }
}

/// A document without lines books nothing: it is finished or deleted, never posted.
struct HasLinesRule<Facts: DocumentFacts>: Rule {
    let id = RuleID.hasLines

    func evaluate(_ facts: Facts) -> [Finding] {
        guard facts.lineCount == 0 else { return [] }
        return [
            Finding(
                rule: id, severity: .block, code: "no-lines",
                message: "\(facts.reference) has no lines: add its lines, or delete the draft.")
        ]
    }
}

/// Stock never goes below zero: each line's location has what it takes.
struct StockAvailableRule: Rule {
    let id = RuleID.stockAvailable

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        facts.linesShortOfStock.sorted { $0.line < $1.line }.map { short in
            let what = short.serial.map { "\(short.product) serial \($0)" } ?? short.product
            return Finding(
                rule: id, severity: .block, code: "stock-short",
                message:
                    "Line \(short.line) needs \(short.needed.figure) of \(what) at \(short.location), which has \(short.onHand.figure): receive or transfer stock first, or pick another serial.",
                figures: [
                    "line": String(short.line), "product": short.product, "location": short.location,
                    "needed": short.needed.figure, "on_hand": short.onHand.figure,
                ])
        }
    }
}

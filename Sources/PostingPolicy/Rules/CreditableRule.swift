/// A credit note takes back only what its invoice sold and has left to credit: quantities and
/// amounts within what is left, the serials that were sold and have not come back, and a unique
/// serial only while it is not in stock somewhere.
struct CreditableRule: Rule {
    let id = RuleID.creditable

    func evaluate(_ facts: CreditNoteFacts) -> [Finding] {
        facts.problems.map { problem in
            var figures = ["line": String(problem.line), "product": problem.product]
            if let serial = problem.serial { figures["serial"] = serial }
            if let left = problem.left { figures["left"] = left.figure }
            return Finding(
                rule: id, severity: .block, code: problem.code.rawValue.replacingOccurrences(of: "_", with: "-"),
                message: "Line \(problem.line) (\(problem.product)): " + Self.sentence(problem, facts), figures: figures)
        }
    }

    static func sentence(_ problem: CreditNoteProblem, _ facts: CreditNoteFacts) -> String {
        let left = problem.left?.figure ?? "0"
        let serial = problem.serial ?? ""
        switch problem.code {
        case .overQuantity:
            return "\(problem.quantity?.figure ?? "?") credited, but invoice line \(problem.invoiceLine ?? 0) has \(left) left to credit: "
                + "credit at most that, or delete this draft if an earlier credit note took it."
        case .overAmount:
            return "\(problem.amount?.figure ?? "?") \(facts.currency) credited, but invoice line \(problem.invoiceLine ?? 0) has \(left) "
                + "\(facts.currency) left to credit: lower the amount."
        case .serialsMissing:
            return "\(problem.needed?.figure ?? "?") come back and their serials name \(problem.given?.figure ?? "0"): name the serials of "
                + "exactly what comes back."
        case .serialNotSold:
            return "serial \(serial) was not sold on invoice \(facts.invoiceNumber): only what it sold comes back on its credit notes."
        case .serialReturned:
            return "serial \(serial) has come back already: take it off this credit note."
        case .serialOver:
            return "serial \(serial): \(problem.quantity?.figure ?? "?") cannot come back, \(problem.sold?.figure ?? "?") was sold and "
                + "\(problem.returned?.figure ?? "0") is back already: lower its quantity."
        case .serialInStock:
            return "serial \(serial) is in stock at \(problem.location ?? "a location"), so it cannot come back: check the serial, or write the "
                + "wrong unit off first."
        }
    }
}

/// A unique serial is in one place at a time: a line sells it only from the location where it is
/// in stock. One sold, written off, at another location or named twice is refused with where it is.
struct SerialsAvailableRule: Rule {
    let id = RuleID.serialsAvailable

    func evaluate(_ facts: InvoiceFacts) -> [Finding] {
        facts.unavailableSerials.sorted { ($0.line, $0.serial) < ($1.line, $1.serial) }.map { serial in
            Finding(
                rule: id, severity: .block, code: "serial-unavailable",
                message:
                    "Line \(serial.line): serial \(serial.serial) of \(serial.product) cannot be sold here: it is \(serial.reason). Pick a serial in stock at the line's location.",
                figures: ["line": String(serial.line), "product": serial.product, "serial": serial.serial, "reason": serial.reason])
        }
    }
}

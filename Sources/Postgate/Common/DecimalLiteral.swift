import Foundation

extension Decimal {
    /// Reads a plain decimal literal as people type amounts and quantities (`12`, `-0.5`),
    /// exactly; anything else (`1e3`, `1,000`, `abc`, `.5`) is nil, never a guess.
    public init?(decimalLiteral text: String) {
        guard text.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil,
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        self = value
    }

    /// An amount with at least two decimals, as people write money: 592.9 → 592.90 (exact: more
    /// decimals stay).
    public var money: String {
        let text = description
        guard let dot = text.firstIndex(of: ".") else { return text + ".00" }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        return decimals >= 2 ? text : text + String(repeating: "0", count: 2 - decimals)
    }
}

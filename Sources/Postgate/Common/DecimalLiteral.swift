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
}

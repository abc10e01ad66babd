/// Every rule that guards a document, by its stable id (stored in the posting audit, named in the
/// settings `disabled_rules` and `severity_overrides`), with what a person does about a finding of
/// it. The console's reasons, the command line's advice and the HTTP findings read this one table.
public enum RuleID: String, Sendable, Hashable, Codable, CaseIterable {
    case hasLines = "has-lines"
    case onHold = "on-hold"
    case cashSalesOnly = "cash-sales-only"
    case reviewRequired = "review-required"
    case serialsComplete = "serials-complete"
    case serialsAvailable = "serials-available"
    case stockAvailable = "stock-available"
    case taxAllowed = "tax-allowed"
    case conversionRate = "conversion-rate"
    case creditLimit = "credit-limit"
    case creditable

    /// A short name for the reason, for grouping and filtering (`hold`, `credit`).
    public var label: String {
        switch self {
        case .hasLines: "lines"
        case .onHold: "hold"
        case .cashSalesOnly: "cash"
        case .reviewRequired: "review"
        case .serialsComplete: "serial"
        case .serialsAvailable: "serial-unavailable"
        case .stockAvailable: "stock"
        case .taxAllowed: "tax"
        case .conversionRate: "rate"
        case .creditLimit: "credit"
        case .creditable: "creditable"
        }
    }

    /// What the reason is and what to do about it, in a few words, the same in the console, on
    /// the command line and over HTTP (a finding's own message says it for its document).
    public var whatToDo: String {
        switch self {
        case .hasLines: "No lines: add its lines, or delete the draft"
        case .onHold: "Customer on hold: release the hold on the customer"
        case .cashSalesOnly: "Cash Sales Only customer: post and pay the invoice on its own"
        case .reviewRequired: "Customer items need review: review them on the invoice"
        case .serialsComplete: "Serial numbers missing: enter them on the invoice"
        case .serialsAvailable: "A serial is not available: choose another on the invoice"
        case .stockAvailable: "Short of stock: receive the goods first"
        case .taxAllowed: "A tax rate the customer may not have: change the line's tax rate"
        case .conversionRate: "No conversion rate on the document's date: add the rate"
        case .creditLimit: "Over the customer's credit limit: take a payment or raise the limit"
        case .creditable: "More than the invoice has left to credit: credit less"
        }
    }
}

extension Finding {
    /// The rule that found it (nil for an id this version does not know, as an old audit may hold).
    public var ruleID: RuleID? { RuleID(rawValue: rule) }
}

extension Finding {
    public init(rule: RuleID, severity: Severity, code: String, message: String, figures: [String: String] = [:]) {
        self.init(rule: rule.rawValue, severity: severity, code: code, message: message, figures: figures)
    }
}

import Foundation
import Postgate

/// What to run next after a refusal, from its kind and field: the database says what is missing,
/// the command line says which command makes it.
enum NextSteps {
    /// The command that creates the thing a field names, for a code that does not exist.
    static let creating: [String: (words: String, rest: String)] = [
        "customer": ("customers add", "CODE --name NAME --price-list PRICE-LIST --terms TERMS"),
        "price_list": ("ref price-lists add", "CODE --name NAME --currency CUR"),
        "payment_terms": ("ref terms add", "CODE --name NAME --net-days N"),
        "payment_method": ("ref payment-methods add", "CODE --name NAME"),
        "financial_account": ("ref accounts add", "CODE --name NAME --currency CUR --methods M1,M2"),
        "invoice_schedule": ("ref schedules add", "CODE --name NAME"),
        "tax_rate": ("ref taxes add", "CODE --name NAME --rate PERCENT"),
        "default_tax_rate": ("ref taxes add", "CODE --name NAME --rate PERCENT"),
        "tax_category": ("ref tax-categories add", "CODE --name NAME --rates R1,R2"),
        "sales_rep": ("ref employees add", "CODE --name NAME"),
        "currency": ("ref currencies add", "CODE --name NAME"),
        "product": ("products add", "CODE --name NAME"),
        "customer_item_type": ("products item-types add", "CODE --name NAME --warranty-months M"),
        "item_type": ("products item-types add", "CODE --name NAME --warranty-months M"),
        "location": ("stock locations add", "CODE --name NAME"),
        "from": ("stock locations add", "CODE --name NAME"),
        "to": ("stock locations add", "CODE --name NAME"),
        "reason": ("adjustments reasons", "CODE --name NAME"),
        "series": ("ref series add", "CODE --prefix PREFIX"),
    ]

    /// The command that lists the things a field names by id or number.
    static let listing: [String: (words: String, command: String)] = [
        "order": ("The orders", "orders list"),
        "shipment": ("The orders, and their shipments with orders show", "orders list"),
        "credit_note": ("The credit notes", "credit-notes list"),
        "credit_note_number": ("The credit notes", "credit-notes list"),
    ]

    /// A sentence naming the command to run next, or nil when the error says enough.
    static func after(_ error: DomainError) -> String? {
        let field = error.field.map {
            String($0.split(separator: ".").last ?? "").replacingOccurrences(of: #"\[\d+\]"#, with: "", options: .regularExpression)
        }
        switch error.kind {
        case .notFound:
            if let field, let command = creating[field] {
                return "Check the code, or create it: \(CommandLineText.command(command.words, command.rest))"
            }
            if field == "invoice" || field == "invoices" { return "The drafts: \(CommandLineText.command("invoices list"))" }
            if let field, let listing = listing[field] { return "\(listing.words): \(CommandLineText.command(listing.command))" }
            return nil
        case .ruleViolated where field == "customer" && error.message.contains(" is on hold for "):
            return "Release it: \(CommandLineText.command("customers release", "CODE"))"
        case .missingRate:
            return "Add the rate: \(CommandLineText.command("ref rates add", "FROM TO RATE --valid-from DATE"))"
        case .stale:
            return "Show it again for its version, then change it with --version."
        default:
            return nil
        }
    }
}

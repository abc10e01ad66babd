import Foundation
import Postgate

/// What to run next after a refusal, from its kind and field: the database says what is missing,
/// the command line says which command makes it.
enum NextSteps {
    /// The command that creates each kind of thing a code names, by the table the database says
    /// the missing code should be in (`DomainError.table`).
    static let creating: [String: (words: String, rest: String)] = [
        "customers": ("customers add", "CODE --name NAME --price-list PRICE-LIST --terms TERMS"),
        "price_lists": ("ref price-lists add", "CODE --name NAME --currency CUR"),
        "payment_terms": ("ref terms add", "CODE --name NAME --net-days N"),
        "payment_methods": ("ref payment-methods add", "CODE --name NAME"),
        "financial_accounts": ("ref accounts add", "CODE --name NAME --currency CUR --methods M1,M2"),
        "invoice_schedules": ("ref schedules add", "CODE --name NAME"),
        "tax_rates": ("ref taxes add", "CODE --name NAME --rate PERCENT"),
        "tax_categories": ("ref tax-categories add", "CODE --name NAME --rates R1,R2"),
        "employees": ("ref employees add", "CODE --name NAME"),
        "currencies": ("ref currencies add", "CODE --name NAME"),
        "products": ("products add", "CODE --name NAME"),
        "customer_item_types": ("products item-types add", "CODE --name NAME --warranty-months M"),
        "locations": ("stock locations add", "CODE --name NAME"),
        "adjustment_reasons": ("adjustments reasons", "CODE --name NAME"),
        "invoice_series": ("ref series add", "CODE --prefix PREFIX"),
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
            // Chosen by the kind of thing the code should name, never by the field's name alone:
            // `from` is a currency to `ref rates`, a location to `stock transfer`.
            if let table = error.table, let command = creating[table] {
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

import Foundation
import Postgres
import PostingPolicy

extension PostingService {

    static let settingsQuery: PostgresQuery = "SELECT key, value FROM api.posting_settings()"

    static func settings(on connection: PostgresConnection) async throws -> PolicySettings {
        try settings(from: try await connection.query(settingsQuery))
    }

    /// The settings and the facts of the invoices for a posting of `mode` (see `facts`), read in
    /// one round trip after the statements `first` (settings of the transaction, say).
    static func settingsAndFacts(
        _ ids: [Int64], for mode: PostingMode, locking: Bool, after first: [PostgresQuery] = [], on connection: PostgresConnection
    ) async throws -> (PolicySettings, [Candidate]) {
        let outcomes = try await connection.pipeline(first + [settingsQuery, factsQuery(ids, locking: locking)])
        for outcome in outcomes.dropLast(2) { _ = try outcome.get() }
        return (try settings(from: try outcomes[first.count].get()), try facts(from: try outcomes[first.count + 1].get(), for: mode))
    }

    static func settings(from rows: PostgresResult) throws -> PolicySettings {
        var stored: [String: String] = [:]
        for row in rows {
            stored[try row.decode("key")] = try row.decode("value")
        }
        do {
            return try PolicySettings(stored: stored)
        } catch {
            throw DomainError(
                kind: .invalid, field: "settings", message: "a posting setting is invalid: \(error)", hint: "Fix it with api.set_setting(key, value)."
            )
        }
    }

    /// The facts of the invoices for a posting of `mode`; `locking` takes the customers' and
    /// invoices' locks first (a posting), else only reads (a preview).
    static func factsQuery(_ ids: [Int64], locking: Bool) -> PostgresQuery {
        "SELECT * FROM api.posting_facts(\(ids), \(locking))"
    }

    static func facts(from rows: PostgresResult, for mode: PostingMode) throws -> [Candidate] {
        let mass = mode == .mass
        let decoder = JSONDecoder.postgate
        func list<T: Decodable>(_ row: PostgresRow, _ column: String, as: T.Type) throws -> [T] {
            let text: String = try row.decode(column)
            return text == "[]" ? [] : try decoder.decode([T].self, from: Data(text.utf8))
        }
        struct ShortStock: Decodable {
            var line: Int
            var product: String
            var location: String
            var serial: String?
            var needed: Decimal
            var onHand: Decimal
        }
        return try rows.map { row in
            var facts = InvoiceFacts(
                invoiceID: try row.decode("invoice_id"), reference: try row.decode("reference"), customer: try row.decode("customer"),
                customerCurrency: try row.decode("customer_currency"), onHoldForInvoices: try row.decode("on_hold_invoices"),
                cashSalesOnly: try row.decode("cash_sales_only"), massPosting: mass,
                creditLimit: try row.decode("credit_limit"), openBalance: try row.decode("open_balance"),
                invoiceTotal: try row.decode("total_customer", as: Decimal?.self) ?? 0,
                linesMissingSerials: try list(row, "missing_serials", as: MissingSerials.self),
                disallowedTaxes: try list(row, "disallowed_taxes", as: DisallowedTax.self),
                unavailableSerials: try list(row, "unavailable_serials", as: UnavailableSerial.self),
                lineCount: try row.decode("line_count"),
                unreviewedItems: try row.decode("unreviewed"), itemsToCreate: try row.decode("items_to_create"),
                missingRate: try row.decode("missing_rate", as: String?.self).map { try decoder.decode(MissingRate.self, from: Data($0.utf8)) })
            facts.linesShortOfStock = try list(row, "short_stock", as: ShortStock.self).map {
                StockShortage(line: $0.line, product: $0.product, location: $0.location, serial: $0.serial, needed: $0.needed, onHand: $0.onHand)
            }
            // Without a rate, the total is only known in the invoice's own currency.
            let inCustomerCurrency: Decimal? = try row.decode("total_customer")
            return Candidate(
                facts: facts, version: try row.decode("version"), posted: try row.decode("status", as: InvoiceStatus.self) == .posted,
                total: try inCustomerCurrency ?? row.decode("total"),
                currency: try inCustomerCurrency == nil ? row.decode("currency") : row.decode("customer_currency"),
                invoiceTotal: try row.decode("total"), invoiceCurrency: try row.decode("currency"))
        }
    }
}

import Foundation
import Postgres
import PostingPolicy

extension PostingService {

    static func settings(on connection: PostgresConnection) async throws -> PolicySettings {
        var stored: [String: String] = [:]
        for row in try await connection.query("SELECT key, value FROM api.posting_settings()") {
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
    static func facts(_ ids: [Int64], for mode: PostingMode, locking: Bool, on connection: PostgresConnection) async throws -> [Candidate] {
        let lock = locking
        let mass = mode == .mass
        let rows = try await connection.query("SELECT * FROM api.posting_facts(\(ids), \(lock))")
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

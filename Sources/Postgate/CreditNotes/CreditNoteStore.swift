import Foundation
import Postgres

/// Credit notes, through the `api` functions any client may call: drafting, reading, deleting
/// drafts, and allocating a posted one's credit. Posting goes through `PostingService`.
public struct CreditNoteStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Drafts a credit note against a posted invoice; returns its id. Refused whole, naming the
    /// field, when it credits more than the invoice has left or names serials it did not sell.
    @discardableResult
    public func create(_ credit: NewCreditNote) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT (api.create_credit_note(\(JSONArgument(credit))) ->> 'credit_note_id')::bigint AS id")[0]
                .decode("id", as: Int64.self)
        }
    }

    public func creditNote(_ id: Int64) async throws -> CreditNote {
        try await domainErrors {
            let text = try await pool.query("SELECT api.get_credit_note(\(id))::text AS r")[0].decode("r", as: String.self)
            return try JSONDecoder.postgate.decode(CreditNote.self, from: Data(text.utf8))
        }
    }

    /// Credit notes, newest first: of a customer, of an invoice, or all.
    public func list(customer: String? = nil, invoiceNumber: Int64? = nil, limit: Int = 1000) async throws -> [CreditNoteSummary] {
        try await domainErrors {
            try await pool.query(
                "SELECT * FROM api.list_credit_notes(\(customer), \(invoiceNumber), \(Int32(clamping: limit)))"
            ).map { row in
                CreditNoteSummary(
                    id: try row.decode("credit_note_id"), number: try row.decode("number"), status: try row.decode("status"),
                    invoiceNumber: try row.decode("invoice_number"), customer: try row.decode("customer"), date: try row.decode("credit_date"),
                    currency: try row.decode("currency"), total: try row.decode("total"), unallocated: try row.decode("unallocated"),
                    version: try row.decode("version"))
            }
        }
    }

    public func delete(_ id: Int64) async throws {
        try await domainErrors { try await pool.query("SELECT api.delete_credit_note(\(id))") }
    }

    /// Allocates what a posted credit note has not allocated to other posted invoices of its
    /// customer (an allocation without an amount takes all the invoice can); returns the total.
    @discardableResult
    public func apply(_ number: Int64, to allocations: [NewPayment.Allocation]) async throws -> Decimal {
        try await domainErrors {
            try await pool.query("SELECT api.apply_credit_note(\(number), \(JSONArgument(allocations)))")[0].decode(0, as: Decimal.self)
        }
    }
}

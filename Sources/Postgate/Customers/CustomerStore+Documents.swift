import Foundation
import Postgres

/// What a customer owes and may yet owe (`report.customer_exposure`), in the customer's currency.
public struct CustomerExposure: Sendable, Hashable {
    public var currency: String
    public var creditLimit: Decimal?
    public var balance: Decimal
    public var bookedNotShipped: Decimal
    public var shippedNotInvoiced: Decimal
    /// Balance, booked not shipped and shipped not invoiced together.
    public var fullExposure: Decimal
    /// What the credit rules count (setting `credit_exposure`).
    public var countedByCreditRules: Decimal
    public var headroom: Decimal?
}

/// One of a customer's documents, as the console's customer page lists them.
public struct CustomerDocument: Sendable, Hashable {
    public enum Kind: String, Sendable { case draft, invoice, payment, adjustment }
    public var kind: Kind
    public var id: Int64
    /// The posted invoice's number.
    public var number: Int64?
    public var date: LocalDate
    public var currency: String
    public var amount: Decimal
    /// What is still open on a posted invoice.
    public var open: Decimal?
    public var reference: String
}

extension CustomerStore {
    public func exposure(_ code: String) async throws -> CustomerExposure? {
        try await domainErrors {
            let rows = try await pool.query("SELECT * FROM report.customer_exposure WHERE lower(customer) = lower(\(code))")
            return try rows.first.map { row in
                CustomerExposure(
                    currency: try row.decode("currency"), creditLimit: try row.decode("credit_limit"), balance: try row.decode("balance"),
                    bookedNotShipped: try row.decode("booked_not_shipped"), shippedNotInvoiced: try row.decode("shipped_not_invoiced"),
                    fullExposure: try row.decode("full_exposure"), countedByCreditRules: try row.decode("counted_by_credit_rules"),
                    headroom: try row.decode("headroom"))
            }
        }
    }

    /// The customer's latest invoices (drafts and posted), payments and adjustments, newest first.
    public func recentDocuments(_ code: String, limit: Int = 30) async throws -> [CustomerDocument] {
        try await domainErrors {
            let rows = try await pool.query(
                """
                SELECT * FROM (
                    SELECT CASE WHEN status = 'posted' THEN 'invoice' ELSE 'draft' END AS kind, invoice_id AS id, number, invoice_date AS on_date,
                           currency, total AS amount, CASE WHEN status = 'posted' THEN open_amount END AS open, reference
                    FROM report.invoices WHERE lower(customer) = lower(\(code))
                    UNION ALL
                    SELECT 'payment', payment_id, NULL, payment_date, currency, amount, NULL, coalesce(reference, '')
                    FROM report.payments WHERE lower(customer) = lower(\(code))
                    UNION ALL
                    SELECT 'adjustment', adjustment_id, NULL, adjustment_date, currency, amount, NULL, coalesce(reference, '')
                    FROM report.adjustments WHERE lower(customer) = lower(\(code))
                ) d
                ORDER BY on_date DESC, id DESC
                LIMIT \(Int32(clamping: limit))
                """)
            return try rows.map { row in
                CustomerDocument(
                    kind: CustomerDocument.Kind(rawValue: try row.decode("kind")) ?? .draft, id: try row.decode("id"),
                    number: try row.decode("number"),
                    date: try row.decode("on_date"), currency: try row.decode("currency"), amount: try row.decode("amount"),
                    open: try row.decode("open"), reference: try row.decode("reference"))
            }
        }
    }
}

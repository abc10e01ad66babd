import Foundation
import Postgres

/// Payments in and customer items entered by hand.
public struct PaymentStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Records a payment in (see `api.receive_payment` for the fields); returns its id.
    @discardableResult
    public func receive(_ payment: NewPayment) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.receive_payment(\(JSONArgument(payment)))")[0].decode(0, as: Int64.self)
        }
    }

    /// Pays credit back to a customer (a refund: a payment out); returns its id.
    @discardableResult
    public func refund(_ refund: NewRefund) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.record_refund(\(JSONArgument(refund)))")[0].decode(0, as: Int64.self)
        }
    }

    @discardableResult
    public func addCustomerItem(_ item: NewCustomerItem) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.add_customer_item(\(JSONArgument(item)))")[0].decode(0, as: Int64.self)
        }
    }

    /// A customer's installed base, oldest first, with warranty status and next service: the items
    /// still with the customer (those whose goods came back on a credit note are left out).
    public func customerItems(_ customer: String) async throws -> [CustomerItem] {
        try await domainErrors {
            try await pool.query(
                """
                SELECT item_id, product, serial, source, warranty_status, warranty_end, next_service
                FROM report.installed_base WHERE lower(customer) = lower(\(customer)) ORDER BY item_id
                """
            ).map { row in
                CustomerItem(
                    id: try row.decode("item_id"), product: try row.decode("product"), serial: try row.decode("serial"),
                    source: try row.decode("source"), warrantyStatus: try row.decode("warranty_status"),
                    warrantyEnd: try row.decode("warranty_end"), nextService: try row.decode("next_service"))
            }
        }
    }
}

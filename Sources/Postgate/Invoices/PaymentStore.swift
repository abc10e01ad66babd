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

    @discardableResult
    public func addCustomerItem(_ item: NewCustomerItem) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.add_customer_item(\(JSONArgument(item)))")[0].decode(0, as: Int64.self)
        }
    }

    /// A customer's items as text rows: id, product, serial, source, warranty status, warranty end, next service.
    public func customerItems(_ customer: String) async throws -> [[String]] {
        try await domainErrors {
            try await pool.query(
                """
                SELECT item_id::text, product, coalesce(serial, '-'), source, warranty_status, warranty_end::text, coalesce(next_service::text, '-')
                FROM report.customer_items WHERE lower(customer) = lower(\(customer)) ORDER BY item_id
                """
            ).map { row in try (0..<7).map { try row.decode($0, as: String.self) } }
        }
    }
}

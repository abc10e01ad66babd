import Foundation
import Postgres

/// The customer master, through the `api` functions: every rule is enforced by the database,
/// and its refusals come back as `DomainError`s naming the field.
public struct CustomerStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Creates a customer; returns its id.
    @discardableResult
    public func create(_ customer: NewCustomer) async throws -> Int64 {
        let json = JSONArgument(customer)
        return try await domainErrors {
            try await pool.query("SELECT api.create_customer(\(json)) AS id")[0].decode("id", as: Int64.self)
        }
    }

    /// Applies changes to the customer as read at `version`; returns the new version.
    @discardableResult
    public func update(_ code: String, version: Int, changes: CustomerChanges) async throws -> Int {
        let json = PostgresJSON(changes.fields)
        return try await domainErrors {
            try await pool.query("SELECT api.update_customer(\(code), \(Int32(clamping: version)), \(json)) AS version")[0].decode(
                "version", as: Int.self)
        }
    }

    public func get(_ code: String) async throws -> Customer {
        try await domainErrors {
            try Customer(row: try await pool.query("SELECT * FROM api.get_customer(\(code))")[0])
        }
    }

    /// Customers whose code or name contains `search`, a page at a time, by code.
    public func list(search: String? = nil, onHold: Bool? = nil, active: Bool? = true, limit: Int = 50, offset: Int = 0) async throws -> [Customer] {
        try await domainErrors {
            let rows = try await pool.query(
                """
                SELECT * FROM api.list_customers(\(search), \(onHold), \(active), \(Int32(clamping: limit)), \(Int32(clamping: offset)))
                """)
            return try rows.map(Customer.init(row:))
        }
    }

    /// Puts a customer on hold for the documents the switches block; returns the new version.
    @discardableResult
    public func hold(_ code: String, _ switches: HoldSwitches? = nil) async throws -> Int {
        try await domainErrors {
            guard let switches else {
                return try await pool.query("SELECT api.hold_customer(\(code)) AS version")[0].decode("version", as: Int.self)
            }
            return try await pool.query(
                """
                SELECT api.hold_customer(\(code), \(switches.salesOrder), \(switches.goodsShipment), \(switches.salesInvoice), \(switches.paymentIn)) AS version
                """)[0].decode("version", as: Int.self)
        }
    }

    @discardableResult
    public func release(_ code: String) async throws -> Int {
        try await domainErrors {
            try await pool.query("SELECT api.release_customer(\(code)) AS version")[0].decode("version", as: Int.self)
        }
    }

    /// Set new currency: re-expresses the balance at `rate`; returns the new balance.
    @discardableResult
    public func setCurrency(_ code: String, to currency: String, rate: Decimal, on date: LocalDate? = nil) async throws -> Decimal {
        try await domainErrors {
            try await pool.query(
                """
                SELECT api.set_customer_currency(\(code), \(currency), \(rate), coalesce(\(date), current_date)) AS balance
                """)[0].decode("balance", as: Decimal.self)
        }
    }

    /// The alerts a document of this kind must show for the customer.
    public func alerts(_ code: String, for document: SalesDocument) async throws -> [CustomerAlert] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.customer_alerts(\(code), \(document.rawValue))").map { row in
                CustomerAlert(alert: try row.decode("alert"), severity: try row.decode("severity"), message: try row.decode("message"))
            }
        }
    }

    /// The customer's balance and credit position (from `report.customer_balances`).
    public func balance(_ code: String) async throws -> CustomerBalance {
        try await domainErrors {
            let rows = try await pool.query("SELECT * FROM report.customer_balances WHERE lower(code) = lower(\(code))")
            guard let row = rows.first else {
                throw DomainError(
                    kind: .notFound, field: "customer", message: "there is no customer with code '\(code)'",
                    hint: "Check the code: postgate customers list --search TEXT")
            }
            return CustomerBalance(
                code: try row.decode("code"), currency: try row.decode("currency"), balance: try row.decode("balance"),
                creditLimit: try row.decode("credit_limit"), headroom: try row.decode("headroom"),
                creditStatus: try row.decode("credit_status"), onHold: try row.decode("on_hold"))
        }
    }
}

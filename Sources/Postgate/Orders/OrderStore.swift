import Foundation
import Postgres
import PostingPolicy

/// Sales orders: drafts through the `api` functions any client may call; booking through the
/// service's check (a hold for orders blocks; the credit limit warns or blocks per setting).
public struct OrderStore: Sendable {
    let pool: PostgresPool
    let actor: String

    public init(pool: PostgresPool, actor: String = "postgate") {
        self.pool = pool
        self.actor = actor
    }

    /// Creates a draft order with its lines, all or nothing; returns its id and the customer's
    /// alerts for sales orders.
    public func create(_ order: NewOrder, lines: [NewOrderLine] = []) async throws -> (id: Int64, alerts: [CustomerAlert]) {
        struct Created: Decodable {
            var orderId: Int64
            var alerts: [CustomerAlert]
        }
        return try await domainErrors {
            try await pool.withTransaction { connection in
                let text = try await connection.query("SELECT api.create_order(\(JSONArgument(order)))::text")[0].decode(0, as: String.self)
                let created = try JSONDecoder.postgate.decode(Created.self, from: Data(text.utf8))
                for line in lines { _ = try await connection.query("SELECT api.add_order_line(\(created.orderId), \(JSONArgument(line)))") }
                return (created.orderId, created.alerts)
            }
        }
    }

    /// Adds a line to a draft order; returns its line number.
    @discardableResult
    public func addLine(_ order: Int64, _ line: NewOrderLine) async throws -> Int {
        try await domainErrors {
            try await pool.query("SELECT api.add_order_line(\(order), \(JSONArgument(line)))")[0].decode(0, as: Int.self)
        }
    }

    public func removeLine(_ order: Int64, line: Int) async throws {
        try await domainErrors { _ = try await pool.query("SELECT api.remove_order_line(\(order), \(Int32(clamping: line)))") }
    }

    public func delete(_ order: Int64) async throws {
        try await domainErrors { _ = try await pool.query("SELECT api.delete_order(\(order))") }
    }

    /// Books a draft order: the check's findings are kept with it; a blocking finding refuses
    /// the booking (`BookingRefused`), and so does the database for what no setting allows.
    /// Returns the order's number and the findings (warnings included).
    public func book(_ order: Int64) async throws -> (number: Int64, decision: Decision) {
        try await domainErrors {
            try await pool.withTransaction { connection in
                let settings = try await PostingService.settings(on: connection)
                let row = try await connection.query("SELECT * FROM api.order_booking_facts(\(order))")[0]
                let facts = OrderFacts(
                    reference: "order \(order)", customer: try row.decode("customer"), customerCurrency: try row.decode("customer_currency"),
                    onHoldForOrders: try row.decode("on_hold_orders"), creditLimit: try row.decode("credit_limit"),
                    exposure: try row.decode("exposure"), orderTotal: try row.decode("order_total"))
                let decision = OrderPolicy.evaluateBooking(facts, settings: settings)
                guard decision.canPost else { throw BookingRefused(order: order, decision: decision) }
                let number = try await connection.query(
                    "SELECT api.book_order(\(order), \(PostgresJSON(decision.findings)), \(actor))")[0].decode(0, as: Int64.self)
                return (number, decision)
            }
        }
    }

    /// Closes a booked order: what is open is released; what was shipped is still invoiced.
    public func close(_ order: Int64) async throws {
        try await domainErrors { _ = try await pool.query("SELECT api.end_order(\(order), 'close')") }
    }

    /// Cancels a booked order nothing was shipped or invoiced from.
    public func cancel(_ order: Int64) async throws {
        try await domainErrors { _ = try await pool.query("SELECT api.end_order(\(order), 'cancel')") }
    }

    public func order(_ id: Int64) async throws -> Order {
        try await domainErrors {
            let text = try await pool.query("SELECT api.get_order(\(id))::text")[0].decode(0, as: String.self)
            return try JSONDecoder.postgate.decode(Order.self, from: Data(text.utf8))
        }
    }

    public func list(customer: String? = nil, status: OrderStatus? = nil, limit: Int = 1000) async throws -> [OrderSummary] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.list_orders(\(customer), \(status?.rawValue), \(Int32(clamping: limit)))").map { row in
                OrderSummary(
                    orderID: try row.decode("order_id"), number: try row.decode("number"), status: try row.decode("status"),
                    customer: try row.decode("customer"), date: try row.decode("order_date"), reference: try row.decode("reference"),
                    currency: try row.decode("currency"), total: try row.decode("total"), openLines: try row.decode("open_lines"))
            }
        }
    }

    // MARK: Shipments

    /// Creates a draft shipment of a booked order; returns its id and the customer's alerts
    /// for goods shipments.
    public func createShipment(_ shipment: NewShipment) async throws -> (id: Int64, alerts: [CustomerAlert]) {
        struct Created: Decodable {
            var shipmentId: Int64
            var alerts: [CustomerAlert]
        }
        return try await domainErrors {
            let text = try await pool.query("SELECT api.create_shipment(\(JSONArgument(shipment)))::text")[0].decode(0, as: String.self)
            let created = try JSONDecoder.postgate.decode(Created.self, from: Data(text.utf8))
            return (created.shipmentId, created.alerts)
        }
    }

    /// Completes a draft shipment: its goods leave stock. Returns its number.
    @discardableResult
    public func completeShipment(_ shipment: Int64) async throws -> Int64 {
        try await domainErrors {
            try await pool.query("SELECT api.complete_shipment(\(shipment), \(actor))")[0].decode(0, as: Int64.self)
        }
    }

    public func deleteShipment(_ shipment: Int64) async throws {
        try await domainErrors { _ = try await pool.query("SELECT api.delete_shipment(\(shipment))") }
    }

    public func shipment(_ id: Int64) async throws -> Shipment {
        try await domainErrors {
            let text = try await pool.query("SELECT api.get_shipment(\(id))::text")[0].decode(0, as: String.self)
            return try JSONDecoder.postgate.decode(Shipment.self, from: Data(text.utf8))
        }
    }

    // MARK: Generate Invoices

    /// What Generate Invoices would make on `date` (default today): per customer and order.
    public func previewInvoices(on date: LocalDate? = nil) async throws -> [GeneratedInvoice] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.preview_invoice_generation(\(date))").map { row in
                GeneratedInvoice(
                    customer: try row.decode("customer"), invoiceTerms: try row.decode("invoice_terms"), orderNumber: try row.decode("order_number"),
                    invoiceID: nil, lines: try row.decode("lines"), currency: try row.decode("currency"), total: try row.decode("total"),
                    skippedBecause: try row.decode("skipped_because"))
            }
        }
    }

    /// Generate Invoices: makes the drafts due on `date` (default today); returns them.
    public func generateInvoices(on date: LocalDate? = nil) async throws -> [GeneratedInvoice] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.generate_invoices(\(date))").map { row in
                GeneratedInvoice(
                    customer: try row.decode("customer"), invoiceTerms: nil, orderNumber: try row.decode("order_number"),
                    invoiceID: try row.decode("invoice_id"), lines: try row.decode("lines"), currency: nil, total: try row.decode("total"),
                    skippedBecause: nil)
            }
        }
    }

    /// Sets the dates on which customers of an invoice schedule are invoiced.
    @discardableResult
    public func setScheduleDates(_ schedule: String, _ dates: [LocalDate]) async throws -> Int {
        try await domainErrors {
            try await pool.query(
                "SELECT api.set_schedule_dates(\(schedule), string_to_array(\(dates.map(\.description).joined(separator: ",")), ',')::date[])")[0]
                .decode(0, as: Int.self)
        }
    }
}

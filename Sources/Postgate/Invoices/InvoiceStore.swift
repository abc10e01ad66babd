import Foundation
import Postgres

/// Draft invoices, through the `api` functions any client may call.
public struct InvoiceStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Creates a draft; returns its id and the customer's alerts.
    public func createDraft(
        customer: String, date: LocalDate? = nil, reference: String? = nil, location: String? = nil,
        lines: [NewInvoiceLine] = []
    ) async throws -> (id: Int64, alerts: [CustomerAlert]) {
        let json = JSONArgument(NewInvoice(customer: customer, date: date, reference: reference, location: location))
        struct Created: Decodable {
            var invoiceId: Int64
            var alerts: [CustomerAlert]
        }
        // The draft and its lines are written together, or not at all.
        return try await domainErrors {
            try await pool.withTransaction { connection in
                let text = try await connection.query("SELECT api.create_invoice(\(json))::text AS r")[0].decode("r", as: String.self)
                let created = try JSONDecoder.postgate.decode(Created.self, from: Data(text.utf8))
                for line in lines { _ = try await Self.addLine(created.invoiceId, line, on: connection) }
                return (created.invoiceId, created.alerts)
            }
        }
    }

    /// Adds a line; returns its line number.
    @discardableResult
    public func addLine(_ invoice: Int64, _ line: NewInvoiceLine) async throws -> Int {
        try await addLines(invoice, [line])[0]
    }

    /// Adds lines, all or none; returns their line numbers.
    @discardableResult
    public func addLines(_ invoice: Int64, _ lines: [NewInvoiceLine]) async throws -> [Int] {
        try await domainErrors {
            try await pool.withTransaction { connection in
                var numbers: [Int] = []
                for line in lines { numbers.append(try await Self.addLine(invoice, line, on: connection)) }
                return numbers
            }
        }
    }

    static func addLine(_ invoice: Int64, _ line: NewInvoiceLine, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT api.add_invoice_line(\(invoice), \(JSONArgument(line)))")[0].decode(0, as: Int.self)
    }

    /// Sets the serials sold on a line (they replace what it had): picked from stock, or entered as
    /// added at sale. Returns how many serials the line has now.
    @discardableResult
    public func setSerials(_ invoice: Int64, line: Int, serials: [SerialEntry]) async throws -> Int {
        let json = String(decoding: try JSONEncoder.postgate.encode(serials), as: UTF8.self)
        try await domainErrors {
            try await pool.query("SELECT api.set_line_serials(\(invoice), \(Int32(clamping: line)), \(json)::jsonb)")
        }
        return serials.count
    }

    public func removeLine(_ invoice: Int64, line: Int) async throws {
        try await domainErrors { try await pool.query("SELECT api.remove_invoice_line(\(invoice), \(Int32(clamping: line)))") }
    }

    public func delete(_ invoice: Int64) async throws {
        try await domainErrors { try await pool.query("SELECT api.delete_invoice(\(invoice))") }
    }

    public func invoice(_ id: Int64) async throws -> Invoice {
        try await domainErrors {
            let text = try await pool.query("SELECT api.get_invoice(\(id))::text AS r")[0].decode("r", as: String.self)
            return try JSONDecoder.postgate.decode(Invoice.self, from: Data(text.utf8))
        }
    }

    /// Confirms every customer item the draft will create; returns how many.
    @discardableResult
    public func reviewItems(_ invoice: Int64, reviewer: String? = nil) async throws -> Int {
        try await domainErrors {
            try await pool.query("SELECT api.review_customer_items(\(invoice), \(reviewer))")[0].decode(0, as: Int.self)
        }
    }

    /// Edits a pending customer item (serial, warranty start, notes); it must be reviewed again.
    public func updatePendingItem(_ item: Int64, serial: String? = nil, warrantyStart: LocalDate? = nil, notes: String? = nil) async throws {
        var changes: [String: JSONValue] = [:]
        changes["serial"] = serial.map(JSONValue.string)
        changes["warranty_start"] = warrantyStart.map { .string($0.description) }
        changes["notes"] = notes.map(JSONValue.string)
        let json = PostgresJSON(changes)
        try await domainErrors { try await pool.query("SELECT api.update_pending_item(\(item), \(json))") }
    }

    /// The ids alone of the drafts `unposted` lists, read 10,000 at a time: a selection of any
    /// size costs eight bytes an invoice.
    public func unpostedIDs(_ filter: UnpostedFilter = UnpostedFilter()) async throws -> [Int64] {
        try await domainErrors {
            var ids: [Int64] = []
            while true {
                let page = try await pool.query(
                    """
                    SELECT invoice_id FROM api.unposted_ids(\(filter.customer), \(filter.from), \(filter.to), \(filter.minimumTotal), \(filter.maximumTotal), \(ids.last ?? 0), 10000)
                    """
                ).map { try $0.decode(0, as: Int64.self) }
                ids += page
                if page.count < 10000 { return ids }
            }
        }
    }

    public func unposted(_ filter: UnpostedFilter = UnpostedFilter(), limit: Int = 1_000_000) async throws -> [UnpostedInvoice] {
        try await domainErrors {
            try await pool.query(
                """
                SELECT * FROM api.list_unposted(\(filter.customer), \(filter.from), \(filter.to), \(filter.minimumTotal), \(filter.maximumTotal), \(Int32(clamping: limit)))
                """
            ).map { row in
                UnpostedInvoice(
                    invoiceID: try row.decode("invoice_id"), customer: try row.decode("customer"), date: try row.decode("invoice_date"),
                    reference: try row.decode("reference"), currency: try row.decode("currency"), total: try row.decode("total"),
                    lines: try row.decode("lines"), version: try row.decode("version"), serialLines: try row.decode("serial_lines"))
            }
        }
    }
}

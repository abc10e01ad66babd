import Foundation
import Postgres

/// Stock on hand per product and location.
public struct OnHand: Sendable, Hashable, Codable {
    public var product: String
    public var productName: String
    public var unit: String
    public var location: String
    public var quantity: Decimal
    public var serials: Int
}

/// A serial in stock, to pick at sale.
public struct PickedSerial: Sendable, Hashable, Codable {
    public var serial: String
    public var quantity: Decimal
    public var expiry: LocalDate?
}

/// A serial as the enquiry shows it.
public struct SerialInfo: Sendable, Hashable, Codable {
    public var serial: String
    public var product: String
    public var productName: String
    public var tracking: SerialTracking
    /// `in stock`, `sold`, `written off` or `not in stock`.
    public var status: String
    public var location: String?
    public var onHand: Decimal
    public var expiry: LocalDate?
    public var customer: String?
    public var addedAtSale: Bool
}

/// One thing that happened to a serial.
public struct SerialEvent: Sendable, Hashable, Codable {
    public var serial: String
    public var product: String
    public var date: LocalDate
    public var documentKind: String
    public var documentID: Int64
    public var reference: String
    public var location: String
    public var quantity: Decimal
    public var customer: String?
}

/// Receipts, transfers and write-offs, on-hand quantities and the serial enquiry.
public struct StockStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Posts a receipt, transfer or write-off, whole or not at all; returns its document id.
    @discardableResult
    public func post(_ document: StockDocument) async throws -> Int64 {
        let json = document.json
        let function: String
        switch document.movement {
        case .receipt: function = "api.post_receipt"
        case .transfer: function = "api.post_transfer"
        case .writeOff: function = "api.post_write_off"
        }
        return try await domainErrors {
            try await pool.query("SELECT \(unsafeSQL: function)(\(json)::jsonb) AS id")[0].decode("id", as: Int64.self)
        }
    }

    public func onHand(product: String? = nil, location: String? = nil) async throws -> [OnHand] {
        try await domainErrors {
            try await pool.query(
                """
                SELECT * FROM report.stock_on_hand
                WHERE (\(product)::text IS NULL OR lower(product) = lower(\(product)))
                  AND (\(location)::text IS NULL OR lower(location) = lower(\(location)))
                ORDER BY product, location
                """
            ).map { row in
                OnHand(
                    product: try row.decode("product"), productName: try row.decode("product_name"), unit: try row.decode("unit"),
                    location: try row.decode("location"), quantity: try row.decode("quantity"), serials: try row.decode("serials"))
            }
        }
    }

    /// Serials of a product in stock at a location, oldest expiry first.
    public func pickSerials(product: String, location: String, limit: Int = 100) async throws -> [PickedSerial] {
        try await domainErrors {
            try await pool.query("SELECT * FROM api.pick_serials(\(product), \(location), \(Int32(clamping: limit)))").map { row in
                PickedSerial(serial: try row.decode("serial"), quantity: try row.decode("quantity"), expiry: try row.decode("expiry"))
            }
        }
    }

    /// The serial enquiry: serials whose serial, product code or name, customer or location
    /// contains `search`, optionally of one status.
    public func findSerials(_ search: String? = nil, status: String? = nil, limit: Int = 200) async throws -> [SerialInfo] {
        try await domainErrors {
            let pattern = search.map {
                "%"
                    + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(
                        of: "_", with: "\\_") + "%"
            }
            return try await pool.query(
                """
                SELECT * FROM report.serial_numbers
                WHERE (\(pattern)::text IS NULL OR serial ILIKE \(pattern) OR product ILIKE \(pattern) OR product_name ILIKE \(pattern)
                       OR customer ILIKE \(pattern) OR location ILIKE \(pattern))
                  AND (\(status)::text IS NULL OR status = \(status))
                ORDER BY serial, product
                LIMIT \(Int64(limit))
                """
            ).map { row in
                let tracking: String = try row.decode("tracking")
                return SerialInfo(
                    serial: try row.decode("serial"), product: try row.decode("product"), productName: try row.decode("product_name"),
                    tracking: SerialTracking(rawValue: tracking) ?? .unique, status: try row.decode("status"),
                    location: try row.decode("location"), onHand: try row.decode("on_hand"), expiry: try row.decode("expiry"),
                    customer: try row.decode("customer"), addedAtSale: try row.decode("added_at_sale"))
            }
        }
    }

    /// Everything that happened to a serial (of one product, when given), in order.
    public func history(serial: String, product: String? = nil) async throws -> [SerialEvent] {
        try await domainErrors {
            try await pool.query(
                """
                SELECT * FROM report.serial_history
                WHERE serial = \(serial) AND (\(product)::text IS NULL OR lower(product) = lower(\(product)))
                """
            ).map { row in
                SerialEvent(
                    serial: try row.decode("serial"), product: try row.decode("product"), date: try row.decode("document_date"),
                    documentKind: try row.decode("document_kind"), documentID: try row.decode("document_id"),
                    reference: try row.decode("reference"), location: try row.decode("location"),
                    quantity: try row.decode("quantity"), customer: try row.decode("customer"))
            }
        }
    }

    /// Rows where the kept on-hand quantities differ from a recount of the movements: always 0.
    public func discrepancies() async throws -> Int {
        try await domainErrors { try await pool.query("SELECT count(*) FROM report.stock_discrepancies")[0].decode(0, as: Int.self) }
    }
}

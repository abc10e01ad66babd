import Foundation
import Postgres
import PostingPolicy

/// A new sales order's header.
public struct NewOrder: Sendable, Hashable, Encodable {
    public var customer: String
    public var date: LocalDate?
    public var reference: String?
    /// Where its goods ship from (each line may name another).
    public var location: String

    public init(customer: String, location: String, date: LocalDate? = nil, reference: String? = nil) {
        self.customer = customer
        self.location = location
        self.date = date
        self.reference = reference
    }
}

/// A line of a new sales order: priced from the customer's price list unless a price is given.
public struct NewOrderLine: Sendable, Hashable, Encodable {
    public var product: String
    public var quantity: Decimal
    public var unitPrice: Decimal?
    public var taxRate: String?
    public var location: String?

    public init(product: String, quantity: Decimal, unitPrice: Decimal? = nil, taxRate: String? = nil, location: String? = nil) {
        self.product = product
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.taxRate = taxRate
        self.location = location
    }
}

public enum OrderStatus: String, Sendable, Hashable, Codable, DatabaseText {
    case draft, booked, closed, cancelled
}

/// A sales order as `api.get_order` reads it.
public struct Order: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public var line: Int
        public var product: String
        public var location: String
        public var quantity: Decimal
        public var unitPrice: Decimal
        public var netAmount: Decimal
        public var taxAmount: Decimal
        public var shipped: Decimal
        public var onDraftShipments: Decimal
        public var invoiced: Decimal
        public var open: Decimal
    }

    public var id: Int64
    public var number: Int64?
    public var status: OrderStatus
    public var customer: String
    public var invoiceTerms: String
    public var date: LocalDate
    public var currency: String
    public var location: String
    public var reference: String
    public var total: Decimal
    public var version: Int
    public var findings: [Finding]
    public var lines: [Line]
    public var alerts: [CustomerAlert]
}

/// A row of the order list.
public struct OrderSummary: Sendable, Hashable, Codable {
    public var orderID: Int64
    public var number: Int64?
    public var status: OrderStatus
    public var customer: String
    public var date: LocalDate
    public var reference: String
    public var currency: String
    public var total: Decimal
    public var openLines: Int
}

/// A booking the check refused: its findings say why and what to do.
public struct BookingRefused: Error, Sendable, CustomStringConvertible {
    public var order: Int64
    public var decision: Decision

    public var description: String {
        // The findings are sentences; the last one's full stop is left to whoever goes on after it.
        let reasons = decision.blockers.map(\.message).joined(separator: " ")
        return "order \(order) was not booked: " + (reasons.hasSuffix(".") ? String(reasons.dropLast()) : reasons)
    }
}

/// A line of a new shipment: the order line, how much (default: all that is open) and the
/// serials (default: picked from stock).
public struct NewShipmentLine: Sendable, Hashable, Encodable {
    public var line: Int
    public var quantity: Decimal?
    public var serials: [SerialEntry]?

    public init(line: Int, quantity: Decimal? = nil, serials: [SerialEntry]? = nil) {
        self.line = line
        self.quantity = quantity
        self.serials = serials
    }
}

/// A new shipment of a booked order; no lines ships everything open.
public struct NewShipment: Sendable, Hashable, Encodable {
    public var order: Int64
    public var date: LocalDate?
    public var reference: String?
    public var lines: [NewShipmentLine]?

    public init(order: Int64, date: LocalDate? = nil, reference: String? = nil, lines: [NewShipmentLine]? = nil) {
        self.order = order
        self.date = date
        self.reference = reference
        self.lines = lines
    }
}

/// A shipment as `api.get_shipment` reads it.
public struct Shipment: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public var line: Int
        public var orderLine: Int
        public var product: String
        public var location: String
        public var quantity: Decimal
        public var invoiced: Bool
        public var serials: [SerialEntry]
    }

    public var id: Int64
    public var number: Int64?
    public var status: String
    public var orderId: Int64
    public var orderNumber: Int64?
    public var customer: String
    public var date: LocalDate
    public var reference: String
    public var lines: [Line]
}

/// What Generate Invoices makes (or would make) for one order.
public struct GeneratedInvoice: Sendable, Hashable, Codable {
    public var customer: String
    public var invoiceTerms: String?
    public var orderNumber: Int64?
    public var invoiceID: Int64?
    public var lines: Int
    public var currency: String?
    public var total: Decimal
    /// Why the customer is skipped (on hold for sales invoices), when it is.
    public var skippedBecause: String?
}

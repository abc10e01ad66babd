import Foundation
import Postgres

/// An invoice as read back: header, lines with their serials, the customer items a draft will
/// create, and (for drafts) the customer's alerts.
public struct Invoice: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public struct Serial: Sendable, Hashable, Codable {
            public var serial: String
            public var quantity: Decimal
            public var addedAtSale: Bool
            /// On a kit's line: the component it belongs to.
            public var product: String?
            /// How its product tracks serials: `unique` or `batch`.
            public var tracking: SerialTracking
            /// Of a posted invoice: how much of it came back on credit notes.
            public var returned: Decimal
        }
        public var line: Int
        public var product: String
        public var productName: String
        public var quantity: Decimal
        public var unitPrice: Decimal
        public var taxRate: String
        public var taxPercent: Decimal
        public var netAmount: Decimal
        public var taxAmount: Decimal
        public var location: String?
        public var serials: [Serial]
        /// What posted credit notes have credited of the line (returned or kept), returned, and the
        /// net they credited (price corrections among it).
        public var credited: Decimal
        public var returned: Decimal
        public var creditedNet: Decimal
    }

    /// A credit note against the invoice, draft or posted.
    public struct CreditNoteReference: Sendable, Hashable, Codable {
        public var id: Int64
        public var number: Int64?
        public var status: InvoiceStatus
        public var date: String
        public var total: Decimal
    }

    /// A customer item the draft will create when posted.
    public struct PendingItem: Sendable, Hashable, Codable {
        public var id: Int64
        public var line: Int
        public var product: String
        public var unit: Int
        public var serial: String?
        public var quantity: Decimal
        public var warrantyStart: String?
        public var notes: String
        public var reviewedBy: String?
    }

    public var id: Int64
    public var number: Int64?
    /// `draft` or `posted`.
    public var status: InvoiceStatus
    public var customer: String
    public var customerName: String
    public var date: String
    public var dueDate: String?
    public var currency: String
    public var reference: String
    public var location: String?
    public var netTotal: Decimal
    public var taxTotal: Decimal
    public var total: Decimal
    public var version: Int
    public var lines: [Line]
    public var pendingItems: [PendingItem]
    public var alerts: [CustomerAlert]
    public var creditNotes: [CreditNoteReference]

    public var isPosted: Bool { status == .posted }
}

/// A new invoice line: the price defaults to the customer's price list on the invoice date, the
/// tax rate to the product's, the location to the invoice's.
public struct NewInvoiceLine: Sendable, Hashable, Encodable {
    public var product: String
    public var quantity: Decimal
    public var unitPrice: Decimal?
    public var taxRate: String?
    public var location: String?
    public var serials: [SerialEntry]?

    public init(
        product: String, quantity: Decimal, unitPrice: Decimal? = nil, taxRate: String? = nil, location: String? = nil, serials: [SerialEntry]? = nil
    ) {
        self.product = product
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.taxRate = taxRate
        self.location = location
        self.serials = serials
    }
}

/// A draft waiting to be posted, as the mass-posting list shows it.
public struct UnpostedInvoice: Sendable, Hashable, Codable {
    public var invoiceID: Int64
    public var customer: String
    public var date: LocalDate
    public var reference: String
    public var currency: String
    public var total: Decimal
    public var lines: Int
    public var version: Int
    /// The lines whose product tracks serial numbers.
    public var serialLines: Int = 0
}

/// Filters for the list of unposted invoices.
public struct UnpostedFilter: Sendable, Hashable {
    public var customer: String?
    public var from: LocalDate?
    public var to: LocalDate?
    public var minimumTotal: Decimal?
    public var maximumTotal: Decimal?

    public init(customer: String? = nil, from: LocalDate? = nil, to: LocalDate? = nil, minimumTotal: Decimal? = nil, maximumTotal: Decimal? = nil) {
        self.customer = customer
        self.from = from
        self.to = to
        self.minimumTotal = minimumTotal
        self.maximumTotal = maximumTotal
    }
}

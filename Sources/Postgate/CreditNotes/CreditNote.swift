import Foundation
import Postgres

/// How a credit note line credits its invoice line.
public enum CreditKind: String, DatabaseText {
    /// The goods come back into stock (at the line's location).
    case `return`
    /// The quantity is credited and the goods stay with the customer.
    case quantity
    /// An amount off the line, no quantity.
    case price
}

/// A credit note to draft, as `api.create_credit_note` takes it. No lines and no amounts: the
/// whole invoice, everything it has left to credit.
public struct NewCreditNote: Sendable, Hashable, Codable {
    /// A line of the invoice credited by quantity: all it has left unless `quantity` is given.
    public struct Line: Sendable, Hashable, Codable {
        public var line: Int
        public var quantity: Decimal?
        /// The serials that come back (the invoice line's, or a kit's components'); none named: all
        /// that are left when all that is left comes back.
        public var serials: [SerialEntry]?
        public var location: String?
        /// Whether the goods come back (default: the credit note's `return`).
        public var `return`: Bool?

        public init(line: Int, quantity: Decimal? = nil, serials: [SerialEntry]? = nil, location: String? = nil, return: Bool? = nil) {
            self.line = line
            self.quantity = quantity
            self.serials = serials
            self.location = location
            self.return = `return`
        }
    }

    /// A price correction: a net amount off an invoice line, with its tax.
    public struct Amount: Sendable, Hashable, Codable {
        public var line: Int
        public var amount: Decimal

        public init(line: Int, amount: Decimal) {
            self.line = line
            self.amount = amount
        }
    }

    public var invoiceNumber: Int64
    public var date: LocalDate?
    public var reason: String?
    /// Where returned goods go; default: where each line left from.
    public var location: String?
    /// Whether the goods come back (default true).
    public var `return`: Bool?
    public var lines: [Line]?
    public var amounts: [Amount]?

    public init(
        invoiceNumber: Int64, date: LocalDate? = nil, reason: String? = nil, location: String? = nil, return: Bool? = nil,
        lines: [Line]? = nil, amounts: [Amount]? = nil
    ) {
        self.invoiceNumber = invoiceNumber
        self.date = date
        self.reason = reason
        self.location = location
        self.return = `return`
        self.lines = lines
        self.amounts = amounts
    }
}

/// A credit note as read back: header, lines with their serials, where its credit went (posted)
/// or what stands in its way (draft).
public struct CreditNote: Sendable, Hashable, Codable {
    public struct Line: Sendable, Hashable, Codable {
        public struct Serial: Sendable, Hashable, Codable {
            public var serial: String
            public var product: String
            public var quantity: Decimal
        }
        public var line: Int
        public var invoiceLine: Int
        public var product: String
        public var productName: String
        public var kind: CreditKind
        public var quantity: Decimal
        public var location: String?
        public var netAmount: Decimal
        public var taxAmount: Decimal
        public var serials: [Serial]
    }

    /// A share of the credit: to an invoice, or paid out as a refund (the payment's id).
    public struct Allocation: Sendable, Hashable, Codable {
        public var invoiceNumber: Int64?
        public var refund: Int64?
        public var amount: Decimal
    }

    public var id: Int64
    public var number: Int64?
    public var status: InvoiceStatus
    public var invoiceId: Int64
    public var invoiceNumber: Int64
    public var customer: String
    public var customerName: String
    public var date: String
    public var currency: String
    public var reason: String
    public var netTotal: Decimal
    public var taxTotal: Decimal
    public var total: Decimal
    public var version: Int
    public var postedBy: String?
    public var lines: [Line]
    public var allocations: [Allocation]
    /// Posted: the credit not yet allocated or refunded.
    public var unallocated: Decimal?

    public var isPosted: Bool { status == .posted }
}

/// A credit note as lists show it.
public struct CreditNoteSummary: Sendable, Hashable {
    public var id: Int64
    public var number: Int64?
    public var status: InvoiceStatus
    public var invoiceNumber: Int64
    public var customer: String
    public var date: LocalDate
    public var currency: String
    public var total: Decimal
    public var unallocated: Decimal?
    public var version: Int
}

/// A refund, as `api.record_refund` takes it: credit paid back to the customer. Against a credit
/// note, in its currency and at most what it has not allocated; else at most the customer's credit.
public struct NewRefund: Sendable, Hashable, Codable {
    public var customer: String
    public var amount: Decimal
    public var creditNoteNumber: Int64?
    public var date: LocalDate?
    public var currency: String?
    public var paymentMethod: String?
    public var financialAccount: String?
    public var reference: String?

    public init(
        customer: String, amount: Decimal, creditNoteNumber: Int64? = nil, date: LocalDate? = nil, currency: String? = nil,
        paymentMethod: String? = nil, financialAccount: String? = nil, reference: String? = nil
    ) {
        self.customer = customer
        self.amount = amount
        self.creditNoteNumber = creditNoteNumber
        self.date = date
        self.currency = currency
        self.paymentMethod = paymentMethod
        self.financialAccount = financialAccount
        self.reference = reference
    }
}

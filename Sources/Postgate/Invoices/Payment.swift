import Foundation
import Postgres

/// A payment in, as `api.receive_payment` takes it. Optional fields left out take the
/// customer's (currency, method, account) or today's date.
public struct NewPayment: Sendable, Hashable, Codable {
    /// A share of the payment for one posted invoice; without an amount, what is left of it.
    public struct Allocation: Sendable, Hashable, Codable {
        public var invoiceNumber: Int64
        public var amount: Decimal?

        public init(invoiceNumber: Int64, amount: Decimal? = nil) {
            self.invoiceNumber = invoiceNumber
            self.amount = amount
        }
    }

    public var customer: String
    public var amount: Decimal
    public var date: LocalDate?
    public var currency: String?
    public var paymentMethod: String?
    public var financialAccount: String?
    public var reference: String?
    public var allocations: [Allocation]?

    public init(
        customer: String, amount: Decimal, date: LocalDate? = nil, currency: String? = nil, paymentMethod: String? = nil,
        financialAccount: String? = nil, reference: String? = nil, allocations: [Allocation]? = nil
    ) {
        self.customer = customer
        self.amount = amount
        self.date = date
        self.currency = currency
        self.paymentMethod = paymentMethod
        self.financialAccount = financialAccount
        self.reference = reference
        self.allocations = allocations
    }
}

/// A customer item entered by hand, as `api.add_customer_item` takes it.
public struct NewCustomerItem: Sendable, Hashable, Codable {
    public var customer: String
    public var product: String
    public var serial: String?
    /// Default: the product's item type.
    public var itemType: String?
    /// Default: today.
    public var warrantyStart: LocalDate?
    public var notes: String?

    public init(
        customer: String, product: String, serial: String? = nil, itemType: String? = nil, warrantyStart: LocalDate? = nil,
        notes: String? = nil
    ) {
        self.customer = customer
        self.product = product
        self.serial = serial
        self.itemType = itemType
        self.warrantyStart = warrantyStart
        self.notes = notes
    }
}

/// A draft invoice's header, as `api.create_invoice` takes it.
/// A customer item as the installed base shows it.
public struct CustomerItem: Sendable, Hashable, Codable {
    public var id: Int64
    public var product: String
    public var serial: String?
    /// `invoice` or `manual`.
    public var source: String
    /// `in warranty` or `expired`.
    public var warrantyStatus: String
    public var warrantyEnd: LocalDate?
    public var nextService: LocalDate?
}

struct NewInvoice: Sendable, Hashable, Codable {
    var customer: String
    var date: LocalDate?
    var reference: String?
    var location: String?
}

import Foundation

/// A serial-tracked line that does not carry all its serials.
public struct MissingSerials: Sendable, Hashable, Codable {
    /// 1-based line number.
    public var line: Int
    public var product: String
    public var missing: Decimal

    public init(line: Int, product: String, missing: Decimal) {
        self.line = line
        self.product = product
        self.missing = missing
    }
}

/// A line whose tax rate the customer may not use.
public struct DisallowedTax: Sendable, Hashable, Codable {
    public var line: Int
    public var taxRate: String
    public var reason: String

    public init(line: Int, taxRate: String, reason: String) {
        self.line = line
        self.taxRate = taxRate
        self.reason = reason
    }
}

/// A line that needs more stock (or a serial) than its location has.
public struct StockShortage: Sendable, Hashable, Codable {
    public var line: Int
    public var product: String
    public var location: String
    public var serial: String?
    public var needed: Decimal
    public var onHand: Decimal

    public init(line: Int, product: String, location: String, serial: String? = nil, needed: Decimal, onHand: Decimal) {
        self.line = line
        self.product = product
        self.location = location
        self.serial = serial
        self.needed = needed
        self.onHand = onHand
    }
}

/// A unique serial on a line that cannot leave the line's location: where it is instead.
public struct UnavailableSerial: Sendable, Hashable, Codable {
    public var line: Int
    public var product: String
    public var serial: String
    /// Where it is or what became of it ("in stock at VAN", "already sold (invoice 3 to C0001 on 2026-11-02)").
    public var reason: String

    public init(line: Int, product: String, serial: String, reason: String) {
        self.line = line
        self.product = product
        self.serial = serial
        self.reason = reason
    }
}

/// The conversion rate an invoice's total needs in its customer's currency, when there is none on
/// its date.
public struct MissingRate: Sendable, Hashable, Codable {
    public var from: String
    public var to: String
    /// The invoice's date, as the rate would have to be valid on it (YYYY-MM-DD).
    public var date: String

    public init(from: String, to: String, date: String) {
        self.from = from
        self.to = to
        self.date = date
    }
}

/// A payment recorded with the posting (post and pay, point of sale), in the invoice's currency.
public struct OfferedPayment: Sendable, Hashable, Codable {
    public var amount: Decimal
    /// The invoice's total: what paying in full means.
    public var due: Decimal
    public var currency: String

    public init(amount: Decimal, due: Decimal, currency: String) {
        self.amount = amount
        self.due = due
        self.currency = currency
    }
}

/// Everything the posting rules know about one invoice. Read from the database under lock;
/// the rules themselves read nothing else.
public struct InvoiceFacts: Sendable, Hashable, Codable {
    public var invoiceID: Int64
    /// How a person names the invoice ("draft 42", or its reference).
    public var reference: String
    /// How a message names a draft, telling drafts with one reference apart: "draft 42 (h3b)",
    /// or "draft 42" when it has no reference.
    public var draftName: String { reference == "draft \(invoiceID)" ? reference : "draft \(invoiceID) (\(reference))" }
    /// The customer's code.
    public var customer: String
    public var customerCurrency: String
    /// The customer is on hold and its hold blocks sales invoices.
    public var onHoldForInvoices: Bool
    /// The customer's payment terms are Cash Sales Only.
    public var cashSalesOnly: Bool
    /// This posting records a full payment at the same time (post and pay, point of sale).
    public var paidInFull: Bool
    /// The payment recorded with this posting, when there is one.
    public var payment: OfferedPayment?
    /// Evaluated as part of a mass posting.
    public var massPosting: Bool
    /// `nil`: no limit.
    public var creditLimit: Decimal?
    /// The customer's open balance, in its currency.
    public var openBalance: Decimal
    /// This invoice's total in the customer's currency, at the invoice date's rate (0 when there is
    /// no rate: see `missingRate`).
    public var invoiceTotal: Decimal
    /// The conversion rate the total needs, when none is valid on the invoice's date.
    public var missingRate: MissingRate?
    /// Totals of the same customer's invoices earlier in the same batch that will post.
    public var earlierInBatch: Decimal
    public var linesMissingSerials: [MissingSerials]
    public var disallowedTaxes: [DisallowedTax]
    public var linesShortOfStock: [StockShortage]
    public var unavailableSerials: [UnavailableSerial]
    /// How many lines the invoice has.
    public var lineCount: Int
    /// Customer items the posting will create that are not yet reviewed.
    public var unreviewedItems: Int
    /// Customer items the posting will create.
    public var itemsToCreate: Int

    public init(
        invoiceID: Int64, reference: String, customer: String, customerCurrency: String,
        onHoldForInvoices: Bool = false, cashSalesOnly: Bool = false, paidInFull: Bool = false, massPosting: Bool = false,
        creditLimit: Decimal? = nil, openBalance: Decimal = 0, invoiceTotal: Decimal = 0, earlierInBatch: Decimal = 0,
        linesMissingSerials: [MissingSerials] = [], disallowedTaxes: [DisallowedTax] = [], linesShortOfStock: [StockShortage] = [],
        unavailableSerials: [UnavailableSerial] = [], lineCount: Int = 1, payment: OfferedPayment? = nil,
        unreviewedItems: Int = 0, itemsToCreate: Int = 0, missingRate: MissingRate? = nil
    ) {
        self.invoiceID = invoiceID
        self.reference = reference
        self.customer = customer
        self.customerCurrency = customerCurrency
        self.onHoldForInvoices = onHoldForInvoices
        self.cashSalesOnly = cashSalesOnly
        self.paidInFull = paidInFull
        self.massPosting = massPosting
        self.creditLimit = creditLimit
        self.openBalance = openBalance
        self.invoiceTotal = invoiceTotal
        self.earlierInBatch = earlierInBatch
        self.linesMissingSerials = linesMissingSerials
        self.disallowedTaxes = disallowedTaxes
        self.linesShortOfStock = linesShortOfStock
        self.unavailableSerials = unavailableSerials
        self.lineCount = lineCount
        self.payment = payment
        self.unreviewedItems = unreviewedItems
        self.itemsToCreate = itemsToCreate
        self.missingRate = missingRate
    }
}

import Foundation

/// Something a credit note's data does not allow, as the database found it (the same check guards
/// its posting): more credited than a line has left, serials that do not come back as sold.
public struct CreditNoteProblem: Sendable, Hashable, Codable {
    /// What kind of problem it is.
    public enum Code: String, Sendable, Hashable, Codable {
        /// More quantity credited than the invoice line has left to credit.
        case overQuantity = "over_quantity"
        /// A price correction above the net the invoice line has left.
        case overAmount = "over_amount"
        /// A return whose serials do not name exactly what comes back.
        case serialsMissing = "serials_missing"
        /// A serial the invoice line did not sell.
        case serialNotSold = "serial_not_sold"
        /// A serial that has come back already.
        case serialReturned = "serial_returned"
        /// More of a batch serial than was sold and has not come back.
        case serialOver = "serial_over"
        /// A unique serial that is in stock now, so it cannot come back.
        case serialInStock = "serial_in_stock"
    }

    public var code: Code
    /// The credit note's line.
    public var line: Int
    public var product: String
    /// The invoice line it credits.
    public var invoiceLine: Int?
    public var serial: String?
    public var quantity: Decimal?
    public var amount: Decimal?
    /// What the invoice line has left to credit.
    public var left: Decimal?
    public var needed: Decimal?
    public var given: Decimal?
    public var sold: Decimal?
    public var returned: Decimal?
    /// Where a serial in stock is.
    public var location: String?

    public init(
        code: Code, line: Int, product: String, invoiceLine: Int? = nil, serial: String? = nil, quantity: Decimal? = nil,
        amount: Decimal? = nil, left: Decimal? = nil, needed: Decimal? = nil, given: Decimal? = nil, sold: Decimal? = nil,
        returned: Decimal? = nil, location: String? = nil
    ) {
        self.code = code
        self.line = line
        self.product = product
        self.invoiceLine = invoiceLine
        self.serial = serial
        self.quantity = quantity
        self.amount = amount
        self.left = left
        self.needed = needed
        self.given = given
        self.sold = sold
        self.returned = returned
        self.location = location
    }
}

/// Everything the posting rules know about one credit note. Read from the database under the
/// customer's lock; the rules read nothing else.
public struct CreditNoteFacts: DocumentFacts, Hashable, Codable {
    public static var kind: DocumentKind { .creditNote }
    public var isHeld: Bool { onHoldForInvoices }
    public var creditNoteID: Int64
    /// "credit note draft 7", or "credit note 3" once posted.
    public var reference: String
    /// The number of the invoice it credits.
    public var invoiceNumber: Int64
    public var customer: String
    public var customerCurrency: String
    public var onHoldForInvoices: Bool
    /// The credit note's own currency (its invoice's) and total.
    public var currency: String
    public var total: Decimal
    public var lineCount: Int
    /// How many of its lines bring goods back.
    public var returns: Int
    public var problems: [CreditNoteProblem]

    public init(
        creditNoteID: Int64, reference: String, invoiceNumber: Int64, customer: String, customerCurrency: String,
        onHoldForInvoices: Bool = false, currency: String, total: Decimal = 0, lineCount: Int = 1, returns: Int = 0,
        problems: [CreditNoteProblem] = []
    ) {
        self.creditNoteID = creditNoteID
        self.reference = reference
        self.invoiceNumber = invoiceNumber
        self.customer = customer
        self.customerCurrency = customerCurrency
        self.onHoldForInvoices = onHoldForInvoices
        self.currency = currency
        self.total = total
        self.lineCount = lineCount
        self.returns = returns
        self.problems = problems
    }
}

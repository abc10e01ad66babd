import Foundation

/// What the rules that guard every document read of it, whatever its kind (an invoice, a credit
/// note, a sales order): how a person names it, its customer, whether the customer's hold blocks
/// this kind of document, and how many lines it has. A rule written over this protocol is one
/// type for every document.
public protocol DocumentFacts: Sendable {
    /// Which kind of document the facts are of.
    static var kind: DocumentKind { get }
    /// How a person names the document ("draft 42", "credit note draft 7", or its reference).
    var reference: String { get }
    /// The customer's code.
    var customer: String { get }
    /// The customer is on hold and its hold blocks this kind of document (sales invoices for an
    /// invoice and its credit notes, sales orders for an order).
    var isHeld: Bool { get }
    /// How many lines the document has.
    var lineCount: Int { get }
}

/// The kinds of document the rules guard, and the words their findings use.
public enum DocumentKind: Sendable {
    /// An invoice, posted.
    case invoice
    /// A credit note, posted against its invoice.
    case creditNote
    /// A sales order, booked.
    case salesOrder

    /// What a hold of this kind blocks ("sales invoices").
    var heldDocuments: String {
        switch self {
        case .invoice, .creditNote: "sales invoices"
        case .salesOrder: "sales orders"
        }
    }

    /// What is done to the document when the rules allow it ("posting", "booking").
    var act: String {
        switch self {
        case .invoice, .creditNote: "posting"
        case .salesOrder: "booking"
        }
    }

    /// The finding code of a hold that blocks it.
    var holdCode: String {
        switch self {
        case .invoice, .creditNote: "customer-on-hold"
        case .salesOrder: "customer-on-hold-orders"
        }
    }
}

/// What the credit limit rule reads of a document that adds to what a customer owes.
public protocol CreditFacts: DocumentFacts {
    var customerCurrency: String { get }
    var creditLimit: Decimal? { get }
    /// What the customer would owe (or be exposed to) once the document is done, and the figures
    /// it is the sum of; nil when it cannot be known (an invoice without a conversion rate, which
    /// its own rule blocks).
    var creditExposure: (total: Decimal, figures: [String: String])? { get }
}

extension InvoiceFacts: CreditFacts {
    public static var kind: DocumentKind { .invoice }
    public var isHeld: Bool { onHoldForInvoices }

    public var creditExposure: (total: Decimal, figures: [String: String])? {
        guard missingRate == nil else { return nil }
        let total = openBalance + earlierInBatch + invoiceTotal
        return (
            total,
            [
                "open_balance": openBalance.figure, "earlier_in_batch": earlierInBatch.figure, "invoice_total": invoiceTotal.figure,
                "exposure": total.figure,
            ]
        )
    }
}

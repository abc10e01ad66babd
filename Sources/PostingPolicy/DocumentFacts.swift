/// What the rules that guard every posted document read of it, whatever its kind (an invoice, a
/// credit note): how a person names it, its customer, the customer's hold for sales invoices, and
/// how many lines it has. A rule written over this protocol is one type for every document.
public protocol DocumentFacts: Sendable {
    /// How a person names the document ("draft 42", "credit note draft 7", or its reference).
    var reference: String { get }
    /// The customer's code.
    var customer: String { get }
    /// The customer is on hold and its hold blocks sales invoices (and so their credit notes).
    var onHoldForInvoices: Bool { get }
    /// How many lines the document has.
    var lineCount: Int { get }
}

extension InvoiceFacts: DocumentFacts {}

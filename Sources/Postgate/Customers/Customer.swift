import Foundation
import Postgres

/// When a customer's deliveries are invoiced.
public enum InvoiceTerms: String, Sendable, Codable, CaseIterable {
    case afterOrderDelivered = "after_order_delivered"
    case afterDelivery = "after_delivery"
    case doNotInvoice = "do_not_invoice"
    case immediate
    /// Needs an invoice schedule.
    case customerScheduleAfterDelivery = "customer_schedule_after_delivery"
}

/// The kinds of sales document a hold can block.
public enum SalesDocument: String, Sendable, Codable, CaseIterable {
    case salesOrder = "sales_order"
    case goodsShipment = "goods_shipment"
    case salesInvoice = "sales_invoice"
    case paymentIn = "payment_in"
}

/// Which documents a hold blocks. The usual choice (every sales document, not payments in) is the
/// database's: `CustomerStore.hold` without switches applies it.
public struct HoldSwitches: Sendable, Hashable, Codable {
    public var salesOrder: Bool
    public var goodsShipment: Bool
    public var salesInvoice: Bool
    public var paymentIn: Bool

    public init(salesOrder: Bool, goodsShipment: Bool, salesInvoice: Bool, paymentIn: Bool) {
        self.salesOrder = salesOrder
        self.goodsShipment = goodsShipment
        self.salesInvoice = salesInvoice
        self.paymentIn = paymentIn
    }

    public init(blocking documents: Set<SalesDocument>) {
        self.init(
            salesOrder: documents.contains(.salesOrder), goodsShipment: documents.contains(.goodsShipment),
            salesInvoice: documents.contains(.salesInvoice), paymentIn: documents.contains(.paymentIn))
    }

    public var blocked: [SalesDocument] {
        [(salesOrder, SalesDocument.salesOrder), (goodsShipment, .goodsShipment), (salesInvoice, .salesInvoice), (paymentIn, .paymentIn)]
            .filter(\.0).map(\.1)
    }
}

/// A customer as read back: references by code.
public struct Customer: Sendable, Hashable, Codable {
    public var id: Int64
    public var code: String
    public var name: String
    public var currency: String
    public var priceList: String
    public var paymentMethod: String?
    public var financialAccount: String?
    public var paymentTerms: String
    public var cashSalesOnly: Bool
    public var netDays: Int
    public var invoiceTerms: InvoiceTerms
    public var invoiceSchedule: String?
    /// `nil`: no limit.
    public var creditLimit: Decimal?
    public var taxExempt: Bool
    public var taxCategory: String?
    public var salesRep: String?
    public var onHold: Bool
    public var hold: HoldSwitches
    public var createCustomerItems: Bool
    public var active: Bool
    public var version: Int

    init(row: PostgresRow) throws {
        id = try row.decode("id")
        code = try row.decode("code")
        name = try row.decode("name")
        currency = try row.decode("currency")
        priceList = try row.decode("price_list")
        paymentMethod = try row.decode("payment_method")
        financialAccount = try row.decode("financial_account")
        paymentTerms = try row.decode("payment_terms")
        cashSalesOnly = try row.decode("cash_sales_only")
        netDays = try row.decode("net_days")
        let terms: String = try row.decode("invoice_terms")
        guard let invoiceTerms = InvoiceTerms(rawValue: terms) else {
            throw PostgresError(
                kind: .decoding, message: "invoice_terms '\(terms)' is not known to this version of Postgate", column: "invoice_terms")
        }
        self.invoiceTerms = invoiceTerms
        invoiceSchedule = try row.decode("invoice_schedule")
        creditLimit = try row.decode("credit_limit")
        taxExempt = try row.decode("tax_exempt")
        taxCategory = try row.decode("tax_category")
        salesRep = try row.decode("sales_rep")
        onHold = try row.decode("on_hold")
        hold = HoldSwitches(
            salesOrder: try row.decode("hold_sales_order"), goodsShipment: try row.decode("hold_goods_shipment"),
            salesInvoice: try row.decode("hold_sales_invoice"), paymentIn: try row.decode("hold_payment_in"))
        createCustomerItems = try row.decode("create_customer_items")
        active = try row.decode("active")
        version = try row.decode("version")
    }
}

/// The fields of a new customer. Required: code, name, price list, payment terms; the currency
/// defaults to the price list's.
public struct NewCustomer: Sendable, Hashable, Encodable {
    public var code: String
    public var name: String
    public var priceList: String
    public var paymentTerms: String
    public var currency: String?
    public var paymentMethod: String?
    public var financialAccount: String?
    public var invoiceTerms: InvoiceTerms?
    public var invoiceSchedule: String?
    public var creditLimit: Decimal?
    public var taxExempt: Bool?
    public var taxCategory: String?
    public var salesRep: String?
    public var createCustomerItems: Bool?

    public init(code: String, name: String, priceList: String, paymentTerms: String) {
        self.code = code
        self.name = name
        self.priceList = priceList
        self.paymentTerms = paymentTerms
    }

}

/// Changes to a customer: only the fields set here change; `clear` empties an optional one.
public struct CustomerChanges: Sendable, Hashable {
    public private(set) var fields: [String: JSONValue] = [:]

    public init() {}

    public enum Field: String, Sendable, CaseIterable {
        case code, name
        case priceList = "price_list"
        case paymentMethod = "payment_method"
        case financialAccount = "financial_account"
        case paymentTerms = "payment_terms"
        case invoiceTerms = "invoice_terms"
        case invoiceSchedule = "invoice_schedule"
        case creditLimit = "credit_limit"
        case taxExempt = "tax_exempt"
        case taxCategory = "tax_category"
        case salesRep = "sales_rep"
        case createCustomerItems = "create_customer_items"
        case active
    }

    public mutating func set(_ field: Field, _ value: String) { fields[field.rawValue] = .string(value) }
    public mutating func set(_ field: Field, _ value: Decimal) { fields[field.rawValue] = .number(value) }
    public mutating func set(_ field: Field, _ value: Bool) { fields[field.rawValue] = .bool(value) }
    /// Empties an optional field (for the credit limit: no limit).
    public mutating func clear(_ field: Field) { fields[field.rawValue] = .null }

    public var isEmpty: Bool { fields.isEmpty }
}

/// An alert a sales document shows for its customer.
public struct CustomerAlert: Sendable, Hashable, Codable {
    /// `on_hold`, `over_credit_limit`, `inactive`.
    public var alert: String
    public var severity: AlertSeverity
    public var message: String
}

/// A customer's balance and credit position, in the customer's currency.
public struct CustomerBalance: Sendable, Hashable, Codable {
    public var code: String
    public var currency: String
    public var balance: Decimal
    public var creditLimit: Decimal?
    public var headroom: Decimal?
    public var creditStatus: CreditStatus
    public var onHold: Bool
}

import Foundation

/// What booking a sales order is checked against: the customer's hold for orders and its credit
/// exposure (the open balance, or the full exposure under the setting `credit_exposure`).
public struct OrderFacts: Sendable, Hashable {
    public var reference: String
    public var customer: String
    public var customerCurrency: String
    public var onHoldForOrders: Bool
    public var creditLimit: Decimal?
    public var exposure: Decimal
    /// The order's total in the customer's currency.
    public var orderTotal: Decimal

    public init(
        reference: String, customer: String, customerCurrency: String, onHoldForOrders: Bool = false, creditLimit: Decimal? = nil,
        exposure: Decimal = 0, orderTotal: Decimal = 0
    ) {
        self.reference = reference
        self.customer = customer
        self.customerCurrency = customerCurrency
        self.onHoldForOrders = onHoldForOrders
        self.creditLimit = creditLimit
        self.exposure = exposure
        self.orderTotal = orderTotal
    }
}

extension OrderFacts: CreditFacts {
    public static var kind: DocumentKind { .salesOrder }
    public var isHeld: Bool { onHoldForOrders }
    /// The booking check does not look at lines (an order without lines is refused by the database).
    public var lineCount: Int { 1 }

    public var creditExposure: (total: Decimal, figures: [String: String])? {
        (exposure + orderTotal, ["exposure": exposure.figure, "order_total": orderTotal.figure])
    }
}

/// The booking check of a sales order, with the posting's rule types: a hold for sales orders
/// blocks (`OnHoldRule`); the credit limit warns or blocks as the setting `order_credit_mode`
/// says, off by default (`CreditLimitRule`).
public enum OrderPolicy {
    /// Every rule, in the order findings are reported.
    static func allRules(_ settings: PolicySettings) -> [any Rule<OrderFacts>] {
        [OnHoldRule(), CreditLimitRule(mode: settings.orderCreditMode, watchRatio: nil)]
    }

    public static func evaluateBooking(_ facts: OrderFacts, settings: PolicySettings) -> Decision {
        RuleSet(allRules(settings)).evaluate(facts)
    }
}

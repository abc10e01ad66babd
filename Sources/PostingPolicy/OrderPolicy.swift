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

/// The booking check of a sales order, in the posting policy's style: a hold for sales orders
/// blocks; the credit limit warns or blocks as the setting `order_credit_mode` says (off by
/// default).
public enum OrderPolicy {
    public static func evaluateBooking(_ facts: OrderFacts, settings: PolicySettings) -> Decision {
        var findings: [Finding] = []
        if facts.onHoldForOrders {
            findings.append(
                Finding(
                    rule: "on-hold", severity: .block, code: "customer-on-hold-orders",
                    message: "Customer \(facts.customer) is on hold for sales orders: release the hold before booking \(facts.reference)."))
        }
        if settings.orderCreditMode != .off, let limit = facts.creditLimit {
            let after = facts.exposure + facts.orderTotal
            if after > limit {
                let currency = facts.customerCurrency
                findings.append(
                    Finding(
                        rule: "credit-limit", severity: settings.orderCreditMode == .block ? .block : .warn, code: "credit-limit-exceeded",
                        message:
                            "Customer \(facts.customer) would have \(after.figure) \(currency) of exposure with \(facts.reference), \((after - limit).figure) \(currency) over its credit limit of \(limit.figure) \(currency): take a payment, raise the limit, or book later.",
                        figures: [
                            "limit": limit.figure, "exposure": facts.exposure.figure, "order_total": facts.orderTotal.figure,
                            "over": (after - limit).figure,
                        ]))
            }
        }
        return Decision(findings: findings)
    }
}

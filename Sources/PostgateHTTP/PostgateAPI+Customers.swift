import Foundation
import OpenAPIRuntime
import Postgate
import Postgres

// Customers, their items, reference data and conversion rates.
extension PostgateAPI {
    public func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        await respond(Operations.ListCustomers.Output.default) {
            let customers = try await CustomerStore(pool: pool).list(
                search: input.query.search, limit: input.query.limit ?? 50, offset: input.query.offset ?? 0)
            return .ok(
                .init(
                    body: .json(
                        customers.map {
                            .init(
                                code: $0.code, name: $0.name, currency: $0.currency, creditLimit: $0.creditLimit?.description,
                                onHold: $0.onHold, version: $0.version)
                        })))
        }
    }

    public func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        await respond(Operations.GetCustomer.Output.default) {
            let store = CustomerStore(pool: pool)
            let customer = try await store.get(input.path.code)
            let balance = try await store.balance(customer.code)
            let alerts = try await store.alerts(customer.code, for: .salesInvoice)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            code: customer.code, name: customer.name, currency: customer.currency, priceList: customer.priceList,
                            paymentMethod: customer.paymentMethod, financialAccount: customer.financialAccount,
                            paymentTerms: customer.paymentTerms, cashSalesOnly: customer.cashSalesOnly, netDays: customer.netDays,
                            invoiceTerms: .init(rawValue: customer.invoiceTerms.rawValue) ?? .immediate,
                            invoiceSchedule: customer.invoiceSchedule, taxExempt: customer.taxExempt, taxCategory: customer.taxCategory,
                            salesRep: customer.salesRep, balance: balance.balance.description, creditLimit: customer.creditLimit?.description,
                            headroom: balance.headroom?.description, creditStatus: .init(rawValue: balance.creditStatus.rawValue) ?? .ok,
                            onHold: customer.onHold, hold: Self.hold(customer.hold), createCustomerItems: customer.createCustomerItems,
                            active: customer.active, version: customer.version, alerts: alerts.map(Self.alert)))))
        }
    }

    public func createCustomer(_ input: Operations.CreateCustomer.Input) async throws -> Operations.CreateCustomer.Output {
        await respond(Operations.CreateCustomer.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            var customer = NewCustomer(code: body.code, name: body.name, priceList: body.priceList, paymentTerms: body.paymentTerms)
            customer.currency = body.currency
            customer.paymentMethod = body.paymentMethod
            customer.financialAccount = body.financialAccount
            customer.invoiceTerms = body.invoiceTerms.flatMap { InvoiceTerms(rawValue: $0.rawValue) }
            customer.invoiceSchedule = body.invoiceSchedule
            customer.creditLimit = try Self.decimal(body.creditLimit, field: "credit_limit")
            customer.taxExempt = body.taxExempt
            customer.taxCategory = body.taxCategory
            customer.salesRep = body.salesRep
            customer.createCustomerItems = body.createCustomerItems
            return .created(.init(body: .json(.init(id: try await CustomerStore(pool: pool).create(customer)))))
        }
    }

    public func updateCustomer(_ input: Operations.UpdateCustomer.Input) async throws -> Operations.UpdateCustomer.Output {
        await respond(Operations.UpdateCustomer.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            var changes = CustomerChanges()
            let texts: [(CustomerChanges.Field, String?)] = [
                (.code, body.code), (.name, body.name), (.priceList, body.priceList), (.paymentMethod, body.paymentMethod),
                (.financialAccount, body.financialAccount), (.paymentTerms, body.paymentTerms), (.invoiceTerms, body.invoiceTerms?.rawValue),
                (.invoiceSchedule, body.invoiceSchedule), (.taxCategory, body.taxCategory), (.salesRep, body.salesRep),
            ]
            for case (let field, let value?) in texts { changes.set(field, value) }
            let switches: [(CustomerChanges.Field, Bool?)] = [
                (.taxExempt, body.taxExempt), (.createCustomerItems, body.createCustomerItems), (.active, body.active),
            ]
            for case (let field, let value?) in switches { changes.set(field, value) }
            if let limit = try Self.decimal(body.creditLimit, field: "credit_limit") { changes.set(.creditLimit, limit) }
            for name in body.clear ?? [] {
                if let field = CustomerChanges.Field(rawValue: name.rawValue) { changes.clear(field) }
            }
            guard !changes.isEmpty else {
                throw Problem.badField("body", "at least one field to change besides version (or a field named in clear)")
            }
            let version = try await CustomerStore(pool: pool).update(input.path.code, version: body.version, changes: changes)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func holdCustomer(_ input: Operations.HoldCustomer.Input) async throws -> Operations.HoldCustomer.Output {
        await respond(Operations.HoldCustomer.Output.default) {
            var switches: HoldSwitches?
            if case .json(let body)? = input.body,
                body.salesOrder != nil || body.goodsShipment != nil || body.salesInvoice != nil
                    || body.paymentIn != nil
            {
                switches = HoldSwitches(
                    salesOrder: body.salesOrder ?? false, goodsShipment: body.goodsShipment ?? false, salesInvoice: body.salesInvoice ?? false,
                    paymentIn: body.paymentIn ?? false)
            }
            return .ok(.init(body: .json(.init(version: try await CustomerStore(pool: pool).hold(input.path.code, switches)))))
        }
    }

    public func releaseCustomer(_ input: Operations.ReleaseCustomer.Input) async throws -> Operations.ReleaseCustomer.Output {
        await respond(Operations.ReleaseCustomer.Output.default) {
            .ok(.init(body: .json(.init(version: try await CustomerStore(pool: pool).release(input.path.code)))))
        }
    }

    public func setCustomerCurrency(_ input: Operations.SetCustomerCurrency.Input) async throws -> Operations.SetCustomerCurrency.Output {
        await respond(Operations.SetCustomerCurrency.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let balance = try await CustomerStore(pool: pool).setCurrency(
                input.path.code, to: body.currency, rate: try Self.decimal(body.rate, field: "rate"), on: try Self.date(body.date, field: "date"))
            return .ok(.init(body: .json(.init(balance: balance.description))))
        }
    }

    public func customerAlerts(_ input: Operations.CustomerAlerts.Input) async throws -> Operations.CustomerAlerts.Output {
        await respond(Operations.CustomerAlerts.Output.default) {
            let document = SalesDocument(rawValue: input.query.document?.rawValue ?? "") ?? .salesInvoice
            let alerts = try await CustomerStore(pool: pool).alerts(input.path.code, for: document)
            return .ok(.init(body: .json(alerts.map(Self.alert))))
        }
    }

    public func listCustomerItems(_ input: Operations.ListCustomerItems.Input) async throws -> Operations.ListCustomerItems.Output {
        await respond(Operations.ListCustomerItems.Output.default) {
            _ = try await CustomerStore(pool: pool).get(input.path.code)
            let items = try await PaymentStore(pool: pool).customerItems(input.path.code)
            return .ok(
                .init(
                    body: .json(
                        items.map {
                            .init(
                                itemId: $0.id, product: $0.product, serial: $0.serial, source: $0.source, warrantyStatus: $0.warrantyStatus,
                                warrantyEnd: $0.warrantyEnd?.description, nextService: $0.nextService?.description)
                        })))
        }
    }

    public func addCustomerItem(_ input: Operations.AddCustomerItem.Input) async throws -> Operations.AddCustomerItem.Output {
        await respond(Operations.AddCustomerItem.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await PaymentStore(pool: pool).addCustomerItem(
                NewCustomerItem(
                    customer: body.customer, product: body.product, serial: body.serial, itemType: body.itemType,
                    warrantyStart: try Self.date(body.warrantyStart, field: "warranty_start"), notes: body.notes))
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    public func listReference(_ input: Operations.ListReference.Input) async throws -> Operations.ListReference.Output {
        await respond(Operations.ListReference.Output.default) {
            guard let kind = ReferenceKind(rawValue: input.path.kind.rawValue) else { throw Problem.badField("kind", "a kind of reference data") }
            let items = try await ReferenceStore(pool: pool).list(kind)
            return .ok(
                .init(
                    body: .json(try items.map { .init(code: $0.code, name: $0.name, details: try Self.container($0.details), version: $0.version) }))
            )
        }
    }

    public func saveReference(_ input: Operations.SaveReference.Input) async throws -> Operations.SaveReference.Output {
        await respond(Operations.SaveReference.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let store = ReferenceStore(pool: pool)
            let code = input.path.code
            func required<Value>(_ value: Value?, _ field: String, _ what: String) throws -> Value {
                guard let value else { throw Problem.badField(field, "given for \(input.path.kind.rawValue): \(what)") }
                return value
            }
            let version: Int
            switch ReferenceKind(rawValue: input.path.kind.rawValue) {
            case .currencies?:
                version = try await store.saveCurrency(code, name: body.name, minorUnits: body.minorUnits ?? 2, version: body.version)
            case .priceLists?:
                version = try await store.savePriceList(
                    code, name: body.name, currency: try required(body.currency, "currency", "the code of its currency"), version: body.version)
            case .paymentMethods?:
                version = try await store.savePaymentMethod(code, name: body.name, version: body.version)
            case .accounts?:
                version = try await store.saveFinancialAccount(
                    code, name: body.name, currency: try required(body.currency, "currency", "the code of its currency"),
                    paymentMethods: body.paymentMethods ?? [], version: body.version)
            case .terms?:
                version = try await store.savePaymentTerms(
                    code, name: body.name, netDays: body.netDays ?? 0, cashSalesOnly: body.cashSalesOnly ?? false, version: body.version)
            case .schedules?:
                version = try await store.saveInvoiceSchedule(code, name: body.name, description: body.description ?? "", version: body.version)
            case .taxes?:
                let rate = try Self.decimal(try required(body.rate, "rate", "the percentage, such as 20 or 7.5"), field: "rate")
                version = try await store.saveTaxRate(code, name: body.name, rate: rate, exempt: body.exempt ?? false, version: body.version)
            case .taxCategories?:
                version = try await store.saveTaxCategory(code, name: body.name, taxRates: body.taxRates ?? [], version: body.version)
            case .employees?:
                version = try await store.saveEmployee(code, name: body.name, isSalesRep: body.isSalesRep ?? false, version: body.version)
            case .rates?, nil:
                throw Problem.badField("kind", "a kind with codes: rates are added with POST /rates")
            }
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func getRate(_ input: Operations.GetRate.Input) async throws -> Operations.GetRate.Output {
        await respond(Operations.GetRate.Output.default) {
            let date = try Self.date(input.query.date, field: "date")
            let rate = try await ReferenceStore(pool: pool).rate(from: input.query.from, to: input.query.to, on: date)
            return .ok(
                .init(body: .json(.init(from: input.query.from.uppercased(), to: input.query.to.uppercased(), rate: rate.description))))
        }
    }

    public func addRate(_ input: Operations.AddRate.Input) async throws -> Operations.AddRate.Output {
        await respond(Operations.AddRate.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await ReferenceStore(pool: pool).addRate(
                from: body.from, to: body.to, rate: try Self.decimal(body.rate, field: "rate"),
                validFrom: try Self.date(body.validFrom, field: "valid_from"))
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    static func hold(_ switches: HoldSwitches) -> Components.Schemas.HoldSwitches {
        .init(
            salesOrder: switches.salesOrder, goodsShipment: switches.goodsShipment, salesInvoice: switches.salesInvoice,
            paymentIn: switches.paymentIn)
    }

    static func alert(_ alert: CustomerAlert) -> Components.Schemas.Alert {
        .init(alert: alert.alert, severity: .init(rawValue: alert.severity.rawValue) ?? .warn, message: alert.message)
    }
}

import Foundation
import Hummingbird
import Postgate
import Postgres

// Customers: a search, and one customer's balance, exposure, alerts, holds, documents and credit notes.
extension Console {
    /// The customers: the list, a customer's page and its hold.
    func registerCustomers<Context: RequestContext>(on router: Router<Context>) {
        router.get("console/customers") { request, _ in await page(request) { try await customersPage(request, $0) } }
        router.get("console/customers/{code}") { request, context in
            await page(request) { try await customerPage(Self.segment(context.parameters.get("code")), $0) }
        }
        router.post("console/customers/{code}/hold") { request, context in
            await action(request, needs: .edit) { user, form in try await setHold(Self.segment(context.parameters.get("code")), form, user) }
        }
    }

    struct CustomerRow: Sendable {
        var code: String
        var path: String
        var name: String
        var currency: String
        var onHold: Bool
    }

    struct CustomersPage: Sendable {
        var chrome: Chrome
        var search: String?
        var customers: [CustomerRow]
    }

    func customersPage(_ request: Request, _ user: User) async throws -> Response {
        let search = ConsoleForm.query(of: request)["q"]
        let customers = try await CustomerStore(pool: pool).list(search: search, limit: 100).map {
            CustomerRow(code: $0.code, path: ConsoleFormat.path($0.code), name: $0.name, currency: $0.currency, onHold: $0.onHold)
        }
        return render(
            "customers",
            CustomersPage(chrome: user.chrome("Customers", flash: await sessions.takeFlash(user.session.id)), search: search, customers: customers))
    }

    struct Amount: Sendable {
        var label: String
        var value: String
    }

    struct Switch: Sendable {
        var name: String
        var label: String
        var on: Bool
    }

    struct DocumentRow: Sendable {
        var kind: String
        var id: Int64
        var link: String?
        var title: String
        var date: String
        var currency: String
        var amount: String
        var open: String?
        var reference: String
    }

    struct CustomerPage: Sendable {
        var chrome: Chrome
        var customer: Customer
        var path: String
        var amounts: [Amount]
        var creditStatus: String
        var alerts: [CustomerAlert]
        var switches: [Switch]
        var documents: [DocumentRow]
        var creditNotes: [CreditNoteRow]
        var hasDocuments = false
        var hasCreditNotes = false
    }

    func customerPage(_ code: String, _ user: User) async throws -> Response {
        let store = CustomerStore(pool: pool)
        let customer = try await store.get(code)
        let balance = try await store.balance(code)
        let exposure = try await store.exposure(code)
        let alerts = try await store.alerts(code, for: .salesInvoice)
        let documents = try await store.recentDocuments(code, limit: 30)
        let creditNotes = try await CreditNoteStore(pool: pool).list(customer: customer.code, limit: 30).map {
            CreditNoteRow(
                id: $0.id, number: $0.number, status: $0.status, invoiceNumber: $0.invoiceNumber, date: $0.date.description, total: $0.total,
                currency: $0.currency, unallocated: $0.unallocated)
        }
        var amounts = [Amount(label: "Balance", value: ConsoleFormat.money(balance.balance))]
        if let exposure {
            amounts += [
                Amount(label: "Booked, not shipped", value: ConsoleFormat.money(exposure.bookedNotShipped)),
                Amount(label: "Shipped, not invoiced", value: ConsoleFormat.money(exposure.shippedNotInvoiced)),
                Amount(label: "Full exposure", value: ConsoleFormat.money(exposure.fullExposure)),
                Amount(label: "Counted by the credit rules", value: ConsoleFormat.money(exposure.countedByCreditRules)),
            ]
        }
        if let limit = balance.creditLimit { amounts.append(Amount(label: "Credit limit", value: ConsoleFormat.money(limit))) }
        if let headroom = exposure?.headroom ?? balance.headroom { amounts.append(Amount(label: "Headroom", value: ConsoleFormat.money(headroom))) }
        // The switches say what a hold blocks; they block only while the customer is on hold.
        let hold = customer.onHold ? customer.hold : HoldSwitches(salesOrder: false, goodsShipment: false, salesInvoice: false, paymentIn: false)
        let switches = [
            Switch(name: "sales_order", label: "Sales orders", on: hold.salesOrder),
            Switch(name: "goods_shipment", label: "Goods shipments", on: hold.goodsShipment),
            Switch(name: "sales_invoice", label: "Sales invoices", on: hold.salesInvoice),
            Switch(name: "payment_in", label: "Payments in", on: hold.paymentIn),
        ]
        let rows = documents.map { document in
            let title: String
            switch document.kind {
            case .invoice: title = "Invoice \(document.number ?? document.id)"
            case .draft: title = "Draft \(document.id)"
            case .payment: title = "Payment \(document.id)"
            case .adjustment: title = "Adjustment \(document.id)"
            }
            return DocumentRow(
                kind: document.kind.rawValue, id: document.id,
                link: document.kind == .invoice || document.kind == .draft ? "/console/invoices/\(document.id)" : nil, title: title,
                date: document.date.description, currency: document.currency, amount: ConsoleFormat.money(document.amount),
                open: document.open.map(ConsoleFormat.money), reference: document.reference)
        }
        var model = CustomerPage(
            chrome: user.chrome("\(customer.code) · \(customer.name)", flash: await sessions.takeFlash(user.session.id)), customer: customer,
            path: ConsoleFormat.path(customer.code), amounts: amounts,
            creditStatus: balance.creditStatus.rawValue.replacingOccurrences(of: "_", with: " "),
            alerts: alerts, switches: switches, documents: rows, creditNotes: creditNotes)
        model.hasDocuments = !rows.isEmpty
        model.hasCreditNotes = !creditNotes.isEmpty
        return render("customer", model)
    }

    func setHold(_ code: String, _ form: ConsoleForm, _ user: User) async throws -> Response {
        let store = CustomerStore(pool: pool)
        let switches = HoldSwitches(
            salesOrder: form["sales_order"] == "1", goodsShipment: form["goods_shipment"] == "1", salesInvoice: form["sales_invoice"] == "1",
            paymentIn: form["payment_in"] == "1")
        if switches.blocked.isEmpty {
            try await store.release(code)
            await sessions.flash("ok", "\(code) is released: no document is on hold.", in: user.session.id)
        } else {
            try await store.hold(code, switches)
            await sessions.flash(
                "ok",
                "\(code) is on hold for \(switches.blocked.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") + "s" }.joined(separator: ", ")).",
                in: user.session.id)
        }
        return Self.redirect("/console/customers/\(ConsoleFormat.path(code))")
    }
}

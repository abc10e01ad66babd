import Foundation
import HTTPTypes
import Hummingbird
import Postgate
import Postgres
import PostingPolicy

// One invoice: its lines and serials, pending customer items, posting, post and pay, audit; once
// posted, its credit notes and the form that drafts one.
extension Console {
    /// One invoice: its page, serials, review, post, post and pay.
    func registerInvoice<Context: RequestContext>(on router: Router<Context>) {
        router.get("console/invoices/{id}") { request, context in
            await page(request) { try await invoicePage(try Self.invoiceID(context.parameters.get("id")), $0) }
        }
        router.post("console/invoices/{id}/lines/{line}/serials") { request, context in
            await action(request, needs: .edit) { user, form in
                try await setSerials(
                    try Self.invoiceID(context.parameters.get("id")), line: context.parameters.get("line", as: Int.self) ?? 0, form, user)
            }
        }
        router.post("console/invoices/{id}/review") { request, context in
            await action(request, needs: .edit) { user, _ in try await review(try Self.invoiceID(context.parameters.get("id")), user) }
        }
        router.post("console/invoices/{id}/post") { request, context in
            await action(request, needs: .post) { user, _ in try await post(try Self.invoiceID(context.parameters.get("id")), user) }
        }
        router.post("console/invoices/{id}/post-and-pay") { request, context in
            await action(request, needs: .post) { user, form in try await postAndPay(try Self.invoiceID(context.parameters.get("id")), form, user) }
        }
    }

    struct SerialChoice: Sendable {
        var serial: String
        var quantity: String
        var expiry: String?
        var checked: Bool
    }

    struct LineView: Sendable {
        var line: Int
        var product: String
        var productName: String
        var quantity: String
        var unitPrice: String
        var tax: String
        var netAmount: String
        var taxAmount: String
        var serials: [Invoice.Line.Serial]
        var serialsText: String
        /// Serial entry: the line's product tracks serials and the invoice is a draft.
        var entry: Bool
        var batch: Bool
        var missing: String?
        /// The serials not in stock, recorded as added at sale (a warning).
        var addedAtSale: String?
        var available: [SerialChoice]
        var typed: String
        var location: String
    }

    struct ItemView: Sendable {
        var id: Int64
        var line: Int
        var product: String
        var unit: Int
        var serial: String?
        var quantity: String
        var warrantyStart: String?
        var notes: String
        var reviewedBy: String?
    }

    struct AuditView: Sendable {
        var at: String
        var mode: String
        var actor: String
        var login: String
        var findings: [String]
    }

    struct InvoicePage: Sendable {
        var chrome: Chrome
        var invoice: Invoice
        var customerPath: String
        var posted: Bool
        var netText: String
        var taxText: String
        var totalText: String
        var lines: [LineView]
        var items: [ItemView]
        var unreviewed: Int
        var blockers: [String]
        var warnings: [String]
        var alerts: [CustomerAlert]
        var canPost: Bool
        var cashSalesOnly: Bool
        var postAndPay: Bool
        var paymentMethods: [PaymentMethod]
        var audit: [AuditView]
        var editable: Bool
        var creditNotes: [CreditNoteRow] = []
        /// For a clerk or poster, while the posted invoice has anything left to credit.
        var credit: CreditForm?
        var creditedInFull = false
        var hasItems = false
        var hasBlockers = false
        var hasAudit = false
    }

    struct PaymentMethod: Sendable {
        var code: String
        var name: String
        var selected: Bool
    }

    func invoicePage(_ id: Int64, _ user: User, credit: CreditSubmission? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let invoice = try await InvoiceStore(pool: pool).invoice(id)
        let posted = invoice.isPosted
        var verdict: Verdict?
        if !posted { verdict = try await PostingService(pool: pool, actor: user.token.name).verdicts([id], as: .single).first }
        let missing = Dictionary((verdict?.facts.linesMissingSerials ?? []).map { ($0.line, $0.missing) }, uniquingKeysWith: +)
        let catalog = CatalogStore(pool: pool)
        let stock = StockStore(pool: pool)
        var products: [String: Product] = [:]
        var lines: [LineView] = []
        for line in invoice.lines {
            if products[line.product] == nil { products[line.product] = try? await catalog.product(line.product) }
            let tracking = products[line.product]?.serialTracking ?? .none
            let location = line.location ?? invoice.location ?? ""
            let entry = !posted && tracking != .none
            var available: [SerialChoice] = []
            let current = Set(line.serials.map(\.serial))
            if entry, !location.isEmpty {
                let picked = (try? await stock.pickSerials(product: line.product, location: location, limit: 50)) ?? []
                available = line.serials.filter { !$0.addedAtSale }.map {
                    SerialChoice(serial: $0.serial, quantity: ConsoleFormat.quantity($0.quantity), expiry: nil, checked: true)
                }
                available += picked.filter { !current.contains($0.serial) }.map {
                    SerialChoice(serial: $0.serial, quantity: ConsoleFormat.quantity($0.quantity), expiry: $0.expiry?.description, checked: false)
                }
            }
            let typed = line.serials.filter(\.addedAtSale).map { tracking == .batch ? "\($0.serial)=\($0.quantity)" : $0.serial }
            lines.append(
                LineView(
                    line: line.line, product: line.product, productName: line.productName, quantity: ConsoleFormat.quantity(line.quantity),
                    unitPrice: ConsoleFormat.money(line.unitPrice), tax: "\(line.taxRate) \(line.taxPercent)%",
                    netAmount: ConsoleFormat.money(line.netAmount),
                    taxAmount: ConsoleFormat.money(line.taxAmount), serials: line.serials,
                    serialsText: line.serials.map { tracking == .batch ? "\($0.serial) × \($0.quantity)" : $0.serial }.joined(separator: ", "),
                    entry: entry, batch: tracking == .batch, missing: missing[line.line].map { "\($0) missing" },
                    addedAtSale: line.serials.contains(where: \.addedAtSale)
                        ? line.serials.filter(\.addedAtSale).map(\.serial).joined(separator: ", ") : nil, available: available,
                    typed: typed.joined(separator: "\n"),
                    location: location))
        }
        let items = invoice.pendingItems.map {
            ItemView(
                id: $0.id, line: $0.line, product: $0.product, unit: $0.unit, serial: $0.serial, quantity: ConsoleFormat.quantity($0.quantity),
                warrantyStart: $0.warrantyStart, notes: $0.notes, reviewedBy: $0.reviewedBy)
        }
        let cashSalesOnly = verdict?.facts.cashSalesOnly ?? false
        var methods: [PaymentMethod] = []
        if !posted, cashSalesOnly, user.canPost {
            let preferred = (try? await CustomerStore(pool: pool).get(invoice.customer))?.paymentMethod
            methods = ((try? await ReferenceStore(pool: pool).list(.paymentMethods)) ?? []).map {
                PaymentMethod(code: $0.code, name: $0.name, selected: $0.code == preferred)
            }
        }
        let audit =
            posted
            ? try await InvoiceStore(pool: pool).postingAudit(id).map {
                AuditView(
                    at: ConsoleFormat.timestamp($0.postedAt), mode: $0.mode.replacingOccurrences(of: "_", with: " "), actor: $0.actor,
                    login: $0.login,
                    findings: $0.findings.map { "\($0.severity.rawValue): \($0.message)" })
            } : []
        // Cash Sales Only is why a cash customer's draft cannot be posted alone; post and pay is its way.
        let blockers = (verdict?.decision.blockers ?? []).filter { !(cashSalesOnly && $0.ruleID == .cashSalesOnly) }.map(\.message)
        var flash = await sessions.takeFlash(user.session.id)
        if let credit { flash = ("error", "The credit note was not drafted, and nothing changed: \(credit.message)") }
        var model = InvoicePage(
            chrome: user.chrome(
                posted ? "Invoice \(invoice.number ?? id)" : "Draft \(invoice.reference.isEmpty ? String(id) : invoice.reference)", flash: flash),
            invoice: invoice, customerPath: ConsoleFormat.path(invoice.customer), posted: posted, netText: ConsoleFormat.money(invoice.netTotal),
            taxText: ConsoleFormat.money(invoice.taxTotal), totalText: ConsoleFormat.money(invoice.total), lines: lines, items: items,
            unreviewed: items.filter { $0.reviewedBy == nil }.count, blockers: blockers,
            warnings: (verdict?.decision.findings ?? []).filter { $0.severity == .warn }.map(\.message), alerts: invoice.alerts,
            canPost: !posted && user.canPost && !cashSalesOnly, cashSalesOnly: cashSalesOnly, postAndPay: !posted && user.canPost && cashSalesOnly,
            paymentMethods: methods, audit: audit, editable: !posted && user.canEdit)
        model.hasItems = !items.isEmpty
        model.hasBlockers = !blockers.isEmpty
        model.hasAudit = !audit.isEmpty
        if posted {
            model.creditNotes = invoice.creditNotes.reversed().map {
                CreditNoteRow(
                    id: $0.id, number: $0.number, status: $0.status, invoiceNumber: invoice.number, date: $0.date, total: $0.total,
                    currency: invoice.currency, unallocated: nil)
            }
            if user.canEdit {
                let form = creditForm(invoice, locations: try await returnLocations(), credit)
                model.creditedInFull = !form.lines.contains(where: \.open)
                model.credit = model.creditedInFull ? nil : form
            }
        }
        return render("invoice", model, status: status)
    }

    func setSerials(_ id: Int64, line: Int, _ form: ConsoleForm, _ user: User) async throws -> Response {
        var entries: [SerialEntry] = form.all("pick").filter { !$0.isEmpty }.map { SerialEntry($0) }
        if let typed = form["typed"] {
            for (index, text) in typed.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" }).enumerated() {
                let item = text.trimmingCharacters(in: .whitespaces)
                guard !item.isEmpty else { continue }
                let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 {
                    guard let quantity = Decimal(decimalLiteral: parts[1]), quantity > 0 else {
                        throw ConsoleInputError(
                            field: "Typed serials, entry \(index + 1)", message: "write SERIAL=QUANTITY with a positive quantity, not '\(item)'")
                    }
                    entries.append(SerialEntry(parts[0], quantity: quantity))
                } else {
                    entries.append(SerialEntry(item))
                }
            }
        }
        // A batch serial ticked from stock covers what the line still needs: its quantity field says how much.
        entries = try entries.map { entry in
            guard let text = form["quantity-\(entry.serial)"] else { return entry }
            guard let quantity = Decimal(decimalLiteral: text), quantity > 0 else {
                throw ConsoleInputError(field: "Quantity of \(entry.serial)", message: "write a positive quantity such as 20 or 2.5, not '\(text)'")
            }
            return SerialEntry(entry.serial, quantity: quantity)
        }
        let count = try await InvoiceStore(pool: pool).setSerials(id, line: line, serials: entries)
        let invoice = try await InvoiceStore(pool: pool).invoice(id)
        let added = invoice.lines.first { $0.line == line }?.serials.filter(\.addedAtSale).map(\.serial) ?? []
        if added.isEmpty {
            await sessions.flash("ok", "Line \(line): \(count) serial\(count == 1 ? "" : "s") recorded.", in: user.session.id)
        } else {
            await sessions.flash(
                "warn",
                "Line \(line): \(count) serial\(count == 1 ? "" : "s") recorded. Not in stock, so added at sale: \(added.joined(separator: ", ")). Check them against the goods.",
                in: user.session.id)
        }
        return Self.redirect("/console/invoices/\(id)")
    }

    func review(_ id: Int64, _ user: User) async throws -> Response {
        let count = try await InvoiceStore(pool: pool).reviewItems(id, reviewer: user.token.name)
        await sessions.flash("ok", "\(count) customer item\(count == 1 ? "" : "s") reviewed by \(user.token.name).", in: user.session.id)
        return Self.redirect("/console/invoices/\(id)")
    }

    func post(_ id: Int64, _ user: User) async throws -> Response {
        let result = try await PostingService(pool: pool, actor: user.token.name).post([id])
        await sessions.flash("ok", "Posted as invoice \(result.numbers[id] ?? 0).", in: user.session.id)
        return Self.redirect("/console/invoices/\(id)")
    }

    func postAndPay(_ id: Int64, _ form: ConsoleForm, _ user: User) async throws -> Response {
        var amount: Decimal?
        if let text = form["amount"] {
            guard let value = Decimal(decimalLiteral: text.replacingOccurrences(of: ",", with: "")), value > 0 else {
                throw ConsoleInputError(field: "Amount", message: "write a positive amount such as 48.35, not '\(text)'")
            }
            amount = value
        }
        let result = try await PostingService(pool: pool, actor: user.token.name).postAndPay(
            id, amount: amount, paymentMethod: form["payment_method"])
        await sessions.flash("ok", "Posted as invoice \(result.numbers[id] ?? 0), with its payment.", in: user.session.id)
        return Self.redirect("/console/invoices/\(id)")
    }
}

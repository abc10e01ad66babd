import Foundation
import Hummingbird
import Postgate
import Postgres
import PostingPolicy

// One credit note: header, lines, what the rules say of a draft, Post and Delete draft; where a
// posted one's credit went. Drafting one is the invoice page's credit note form.
extension Console {
    /// Drafting from an invoice's page, a credit note's page, Post and Delete draft.
    func registerCreditNotes<Context: RequestContext>(on router: Router<Context>) {
        router.post("console/invoices/{id}/credit-notes") { request, context in
            await action(request, needs: .edit) { user, form in
                try await draftCreditNote(try Self.invoiceID(context.parameters.get("id")), form, user)
            }
        }
        router.get("console/invoices/{id}/credit-notes") { _, context in
            // Where a refused credit note form was shown: reloading it shows the invoice.
            Self.redirect("/console/invoices/" + ConsoleFormat.path(context.parameters.get("id") ?? "") + "#credit")
        }
        router.get("console/credit-notes/{id}") { request, context in
            await page(request) { try await creditNotePage(try Self.creditNoteID(context.parameters.get("id")), $0) }
        }
        router.post("console/credit-notes/{id}/post") { request, context in
            await action(request, needs: .post) { user, _ in try await postCreditNote(try Self.creditNoteID(context.parameters.get("id")), user) }
        }
        router.post("console/credit-notes/{id}/delete") { request, context in
            await action(request, needs: .edit) { user, _ in try await deleteCreditNote(try Self.creditNoteID(context.parameters.get("id")), user) }
        }
    }

    /// A credit note in a list (the invoice's, the customer's).
    struct CreditNoteRow: Sendable {
        var id: Int64
        var path: String
        var title: String
        var status: String
        var invoiceNumber: Int64?
        var date: String
        var total: String
        var currency: String
        var unallocated: String?

        init(
            id: Int64, number: Int64?, status: InvoiceStatus, invoiceNumber: Int64?, date: String, total: Decimal, currency: String,
            unallocated: Decimal?
        ) {
            self.id = id
            path = "/console/credit-notes/\(id)"
            title = Console.creditNoteTitle(id: id, number: number)
            self.status = status.rawValue
            self.invoiceNumber = invoiceNumber
            self.date = date
            self.total = ConsoleFormat.money(total)
            self.currency = currency
            self.unallocated = unallocated.map(ConsoleFormat.money)
        }
    }

    static func creditNoteTitle(id: Int64, number: Int64?) -> String {
        number.map { "Credit note \($0)" } ?? "Draft credit note \(id)"
    }

    static func creditNoteID(_ text: String?) throws -> Int64 {
        guard let text, let id = Int64(text), id > 0 else {
            throw ConsoleInputError(field: "credit note", message: "a credit note id is a whole number")
        }
        return id
    }

    struct CreditLineView: Sendable {
        var line: Int
        var invoiceLine: Int
        var product: String
        var productName: String
        var kind: String
        var kindText: String
        var quantity: String?
        var location: String?
        var serials: String
        var netAmount: String
        var taxAmount: String
    }

    struct FindingView: Sendable {
        var severity: String
        var message: String
    }

    struct AllocationView: Sendable {
        var title: String
        var link: String?
        var amount: String
    }

    struct CreditNotePage: Sendable {
        var chrome: Chrome
        var note: CreditNote
        var heading: String
        var reasonText: String
        var posted: Bool
        var invoicePath: String
        var customerPath: String
        var netText: String
        var taxText: String
        var totalText: String
        var lines: [CreditLineView]
        /// A draft: what the posting rules say of it now.
        var previewed: Bool
        var canBePosted: Bool
        var findings: [FindingView]
        var blockers: [String]
        var blockedTitle: String?
        var mayPost: Bool
        var mayDelete: Bool
        var allocations: [AllocationView]
        var unallocatedText: String?
        var hasAllocations = false
    }

    static func kindText(_ kind: CreditKind) -> String {
        switch kind {
        case .return: "comes back"
        case .quantity: "kept by the customer"
        case .price: "price correction"
        }
    }

    func creditNotePage(_ id: Int64, _ user: User) async throws -> Response {
        let note = try await CreditNoteStore(pool: pool).creditNote(id)
        let posted = note.isPosted
        let verdict = posted ? nil : try await PostingService(pool: pool, actor: user.token.name).previewCreditNote(id)
        let decision = verdict?.decision ?? Decision(findings: [])
        let lines = note.lines.map { line in
            CreditLineView(
                line: line.line, invoiceLine: line.invoiceLine, product: line.product, productName: line.productName, kind: line.kind.rawValue,
                kindText: Self.kindText(line.kind), quantity: line.kind == .price ? nil : ConsoleFormat.quantity(line.quantity),
                location: line.location,
                serials: line.serials.map { serial in
                    (serial.product == line.product ? serial.serial : "\(serial.serial) (\(serial.product))")
                        + (serial.quantity == 1 ? "" : " × \(ConsoleFormat.quantity(serial.quantity))")
                }.joined(separator: ", "),
                netAmount: ConsoleFormat.money(line.netAmount), taxAmount: ConsoleFormat.money(line.taxAmount))
        }
        let allocations = note.allocations.map { allocation in
            if let refund = allocation.refund {
                return AllocationView(title: "Refund (payment \(refund))", link: nil, amount: ConsoleFormat.money(allocation.amount))
            }
            let number = allocation.invoiceNumber ?? 0
            return AllocationView(
                title: "Invoice \(number)", link: number == note.invoiceNumber ? "/console/invoices/\(note.invoiceId)" : nil,
                amount: ConsoleFormat.money(allocation.amount))
        }
        let blockers = decision.blockers.map(\.message)
        let heading = Self.creditNoteTitle(id: note.id, number: note.number)
        var model = CreditNotePage(
            chrome: user.chrome(heading, flash: await sessions.takeFlash(user.session.id)), note: note, heading: heading,
            reasonText: note.reason.isEmpty ? "none given" : note.reason, posted: posted,
            invoicePath: "/console/invoices/\(note.invoiceId)", customerPath: "/console/customers/" + ConsoleFormat.path(note.customer),
            netText: ConsoleFormat.money(note.netTotal), taxText: ConsoleFormat.money(note.taxTotal), totalText: ConsoleFormat.money(note.total),
            lines: lines, previewed: !posted, canBePosted: decision.canPost,
            findings: decision.findings.map { FindingView(severity: $0.severity.rawValue, message: $0.message) }, blockers: blockers,
            blockedTitle: blockers.isEmpty ? nil : "Post is not possible: " + blockers.joined(separator: " "),
            mayPost: !posted && user.canPost, mayDelete: !posted && user.canEdit, allocations: allocations,
            unallocatedText: note.unallocated.map(ConsoleFormat.money))
        model.hasAllocations = !allocations.isEmpty
        return render("credit-note", model)
    }

    /// Posts a draft credit note through the posting service, as the invoice page posts an invoice.
    func postCreditNote(_ id: Int64, _ user: User) async throws -> Response {
        let posting = try await PostingService(pool: pool, actor: user.token.name).postCreditNote(id)
        let note = try await CreditNoteStore(pool: pool).creditNote(id)
        let back = note.lines.filter { $0.kind == .return && $0.location != nil }
        await sessions.flash(
            "ok",
            "Posted as credit note \(posting.number)."
                + (back.isEmpty
                    ? ""
                    : " The goods of line\(back.count == 1 ? "" : "s") \(back.map { String($0.line) }.joined(separator: ", ")) are back in stock."),
            in: user.session.id)
        return Self.redirect("/console/credit-notes/\(id)")
    }

    func deleteCreditNote(_ id: Int64, _ user: User) async throws -> Response {
        let store = CreditNoteStore(pool: pool)
        let note = try await store.creditNote(id)
        try await store.delete(id)
        await sessions.flash("ok", "Draft credit note \(id) is deleted.", in: user.session.id)
        return Self.redirect("/console/invoices/\(note.invoiceId)")
    }
}

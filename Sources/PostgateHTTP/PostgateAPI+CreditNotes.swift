import Foundation
import OpenAPIRuntime
import Postgate
import Postgres
import PostingPolicy

// Credit notes (drafted, read, previewed, posted through the posting rules, their credit allocated)
// and refunds.
extension PostgateAPI {
    public func listCreditNotes(_ input: Operations.ListCreditNotes.Input) async throws -> Operations.ListCreditNotes.Output {
        await respond(Operations.ListCreditNotes.Output.default) {
            let notes = try await CreditNoteStore(pool: pool).list(
                customer: input.query.customer, invoiceNumber: input.query.invoiceNumber, limit: input.query.limit ?? 1000)
            return .ok(
                .init(
                    body: .json(
                        notes.map {
                            .init(
                                creditNoteId: $0.id, number: $0.number, status: $0.status == .posted ? .posted : .draft,
                                invoiceNumber: $0.invoiceNumber, customer: $0.customer, date: $0.date.description, currency: $0.currency,
                                total: $0.total.description, unallocated: $0.unallocated?.description, version: $0.version)
                        })))
        }
    }

    public func createCreditNote(_ input: Operations.CreateCreditNote.Input) async throws -> Operations.CreateCreditNote.Output {
        await respond(Operations.CreateCreditNote.Output.default) {
            guard case .json(let note) = input.body else { throw Problem.badBody("a JSON object") }
            let lines = try note.lines.map { lines in
                try lines.enumerated().map { index, line in
                    let field = "lines[\(index + 1)]"
                    return NewCreditNote.Line(
                        line: line.line, quantity: try Self.decimal(line.quantity, field: "\(field).quantity"),
                        serials: try line.serials.map { try Self.serials($0, field: "\(field).serials") }, location: line.location,
                        return: line._return)
                }
            }
            let amounts = try note.amounts.map { amounts in
                try amounts.enumerated().map { index, amount in
                    NewCreditNote.Amount(line: amount.line, amount: try Self.decimal(amount.amount, field: "amounts[\(index + 1)].amount"))
                }
            }
            let id = try await CreditNoteStore(pool: pool).create(
                NewCreditNote(
                    invoiceNumber: note.invoiceNumber, date: try Self.date(note.date, field: "date"), reason: note.reason, location: note.location,
                    return: note._return, lines: lines, amounts: amounts))
            return .created(.init(body: .json(.init(creditNoteId: id))))
        }
    }

    public func getCreditNote(_ input: Operations.GetCreditNote.Input) async throws -> Operations.GetCreditNote.Output {
        await respond(Operations.GetCreditNote.Output.default) {
            let note = try await CreditNoteStore(pool: pool).creditNote(input.path.id)
            let lines = note.lines.map { line in
                Components.Schemas.CreditNoteLine(
                    line: line.line, invoiceLine: line.invoiceLine, product: line.product, productName: line.productName,
                    kind: .init(rawValue: line.kind.rawValue) ?? .quantity, quantity: line.quantity.description, location: line.location,
                    netAmount: line.netAmount.description, taxAmount: line.taxAmount.description,
                    serials: line.serials.map { .init(serial: $0.serial, product: $0.product, quantity: $0.quantity.description) })
            }
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: note.id, number: note.number, status: note.isPosted ? .posted : .draft, invoiceId: note.invoiceId,
                            invoiceNumber: note.invoiceNumber, customer: note.customer, customerName: note.customerName, date: note.date,
                            currency: note.currency, reason: note.reason, netTotal: note.netTotal.description, taxTotal: note.taxTotal.description,
                            total: note.total.description, version: note.version, postedBy: note.postedBy,
                            unallocated: note.unallocated?.description, lines: lines,
                            allocations: note.allocations.map {
                                .init(invoiceNumber: $0.invoiceNumber, refund: $0.refund, amount: $0.amount.description)
                            }))))
        }
    }

    public func deleteCreditNote(_ input: Operations.DeleteCreditNote.Input) async throws -> Operations.DeleteCreditNote.Output {
        await respond(Operations.DeleteCreditNote.Output.default) {
            try await CreditNoteStore(pool: pool).delete(input.path.id)
            return .noContent(.init())
        }
    }

    public func previewCreditNote(_ input: Operations.PreviewCreditNote.Input) async throws -> Operations.PreviewCreditNote.Output {
        await respond(Operations.PreviewCreditNote.Output.default) {
            let verdict = try await PostingService(pool: pool, actor: actorName).previewCreditNote(input.path.id)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            creditNoteId: verdict.facts.creditNoteID, reference: verdict.facts.reference, status: verdict.posted ? .posted : .draft,
                            canPost: !verdict.posted && verdict.decision.canPost, total: verdict.facts.total.description,
                            currency: verdict.facts.currency,
                            findings: verdict.decision.findings.map(Self.finding)))))
        }
    }

    public func postCreditNote(_ input: Operations.PostCreditNote.Input) async throws -> Operations.PostCreditNote.Output {
        await respond(Operations.PostCreditNote.Output.default) {
            let posting = try await PostingService(pool: pool, actor: actorName).postCreditNote(input.path.id)
            return .ok(
                .init(
                    body: .json(
                        .init(creditNoteId: posting.creditNoteID, number: posting.number, findings: posting.decision.findings.map(Self.finding)))))
        }
    }

    public func applyCreditNote(_ input: Operations.ApplyCreditNote.Input) async throws -> Operations.ApplyCreditNote.Output {
        await respond(Operations.ApplyCreditNote.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let allocations = try body.allocations.enumerated().map { index, allocation in
                NewPayment.Allocation(
                    invoiceNumber: allocation.invoiceNumber,
                    amount: try Self.decimal(allocation.amount, field: "allocations[\(index + 1)].amount"))
            }
            let store = CreditNoteStore(pool: pool)
            // The store names a credit note by its number, which only a posted one has.
            guard let number = try await store.creditNote(input.path.id).number else {
                throw DomainError(
                    kind: .ruleViolated, field: "id", message: "credit note draft \(input.path.id) is not posted, so it has no credit to allocate",
                    hint: "Post it first, then allocate its credit.")
            }
            let allocated = try await store.apply(number, to: allocations)
            return .ok(.init(body: .json(.init(allocated: allocated.description))))
        }
    }

    public func recordRefund(_ input: Operations.RecordRefund.Input) async throws -> Operations.RecordRefund.Output {
        await respond(Operations.RecordRefund.Output.default) {
            guard case .json(let refund) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await PaymentStore(pool: pool).refund(
                NewRefund(
                    customer: refund.customer, amount: try Self.decimal(refund.amount, field: "amount"),
                    creditNoteNumber: refund.creditNoteNumber, date: try Self.date(refund.date, field: "date"), currency: refund.currency,
                    paymentMethod: refund.paymentMethod, financialAccount: refund.financialAccount, reference: refund.reference))
            return .created(.init(body: .json(.init(paymentId: id))))
        }
    }

    /// The serials that come back, as the credit note store takes them.
    static func serials(_ serials: [Components.Schemas.ReturnedSerial], field: String) throws -> [SerialEntry] {
        try serials.enumerated().map { index, entry in
            SerialEntry(entry.serial, quantity: try decimal(entry.quantity, field: "\(field)[\(index + 1)].quantity"), product: entry.product)
        }
    }
}

import Foundation
import OpenAPIRuntime
import Postgate
import Postgres
import PostingPolicy

// Draft invoices, posting (one, several, mass posting as a preview and a run, post and pay, point
// of sale) and payments.
extension PostgateAPI {
    public func listDraftInvoices(_ input: Operations.ListDraftInvoices.Input) async throws -> Operations.ListDraftInvoices.Output {
        await respond(Operations.ListDraftInvoices.Output.default) {
            let filter = UnpostedFilter(
                customer: input.query.customer, from: try Self.date(input.query.from, field: "from"), to: try Self.date(input.query.to, field: "to"))
            let drafts = try await InvoiceStore(pool: pool).unposted(filter, limit: input.query.limit ?? 1000)
            return .ok(
                .init(
                    body: .json(
                        drafts.map {
                            .init(
                                invoiceId: $0.invoiceID, customer: $0.customer, date: $0.date.description, reference: $0.reference,
                                currency: $0.currency, total: $0.total.description, lines: $0.lines, version: $0.version)
                        })))
        }
    }

    public func createDraftInvoice(_ input: Operations.CreateDraftInvoice.Input) async throws -> Operations.CreateDraftInvoice.Output {
        await respond(Operations.CreateDraftInvoice.Output.default) {
            guard case .json(let draft) = input.body else { throw Problem.badBody("a JSON object") }
            let lines = try Self.lines(draft.lines ?? [])
            let created = try await InvoiceStore(pool: pool).createDraft(
                customer: draft.customer, date: try Self.date(draft.date, field: "date"), reference: draft.reference, location: draft.location,
                lines: lines)
            return .created(.init(body: .json(.init(invoiceId: created.id))))
        }
    }

    public func getInvoice(_ input: Operations.GetInvoice.Input) async throws -> Operations.GetInvoice.Output {
        await respond(Operations.GetInvoice.Output.default) {
            let invoice = try await InvoiceStore(pool: pool).invoice(input.path.id)
            let lines = invoice.lines.map { line in
                Components.Schemas.InvoiceLine(
                    line: line.line, product: line.product, productName: line.productName, quantity: line.quantity.description,
                    unitPrice: line.unitPrice.description, taxRate: line.taxRate, taxPercent: line.taxPercent.description,
                    netAmount: line.netAmount.description, taxAmount: line.taxAmount.description, location: line.location,
                    serials: line.serials.map {
                        .init(
                            serial: $0.serial, quantity: $0.quantity.description, addedAtSale: $0.addedAtSale, product: $0.product,
                            returned: $0.returned.description)
                    }, credited: line.credited.description, returned: line.returned.description)
            }
            let items = invoice.pendingItems.map { item in
                Components.Schemas.PendingItem(
                    id: item.id, line: item.line, product: item.product, unit: item.unit, serial: item.serial, quantity: item.quantity.description,
                    warrantyStart: item.warrantyStart, notes: item.notes, reviewedBy: item.reviewedBy)
            }
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: invoice.id, number: invoice.number, status: invoice.isPosted ? .posted : .draft, customer: invoice.customer,
                            customerName: invoice.customerName, date: invoice.date, dueDate: invoice.dueDate, currency: invoice.currency,
                            reference: invoice.reference, location: invoice.location, netTotal: invoice.netTotal.description,
                            taxTotal: invoice.taxTotal.description, total: invoice.total.description, version: invoice.version, lines: lines,
                            pendingItems: items, alerts: invoice.alerts.map(Self.alert),
                            creditNotes: invoice.creditNotes.map {
                                .init(
                                    id: $0.id, number: $0.number, status: $0.status == .posted ? .posted : .draft, date: $0.date,
                                    total: $0.total.description)
                            }))))
        }
    }

    public func deleteDraftInvoice(_ input: Operations.DeleteDraftInvoice.Input) async throws -> Operations.DeleteDraftInvoice.Output {
        await respond(Operations.DeleteDraftInvoice.Output.default) {
            try await InvoiceStore(pool: pool).delete(input.path.id)
            return .noContent(.init())
        }
    }

    public func addDraftLines(_ input: Operations.AddDraftLines.Input) async throws -> Operations.AddDraftLines.Output {
        await respond(Operations.AddDraftLines.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let numbers = try await InvoiceStore(pool: pool).addLines(input.path.id, try Self.lines(body.lines))
            return .created(.init(body: .json(.init(lines: numbers))))
        }
    }

    public func removeDraftLine(_ input: Operations.RemoveDraftLine.Input) async throws -> Operations.RemoveDraftLine.Output {
        await respond(Operations.RemoveDraftLine.Output.default) {
            try await InvoiceStore(pool: pool).removeLine(input.path.id, line: input.path.line)
            return .noContent(.init())
        }
    }

    public func setLineSerials(_ input: Operations.SetLineSerials.Input) async throws -> Operations.SetLineSerials.Output {
        await respond(Operations.SetLineSerials.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let count = try await InvoiceStore(pool: pool).setSerials(
                input.path.id, line: input.path.line, serials: try Self.serials(body.serials, field: "serials"))
            return .ok(.init(body: .json(.init(count: count))))
        }
    }

    public func reviewCustomerItems(_ input: Operations.ReviewCustomerItems.Input) async throws -> Operations.ReviewCustomerItems.Output {
        await respond(Operations.ReviewCustomerItems.Output.default) {
            let count = try await InvoiceStore(pool: pool).reviewItems(input.path.id, reviewer: actorName)
            return .ok(.init(body: .json(.init(count: count))))
        }
    }

    public func updatePendingItem(_ input: Operations.UpdatePendingItem.Input) async throws -> Operations.UpdatePendingItem.Output {
        await respond(Operations.UpdatePendingItem.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            guard body.serial != nil || body.warrantyStart != nil || body.notes != nil else {
                throw Problem.badField("body", "at least one of serial, warranty_start and notes")
            }
            try await InvoiceStore(pool: pool).updatePendingItem(
                input.path.id, serial: body.serial, warrantyStart: try Self.date(body.warrantyStart, field: "warranty_start"), notes: body.notes)
            return .noContent(.init())
        }
    }

    public func postInvoices(_ input: Operations.PostInvoices.Input) async throws -> Operations.PostInvoices.Output {
        await respond(Operations.PostInvoices.Output.default) {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            let result = try await PostingService(pool: pool, actor: actorName).post(request.invoiceIds)
            var seen = Set<Int64>()
            let posted = request.invoiceIds.filter { seen.insert($0).inserted }.map { Self.posted($0, result) }
            return .ok(.init(body: .json(.init(posted: posted))))
        }
    }

    public func postAndPay(_ input: Operations.PostAndPay.Input) async throws -> Operations.PostAndPay.Output {
        await respond(Operations.PostAndPay.Output.default) {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            let result = try await PostingService(pool: pool, actor: actorName).postAndPay(
                request.invoiceId, amount: try Self.decimal(request.amount, field: "amount"), paymentMethod: request.paymentMethod,
                financialAccount: request.financialAccount, reference: request.reference)
            return .ok(.init(body: .json(Self.posted(request.invoiceId, result))))
        }
    }

    public func posSale(_ input: Operations.PosSale.Input) async throws -> Operations.PosSale.Output {
        await respond(Operations.PosSale.Output.default) {
            guard case .json(let sale) = input.body else { throw Problem.badBody("a JSON object") }
            let result = try await PostingService(pool: pool, actor: actorName).posSale(
                customer: sale.customer, location: sale.location, lines: try Self.lines(sale.lines), date: try Self.date(sale.date, field: "date"),
                paymentMethod: sale.paymentMethod, financialAccount: sale.financialAccount, reference: sale.reference)
            guard let id = result.numbers.keys.first else { throw Problem.badBody("a sale with lines") }
            return .created(.init(body: .json(Self.posted(id, result))))
        }
    }

    public func previewPosting(_ input: Operations.PreviewPosting.Input) async throws -> Operations.PreviewPosting.Output {
        await respond(Operations.PreviewPosting.Output.default) {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            // The verdicts stay with the preview in the database: the answer carries the first page.
            let service = PostingService(pool: pool, actor: actorName)
            let ids = request.invoiceIds ?? []
            let preview: PreviewSummary
            if ids.isEmpty {
                let filter = UnpostedFilter(
                    customer: request.customer, from: try Self.date(request.from, field: "from"), to: try Self.date(request.to, field: "to"),
                    minimumTotal: try Self.decimal(request.minTotal, field: "min_total"),
                    maximumTotal: try Self.decimal(request.maxTotal, field: "max_total"))
                preview = try await service.previewSummary(filter)
            } else {
                preview = try await service.previewSummary(ids)
            }
            let page = try await service.previewPage(preview.token, limit: Self.previewPageSize)
            return .created(
                .init(
                    body: .json(
                        .init(
                            token: preview.token.uuidString.lowercased(), canPost: preview.canPost, itemsToCreate: preview.itemsToCreate,
                            blocked: preview.blocked, warned: preview.warned, invoiceCount: preview.invoices,
                            totals: preview.totals.sorted { $0.key < $1.key }.map { .init(currency: $0.key, total: $0.value.description) },
                            invoices: page.map { Self.previewed($0.item) },
                            nextAfter: preview.invoices > page.count ? page.last?.position : nil))))
        }
    }

    /// The invoices a preview's answer carries, and a page's default size.
    static let previewPageSize = 1000

    static func previewed(_ item: PreviewItem) -> Components.Schemas.PreviewedInvoice {
        Components.Schemas.PreviewedInvoice(
            invoiceId: item.invoiceID, reference: item.reference, customer: item.customer, currency: item.currency,
            total: item.total.description, canPost: item.decision.canPost, itemsToCreate: item.itemsToCreate,
            findings: item.decision.findings.map(Self.finding))
    }

    public func listPreviewInvoices(_ input: Operations.ListPreviewInvoices.Input) async throws -> Operations.ListPreviewInvoices.Output {
        await respond(Operations.ListPreviewInvoices.Output.default) {
            guard let token = UUID(uuidString: input.path.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            let limit = input.query.limit ?? Self.previewPageSize
            let which = PostingService.PreviewPageFilter(rawValue: input.query.which?.rawValue ?? "all") ?? .all
            let page = try await PostingService(pool: pool, actor: actorName).previewPage(
                token, after: input.query.after ?? 0, limit: limit, which: which)
            return .ok(
                .init(body: .json(.init(invoices: page.map { Self.previewed($0.item) }, nextAfter: page.count == limit ? page.last?.position : nil))))
        }
    }

    public func startPostingRun(_ input: Operations.StartPostingRun.Input) async throws -> Operations.StartPostingRun.Output {
        await respond(Operations.StartPostingRun.Output.default) {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            guard let token = UUID(uuidString: request.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            let run = try await postingRuns(actor: actorName).start(token, chunkSize: request.chunkSize ?? 1000)
            return .accepted(.init(body: .json(Self.run(run))))
        }
    }

    public func getPostingRun(_ input: Operations.GetPostingRun.Input) async throws -> Operations.GetPostingRun.Output {
        await respond(Operations.GetPostingRun.Output.default) {
            guard let token = UUID(uuidString: input.path.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            return .ok(.init(body: .json(Self.run(try await postingRuns(actor: actor).run(token)))))
        }
    }

    public func receivePayment(_ input: Operations.ReceivePayment.Input) async throws -> Operations.ReceivePayment.Output {
        await respond(Operations.ReceivePayment.Output.default) {
            guard case .json(let payment) = input.body else { throw Problem.badBody("a JSON object") }
            let allocations = try (payment.allocations ?? []).enumerated().map { index, allocation in
                NewPayment.Allocation(
                    invoiceNumber: allocation.invoiceNumber,
                    amount: try Self.decimal(allocation.amount, field: "allocations[\(index + 1)].amount"))
            }
            let id = try await PaymentStore(pool: pool).receive(
                NewPayment(
                    customer: payment.customer, amount: try Self.decimal(payment.amount, field: "amount"),
                    date: try Self.date(payment.date, field: "date"), currency: payment.currency, paymentMethod: payment.paymentMethod,
                    financialAccount: payment.financialAccount, reference: payment.reference,
                    allocations: allocations.isEmpty ? nil : allocations))
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    static func posted(_ id: Int64, _ result: PostingResult) -> Components.Schemas.PostedInvoice {
        .init(invoiceId: id, number: result.numbers[id] ?? 0, findings: (result.decisions[id]?.findings ?? []).map(finding))
    }

    static func run(_ run: PostingRun) -> Components.Schemas.PostingRun {
        .init(
            token: run.token.uuidString.lowercased(), status: .init(rawValue: run.status.rawValue) ?? .running, total: run.total,
            posted: run.posted, alreadyPosted: run.alreadyPosted, notPosted: run.notPosted, stoppedBecause: run.stoppedBecause)
    }

    static func finding(_ finding: Finding) -> Components.Schemas.Finding {
        .init(
            rule: finding.rule, severity: .init(rawValue: finding.severity.rawValue) ?? .info, code: finding.code, message: finding.message,
            whatToDo: finding.ruleID?.whatToDo)
    }
}

import Foundation
import OpenAPIRuntime
import Postgate
import Postgres
import PostingPolicy

/// The routes of `openapi.yaml`, each translating HTTP to a store or the posting service. No
/// business rule is written here: refusals come from the database and the posting policy, and
/// `Problem` puts them in RFC 9457 form.
public struct PostgateAPI: APIProtocol {
    let pool: PostgresPool
    /// Who posts, as the posting audit records it.
    let actor: String

    public init(pool: PostgresPool, actor: String) {
        self.pool = pool
        self.actor = actor
    }

    public func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "alive"))))
    }

    public func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        do {
            _ = try await pool.query("SELECT api.posting_settings()")
            return .ok(.init(body: .json(.init(status: "ready"))))
        } catch {
            return .serviceUnavailable(Problem(error).response)
        }
    }

    public func getSpecification(_ input: Operations.GetSpecification.Input) async throws -> Operations.GetSpecification.Output {
        .ok(.init(body: .yaml(HTTPBody(openAPISpecification))))
    }

    public func getDocumentation(_ input: Operations.GetDocumentation.Input) async throws -> Operations.GetDocumentation.Output {
        .ok(.init(body: .html(HTTPBody(documentationPage))))
    }

    public func listCustomers(_ input: Operations.ListCustomers.Input) async throws -> Operations.ListCustomers.Output {
        do {
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
        } catch {
            return Problem(error).answer(Operations.ListCustomers.Output.default)
        }
    }

    public func getCustomer(_ input: Operations.GetCustomer.Input) async throws -> Operations.GetCustomer.Output {
        do {
            let store = CustomerStore(pool: pool)
            let customer = try await store.get(input.path.code)
            let balance = try await store.balance(customer.code)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            code: customer.code, name: customer.name, currency: customer.currency, balance: balance.balance.description,
                            creditLimit: customer.creditLimit?.description,
                            creditStatus: .init(rawValue: balance.creditStatus.rawValue) ?? .ok, onHold: customer.onHold,
                            version: customer.version))))
        } catch {
            return Problem(error).answer(Operations.GetCustomer.Output.default)
        }
    }

    public func createDraftInvoice(_ input: Operations.CreateDraftInvoice.Input) async throws -> Operations.CreateDraftInvoice.Output {
        do {
            guard case .json(let draft) = input.body else { throw Problem.badBody("a JSON object") }
            var lines: [NewInvoiceLine] = []
            for (index, line) in (draft.lines ?? []).enumerated() {
                lines.append(
                    NewInvoiceLine(
                        product: line.product, quantity: try Self.decimal(line.quantity, field: "lines[\(index + 1)].quantity"),
                        unitPrice: try line.unitPrice.map { try Self.decimal($0, field: "lines[\(index + 1)].unit_price") },
                        taxRate: line.taxRate, location: line.location, serials: line.serials.map { $0.map { SerialEntry($0) } }))
            }
            let date = try draft.date.map { try Self.date($0, field: "date") }
            let created = try await InvoiceStore(pool: pool).createDraft(
                customer: draft.customer, date: date, reference: draft.reference, location: draft.location, lines: lines)
            return .created(.init(body: .json(.init(invoiceId: created.id))))
        } catch {
            return Problem(error).answer(Operations.CreateDraftInvoice.Output.default)
        }
    }

    public func getInvoice(_ input: Operations.GetInvoice.Input) async throws -> Operations.GetInvoice.Output {
        do {
            let invoice = try await InvoiceStore(pool: pool).invoice(input.path.id)
            return .ok(
                .init(
                    body: .json(
                        .init(
                            id: invoice.id, number: invoice.number, status: invoice.isPosted ? .posted : .draft, customer: invoice.customer,
                            date: invoice.date, currency: invoice.currency, total: invoice.total.description, version: invoice.version,
                            lines: invoice.lines.map {
                                .init(
                                    line: $0.line, product: $0.product, quantity: $0.quantity.description, unitPrice: $0.unitPrice.description,
                                    taxRate: $0.taxRate, netAmount: $0.netAmount.description)
                            }))))
        } catch {
            return Problem(error).answer(Operations.GetInvoice.Output.default)
        }
    }

    public func postInvoices(_ input: Operations.PostInvoices.Input) async throws -> Operations.PostInvoices.Output {
        do {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            let result = try await PostingService(pool: pool, actor: RequestToken.current?.name ?? actor).post(request.invoiceIds)
            var seen = Set<Int64>()
            let posted = request.invoiceIds.filter { seen.insert($0).inserted }.map { id in
                Components.Schemas.PostedInvoice(
                    invoiceId: id, number: result.numbers[id] ?? 0, findings: (result.decisions[id]?.findings ?? []).map(Self.finding))
            }
            return .ok(.init(body: .json(.init(posted: posted))))
        } catch {
            return Problem(error).answer(Operations.PostInvoices.Output.default)
        }
    }

    public func previewPosting(_ input: Operations.PreviewPosting.Input) async throws -> Operations.PreviewPosting.Output {
        do {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            var ids = request.invoiceIds ?? []
            if ids.isEmpty {
                ids = try await InvoiceStore(pool: pool).unposted(UnpostedFilter(customer: request.customer)).map(\.invoiceID)
            }
            let preview = try await PostingService(pool: pool, actor: RequestToken.current?.name ?? actor).preview(ids)
            let invoices = preview.items.map {
                Components.Schemas.PreviewedInvoice(
                    invoiceId: $0.invoiceID, reference: $0.reference, customer: $0.customer, currency: $0.currency, total: $0.total.description,
                    canPost: $0.decision.canPost, itemsToCreate: $0.itemsToCreate, findings: $0.decision.findings.map(Self.finding))
            }
            return .created(
                .init(
                    body: .json(
                        .init(
                            token: preview.token.uuidString.lowercased(), canPost: preview.canPost, itemsToCreate: preview.itemsToCreate,
                            invoices: invoices))))
        } catch {
            return Problem(error).answer(Operations.PreviewPosting.Output.default)
        }
    }

    public func startPostingRun(_ input: Operations.StartPostingRun.Input) async throws -> Operations.StartPostingRun.Output {
        do {
            guard case .json(let request) = input.body else { throw Problem.badBody("a JSON object") }
            guard let token = UUID(uuidString: request.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            let runs = PostingRuns(pool: pool, actor: RequestToken.current?.name ?? actor)
            let run = try await runs.start(token, chunkSize: request.chunkSize ?? 1000)
            return .accepted(.init(body: .json(Self.run(run))))
        } catch {
            return Problem(error).answer(Operations.StartPostingRun.Output.default)
        }
    }

    public func getPostingRun(_ input: Operations.GetPostingRun.Input) async throws -> Operations.GetPostingRun.Output {
        do {
            guard let token = UUID(uuidString: input.path.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            return .ok(.init(body: .json(Self.run(try await PostingRuns(pool: pool, actor: actor).run(token)))))
        } catch {
            return Problem(error).answer(Operations.GetPostingRun.Output.default)
        }
    }

    public func receivePayment(_ input: Operations.ReceivePayment.Input) async throws -> Operations.ReceivePayment.Output {
        do {
            guard case .json(let payment) = input.body else { throw Problem.badBody("a JSON object") }
            var allocations: [NewPayment.Allocation] = []
            for (index, allocation) in (payment.allocations ?? []).enumerated() {
                allocations.append(
                    NewPayment.Allocation(
                        invoiceNumber: allocation.invoiceNumber,
                        amount: try allocation.amount.map { try Self.decimal($0, field: "allocations[\(index + 1)].amount") }))
            }
            let id = try await PaymentStore(pool: pool).receive(
                NewPayment(
                    customer: payment.customer, amount: try Self.decimal(payment.amount, field: "amount"),
                    date: try payment.date.map { try Self.date($0, field: "date") }, currency: payment.currency,
                    paymentMethod: payment.paymentMethod, financialAccount: payment.financialAccount, reference: payment.reference,
                    allocations: allocations.isEmpty ? nil : allocations))
            return .created(.init(body: .json(.init(id: id))))
        } catch {
            return Problem(error).answer(Operations.ReceivePayment.Output.default)
        }
    }

    public func addAdjustment(_ input: Operations.AddAdjustment.Input) async throws -> Operations.AddAdjustment.Output {
        do {
            guard case .json(let adjustment) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await AdjustmentStore(pool: pool).add(
                customer: adjustment.customer, amount: try Self.decimal(adjustment.amount, field: "amount"),
                date: try adjustment.date.map { try Self.date($0, field: "date") }, currency: adjustment.currency, reason: adjustment.reason,
                reference: adjustment.reference, notes: adjustment.notes)
            return .created(.init(body: .json(.init(id: id))))
        } catch {
            return Problem(error).answer(Operations.AddAdjustment.Output.default)
        }
    }

    public func listProducts(_ input: Operations.ListProducts.Input) async throws -> Operations.ListProducts.Output {
        do {
            let products = try await CatalogStore(pool: pool).products(
                search: input.query.search, limit: input.query.limit ?? 100, offset: input.query.offset ?? 0)
            return .ok(
                .init(
                    body: .json(
                        products.map {
                            .init(
                                code: $0.code, name: $0.name, unit: $0.unit,
                                serialTracking: Components.Schemas.Product.SerialTrackingPayload(rawValue: $0.serialTracking.rawValue) ?? .none,
                                isBuildup: $0.isBuildup, active: $0.active, onHand: $0.onHand.description, version: $0.version)
                        })))
        } catch {
            return Problem(error).answer(Operations.ListProducts.Output.default)
        }
    }

    public func stockOnHand(_ input: Operations.StockOnHand.Input) async throws -> Operations.StockOnHand.Output {
        do {
            let rows = try await StockStore(pool: pool).onHand(product: input.query.product, location: input.query.location)
            return .ok(
                .init(
                    body: .json(
                        rows.map { .init(product: $0.product, location: $0.location, quantity: $0.quantity.description, serials: $0.serials) })))
        } catch {
            return Problem(error).answer(Operations.StockOnHand.Output.default)
        }
    }

    public func readReport(_ input: Operations.ReadReport.Input) async throws -> Operations.ReadReport.Output {
        do {
            let limit = input.query.limit ?? 100
            var offset = 0
            if let cursor = input.query.cursor {
                guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8), text.hasPrefix("offset:"),
                    let value = Int(text.dropFirst("offset:".count)), value >= 0
                else { throw Problem.badField("cursor", "the next_cursor of a page of the same report") }
                offset = value
            }
            let page = try await Reports(pool: pool).page(of: input.path.view, offset: offset, limit: limit)
            let rows = try page.rows.map { try JSONDecoder().decode(Components.Schemas.ReportPage.RowsPayloadPayload.self, from: Data($0.utf8)) }
            let next = page.more ? Data("offset:\(offset + limit)".utf8).base64EncodedString() : nil
            return .ok(.init(body: .json(.init(rows: rows, nextCursor: next))))
        } catch {
            return Problem(error).answer(Operations.ReadReport.Output.default)
        }
    }

    /// A money or quantity field as the exact decimal it is written as.
    static func decimal(_ text: String, field: String) throws -> Decimal {
        guard let value = Decimal(decimalLiteral: text) else { throw Problem.badField(field, "a decimal number such as 25.50 or -3") }
        return value
    }

    static func date(_ text: String, field: String) throws -> LocalDate {
        guard let date = LocalDate(text) else { throw Problem.badField(field, "a date written YYYY-MM-DD") }
        return date
    }

    static func run(_ run: PostingRun) -> Components.Schemas.PostingRun {
        .init(
            token: run.token.uuidString.lowercased(), status: .init(rawValue: run.status.rawValue) ?? .running, total: run.total,
            posted: run.posted, alreadyPosted: run.alreadyPosted, notPosted: run.notPosted, stoppedBecause: run.stoppedBecause)
    }

    static func finding(_ finding: Finding) -> Components.Schemas.Finding {
        .init(rule: finding.rule, severity: .init(rawValue: finding.severity.rawValue) ?? .info, code: finding.code, message: finding.message)
    }
}

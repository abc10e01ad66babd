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
            return .serviceUnavailable(.init(body: .applicationProblemJson(Problem(error).body)))
        }
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
        }
    }

    public func createDraftInvoice(_ input: Operations.CreateDraftInvoice.Input) async throws -> Operations.CreateDraftInvoice.Output {
        do {
            guard case .json(let draft) = input.body else { throw Problem.badBody("a JSON object") }
            var lines: [NewInvoiceLine] = []
            for (index, line) in (draft.lines ?? []).enumerated() {
                guard let quantity = Decimal(decimalLiteral: line.quantity) else {
                    throw Problem.badField("lines[\(index + 1)].quantity", "a decimal number such as 2 or 1.5")
                }
                var price: Decimal?
                if let text = line.unitPrice {
                    guard let value = Decimal(decimalLiteral: text) else {
                        throw Problem.badField("lines[\(index + 1)].unit_price", "a decimal number such as 9.99")
                    }
                    price = value
                }
                lines.append(
                    NewInvoiceLine(
                        product: line.product, quantity: quantity, unitPrice: price, taxRate: line.taxRate, location: line.location,
                        serials: line.serials.map { $0.map { SerialEntry($0) } }))
            }
            let date = try draft.date.map { text in
                guard let date = LocalDate(text) else { throw Problem.badField("date", "a date written YYYY-MM-DD") }
                return date
            }
            let created = try await InvoiceStore(pool: pool).createDraft(
                customer: draft.customer, date: date, reference: draft.reference, location: draft.location, lines: lines)
            return .created(.init(body: .json(.init(invoiceId: created.id))))
        } catch {
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
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
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
        }
    }

    public func getPostingRun(_ input: Operations.GetPostingRun.Input) async throws -> Operations.GetPostingRun.Output {
        do {
            guard let token = UUID(uuidString: input.path.token) else { throw Problem.badField("token", "a preview's token (a UUID)") }
            return .ok(.init(body: .json(Self.run(try await PostingRuns(pool: pool, actor: actor).run(token)))))
        } catch {
            let problem = Problem(error)
            return .default(statusCode: problem.status, .init(body: .applicationProblemJson(problem.body)))
        }
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

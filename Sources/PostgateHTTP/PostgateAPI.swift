import Foundation
import OpenAPIRuntime
import Postgate
import Postgres
import PostingPolicy

/// The routes of `openapi.yaml`, each translating HTTP to a store or the posting service. No
/// business rule is written here: refusals come from the database and the posting policy, and
/// `Problem` puts them in RFC 9457 form. The routes are grouped by topic in the extensions
/// `PostgateAPI+…`.
public struct PostgateAPI: APIProtocol {
    let pool: PostgresPool
    /// Who posts when no token names anyone, as the posting audit records it.
    let actor: String
    /// The largest file upload (CSV or workbook) taken, in bytes.
    let uploadLimit: Int
    /// How long a posting run of this instance is held without its runner renewing it (another
    /// instance may take over a run whose lease has ended).
    let runLease: Duration

    public init(pool: PostgresPool, actor: String, uploadLimit: Int = 200 << 20, runLease: Duration = .seconds(30)) {
        self.pool = pool
        self.actor = actor
        self.uploadLimit = uploadLimit
        self.runLease = runLease
    }

    /// The posting runs of `actor`, with this instance's lease.
    func postingRuns(actor: String) -> PostingRuns { PostingRuns(pool: pool, actor: actor, lease: runLease) }

    /// Who acts: the token's name, which the posting audit and documents record.
    var actorName: String { RequestToken.current?.name ?? actor }

    /// Runs a route: its answer, or whatever it threw as the operation's problem response.
    func respond<Output>(_ refusal: (Int, Components.Responses.Problem) -> Output, _ route: () async throws -> Output) async -> Output {
        do {
            return try await route()
        } catch {
            return Problem(error).answer(refusal)
        }
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

    public func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        .ok(.init(body: .plainText(HTTPBody(await ServiceMetrics.text(pool: pool)))))
    }

    public func getSpecification(_ input: Operations.GetSpecification.Input) async throws -> Operations.GetSpecification.Output {
        .ok(.init(body: .yaml(HTTPBody(SpecificationTable.text))))
    }

    public func getDocumentation(_ input: Operations.GetDocumentation.Input) async throws -> Operations.GetDocumentation.Output {
        .ok(.init(body: .html(HTTPBody(documentationPage))))
    }

    /// A money or quantity field as the exact decimal it is written as.
    static func decimal(_ text: String, field: String) throws -> Decimal {
        guard let value = Decimal(decimalLiteral: text) else { throw Problem.badField(field, "a decimal number such as 25.50 or -3") }
        return value
    }

    static func decimal(_ text: String?, field: String) throws -> Decimal? {
        try text.map { try decimal($0, field: field) }
    }

    static func date(_ text: String, field: String) throws -> LocalDate {
        guard let date = LocalDate(text) else { throw Problem.badField(field, "a date written YYYY-MM-DD") }
        return date
    }

    static func date(_ text: String?, field: String) throws -> LocalDate? {
        try text.map { try date($0, field: field) }
    }

    /// A draft's lines as the invoice store takes them; fields are named by their place in the body.
    static func lines(_ lines: [Components.Schemas.NewDraftLine], field: String = "lines") throws -> [NewInvoiceLine] {
        try lines.enumerated().map { index, line in
            let name = "\(field)[\(index + 1)]"
            return NewInvoiceLine(
                product: line.product, quantity: try decimal(line.quantity, field: "\(name).quantity"),
                unitPrice: try decimal(line.unitPrice, field: "\(name).unit_price"), taxRate: line.taxRate, location: line.location,
                serials: line.serials.map { $0.map { SerialEntry($0) } })
        }
    }

    /// Serials as the stores take them.
    static func serials(_ serials: [Components.Schemas.SerialEntry]?, field: String) throws -> [SerialEntry] {
        try (serials ?? []).enumerated().map { index, entry in
            SerialEntry(
                entry.serial, quantity: try decimal(entry.quantity, field: "\(field)[\(index + 1)].quantity"),
                expiry: try date(entry.expiry, field: "\(field)[\(index + 1)].expiry"), product: entry.product)
        }
    }

    /// A JSON value for a client: numbers as decimal strings, as everywhere in this API.
    static func container<Container: Decodable>(_ fields: [String: JSONValue], as: Container.Type = Container.self) throws -> Container {
        func plain(_ value: JSONValue) -> JSONValue {
            switch value {
            case .number(let number): .string(number.description)
            case .array(let values): .array(values.map(plain))
            case .object(let fields): .object(fields.mapValues(plain))
            default: value
            }
        }
        return try JSONDecoder().decode(Container.self, from: JSONEncoder().encode(fields.mapValues(plain)))
    }
}

import Foundation
import Postgres
import PostingPolicy

/// What a posting did: each invoice's number, and every decision (kept in the posting audit too).
public struct PostingResult: Sendable {
    public var numbers: [Int64: Int64]
    public var decisions: [Int64: Decision]
}

/// A posting the policy refused: nothing was posted. Each blocked invoice's findings say what to do.
public struct PostingRefused: Error, Sendable, CustomStringConvertible {
    public var decisions: [(invoice: String, decision: Decision)]

    public var description: String {
        let blocked = decisions.filter { !$0.decision.canPost }
        return "nothing was posted: " + blocked.map { item in
            "\(item.invoice): " + item.decision.blockers.map(\.message).joined(separator: " ")
        }.joined(separator: "; ")
    }
}

/// One invoice of a mass-posting preview.
public struct PreviewItem: Sendable {
    public var invoiceID: Int64
    public var reference: String
    public var customer: String
    public var currency: String
    public var total: Decimal
    public var itemsToCreate: Int
    public var decision: Decision
}

/// A mass-posting preview: every invoice's verdict and findings, and the token that pins the
/// exact selection and versions for the confirmation.
public struct Preview: Sendable {
    public var token: UUID
    public var items: [PreviewItem]
    /// The selection may be posted only when no invoice in it is blocked.
    public var canPost: Bool { items.allSatisfy(\.decision.canPost) }
    public var blocked: [PreviewItem] { items.filter { !$0.decision.canPost } }
    public var itemsToCreate: Int { items.reduce(0) { $0 + $1.itemsToCreate } }
    public var totals: [String: Decimal] { items.reduce(into: [:]) { $0[$1.currency, default: 0] += $1.total } }
}

/// What a confirmed mass posting did.
public struct MassPostingResult: Sendable {
    public var posted: [Int64] = []
    /// Posted by an earlier, interrupted run of the same confirmation.
    public var alreadyPosted: [Int64] = []
    public var notPosted: [Int64] = []
    /// Why it stopped before the end, when it did. The chunk it was posting was rolled back whole.
    public var stoppedBecause: String?
    /// It stopped because the database connection broke (the server restarted, say): running the
    /// same confirmation, or the same selection, again posts the rest.
    public var connectionLost = false
}

/// Why a confirmation was refused before anything was posted.
public struct PreviewOutdated: Error, Sendable, CustomStringConvertible {
    public var changes: [String]
    public var description: String {
        "the selection changed since it was previewed, so nothing was posted: \(changes.prefix(10).joined(separator: "; "))"
            + (changes.count > 10 ? " and \(changes.count - 10) more" : "") + ". Preview again."
    }
}

/// An invoice's facts with what the service needs besides the policy: its version (to detect
/// changes since a preview), total and currency.
struct Candidate: Sendable {
    var facts: InvoiceFacts
    var version: Int
    var posted: Bool
    /// The total in the customer's currency.
    var total: Decimal
    var currency: String
    /// The total in the invoice's own currency.
    var invoiceTotal: Decimal
    var invoiceCurrency: String
}

/// The one gate through which invoices are posted. Each posting is one transaction: lock the
/// customers and invoices and read their facts, evaluate the policy, post, commit.
public struct PostingService: Sendable {
    let pool: PostgresPool
    /// Who posts, as the audit records it.
    public let actor: String

    public init(pool: PostgresPool, actor: String) {
        self.pool = pool
        self.actor = actor
    }

    // MARK: Posting

    /// Posts the invoices together; refused whole if the policy blocks any of them.
    @discardableResult
    public func post(_ ids: [Int64]) async throws -> PostingResult {
        var seen = Set<Int64>()
        let ids = ids.filter { seen.insert($0).inserted }
        return try await domainErrors {
            try await pool.withTransaction { connection in
                try await postLocked(ids, on: connection, mode: "single", mass: false, paying: nil, batch: UUID())
            }
        }
    }

    /// Posts one invoice and records its payment in the same transaction, in the invoice's currency
    /// and at its date (so it converts as the invoice does): the only way to post for a Cash Sales
    /// Only customer, who must pay in full. `amount` defaults to the invoice's total.
    @discardableResult
    public func postAndPay(_ id: Int64, amount: Decimal? = nil, paymentMethod: String? = nil, financialAccount: String? = nil,
                           reference: String? = nil) async throws -> PostingResult {
        if let amount, amount <= 0 {
            throw DomainError(kind: .invalid, field: "amount", message: "the amount paid must be greater than zero, not \(amount)",
                              hint: "Leave it out to pay the invoice in full.")
        }
        return try await domainErrors {
            try await pool.withTransaction { connection in
                try await postAndPay(id, amount: amount, on: connection, mode: "post_and_pay", paymentMethod: paymentMethod,
                                     financialAccount: financialAccount, reference: reference)
            }
        }
    }

    /// A point-of-sale sale: the invoice is created, posted and paid in one step.
    @discardableResult
    public func posSale(customer: String, location: String, lines: [NewInvoiceLine], date: LocalDate? = nil,
                        paymentMethod: String? = nil, financialAccount: String? = nil, reference: String? = nil) async throws -> PostingResult {
        try await domainErrors {
            try await pool.withTransaction { connection in
                var header: [String: JSONValue] = ["customer": .string(customer), "location": .string(location)]
                header["date"] = date.map { .string($0.description) }
                header["reference"] = reference.map(JSONValue.string)
                let created = try await connection.query("SELECT (api.create_invoice(\(PostgresJSON(header))) ->> 'invoice_id')::bigint AS id")[0].decode("id", as: Int64.self)
                for line in lines {
                    let json = String(decoding: try JSONEncoder.postgate.encode(line), as: UTF8.self)
                    try await connection.query("SELECT api.add_invoice_line(\(created), \(json)::jsonb)")
                }
                return try await postAndPay(created, amount: nil, on: connection, mode: "pos", paymentMethod: paymentMethod,
                                            financialAccount: financialAccount, reference: reference)
            }
        }
    }

    private func postAndPay(_ id: Int64, amount: Decimal?, on connection: PostgresConnection, mode: String, paymentMethod: String?,
                            financialAccount: String?, reference: String?) async throws -> PostingResult {
        let result = try await postLocked([id], on: connection, mode: mode, mass: false, paying: .some(amount), batch: UUID())
        let invoice = try await connection.query("""
            SELECT (r ->> 'total')::numeric AS total, r ->> 'customer' AS customer, r ->> 'currency' AS currency, r ->> 'date' AS date
            FROM api.get_invoice(\(id)) r
            """)
        let total = try invoice[0].decode("total", as: Decimal.self)
        let paid = amount ?? total
        guard paid > 0 else { return result }
        var payment: [String: JSONValue] = [
            "customer": .string(try invoice[0].decode("customer")), "amount": .number(paid),
            "currency": .string(try invoice[0].decode("currency")), "date": .string(try invoice[0].decode("date")),
            "allocations": .array([.object(["invoice_number": .number(Decimal(result.numbers[id] ?? 0)), "amount": .number(paid)])]),
        ]
        payment["payment_method"] = paymentMethod.map(JSONValue.string)
        payment["financial_account"] = financialAccount.map(JSONValue.string)
        payment["reference"] = reference.map(JSONValue.string)
        try await connection.query("SELECT api.receive_payment(\(PostgresJSON(payment)))")
        return result
    }

    /// Locks, reads the facts, evaluates, and posts, on a connection inside a transaction.
    /// `paying`: a payment recorded with the posting (`.some(nil)`: the invoice's total).
    private func postLocked(_ ids: [Int64], on connection: PostgresConnection, mode: String, mass: Bool, paying: Decimal??,
                            batch: UUID) async throws -> PostingResult {
        let settings = try await Self.settings(on: connection)
        var candidates = try await Self.facts(ids, lock: true, mass: mass, on: connection)
        if let paying {
            for index in candidates.indices {
                let due = candidates[index].invoiceTotal
                let amount = paying ?? due
                candidates[index].facts.payment = OfferedPayment(amount: amount, due: due, currency: candidates[index].invoiceCurrency)
                candidates[index].facts.paidInFull = amount >= due
            }
        }
        if let posted = candidates.first(where: \.posted) {
            throw DomainError(kind: .immutable, field: "invoice", message: "\(posted.facts.reference) is already posted",
                              hint: "A posted invoice is final: correct it with another document.")
        }
        let facts = candidates.map(\.facts)
        let found = Set(facts.map(\.invoiceID))
        if let missing = ids.first(where: { !found.contains($0) }) {
            throw DomainError(kind: .notFound, field: "invoice", message: "there is no invoice \(missing)", hint: "List the drafts: postgate invoices list")
        }
        let decisions = PostingPolicy.evaluateBatch(facts, settings: settings)
        guard decisions.allSatisfy(\.canPost) else {
            throw PostingRefused(decisions: zip(facts, decisions).map { ($0.reference, $1) })
        }
        return try await Self.post(facts, decisions, mode: mode, actor: actor, batch: batch, on: connection)
    }

    static func post(_ facts: [InvoiceFacts], _ decisions: [Decision], mode: String, actor: String, batch: UUID, on connection: PostgresConnection) async throws -> PostingResult {
        var findings: [String: [Finding]] = [:]
        for (fact, decision) in zip(facts, decisions) { findings[String(fact.invoiceID)] = decision.findings }
        let rows = try await connection.query("""
            SELECT * FROM api.post_invoices(\(facts.map(\.invoiceID)), \(PostgresJSON(findings)), \(actor), \(mode), \(batch))
            """)
        var numbers: [Int64: Int64] = [:]
        for row in rows { numbers[try row.decode("invoice_id", as: Int64.self)] = try row.decode("number", as: Int64.self) }
        return PostingResult(numbers: numbers, decisions: Dictionary(uniqueKeysWithValues: zip(facts.map(\.invoiceID), decisions)))
    }

    // MARK: Mass posting

    /// Evaluates a selection without posting: every invoice's verdict and findings, and a token
    /// that pins the selection for `confirm`.
    public func preview(_ ids: [Int64]) async throws -> Preview {
        try await domainErrors {
            try await pool.withConnection { connection in
                let settings = try await Self.settings(on: connection)
                let candidates = try await Self.facts(ids, lock: false, mass: true, on: connection)
                let decisions = PostingPolicy.evaluateBatch(candidates.map(\.facts), settings: settings)
                let token = UUID()
                let pinned = candidates.map { ["id": JSONValue.number(Decimal($0.facts.invoiceID)), "version": .number(Decimal($0.version))] }
                try await connection.query("SELECT api.save_preview(\(token), \(PostgresJSON(pinned)))")
                let items = zip(candidates, decisions).map { candidate, decision in
                    PreviewItem(invoiceID: candidate.facts.invoiceID, reference: candidate.facts.reference, customer: candidate.facts.customer,
                                currency: candidate.currency, total: candidate.total, itemsToCreate: candidate.facts.itemsToCreate, decision: decision)
                }
                return Preview(token: token, items: items)
            }
        }
    }

    /// Posts exactly what a preview showed, in transactions of at most `chunkSize` invoices.
    /// Refused before the first chunk if anything changed since the preview; a change that slips
    /// in between chunks stops the run, and the result says which invoices were posted and which
    /// not. Running the same confirmation again after an interruption skips what was posted.
    public func confirm(_ token: UUID, chunkSize: Int = 1000, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> MassPostingResult {
        try await domainErrors {
            try await pool.withConnection { connection in
                let pinned = try await connection.query("SELECT * FROM api.preview_invoices(\(token))")
                var versions: [Int64: Int] = [:]
                var order: [Int64] = []
                for row in pinned {
                    let id: Int64 = try row.decode("invoice_id")
                    versions[id] = try row.decode("version")
                    order.append(id)
                }
                let postedHere = Set(try await connection.query("SELECT invoice_id FROM api.posted_in_batch(\(token))").map { try $0.decode(0, as: Int64.self) })
                var result = MassPostingResult()
                var changes: [String] = []
                for row in try await connection.query("SELECT * FROM api.invoice_versions(\(order))") {
                    let id: Int64 = try row.decode("invoice_id")
                    let status: String = try row.decode("status")
                    if postedHere.contains(id) { result.alreadyPosted.append(id); continue }
                    if status == "posted" { changes.append("draft \(id) was posted by someone else"); continue }
                    if try row.decode("version", as: Int.self) != versions[id] { changes.append("draft \(id) was edited") }
                }
                let existing = try await connection.query("SELECT invoice_id FROM api.invoice_versions(\(order))").count
                if existing < order.count { changes.append("\(order.count - existing) drafts were deleted") }
                guard changes.isEmpty else { throw PreviewOutdated(changes: changes) }

                let remaining = order.filter { !postedHere.contains($0) }.sorted()
                var done = 0
                progress(0, remaining.count)
                for start in stride(from: 0, to: remaining.count, by: max(chunkSize, 1)) {
                    let chunk = Array(remaining[start..<min(start + chunkSize, remaining.count)])
                    do {
                        try await connection.withTransaction { connection in
                            let settings = try await Self.settings(on: connection)
                            let candidates = try await Self.facts(chunk, lock: true, mass: true, on: connection)
                            let facts = candidates.map(\.facts)
                            let changed = candidates.filter { $0.version != versions[$0.facts.invoiceID] }.map(\.facts.reference)
                            if !changed.isEmpty || facts.count != chunk.count {
                                throw PreviewOutdated(changes: changed.map { "\($0) changed" } + (facts.count != chunk.count ? ["drafts were deleted"] : []))
                            }
                            let decisions = PostingPolicy.evaluateBatch(facts, settings: settings)
                            guard decisions.allSatisfy(\.canPost) else {
                                throw PostingRefused(decisions: zip(facts, decisions).map { ($0.reference, $1) })
                            }
                            _ = try await Self.post(facts, decisions, mode: "mass", actor: actor, batch: token, on: connection)
                        }
                    } catch let error as PreviewOutdated {
                        result.stoppedBecause = "these drafts changed since the preview: " + error.changes.prefix(10).joined(separator: "; ")
                            + (error.changes.count > 10 ? " and \(error.changes.count - 10) more" : "")
                    } catch let error as PostingRefused {
                        result.stoppedBecause = "the posting rules now block " + error.decisions.filter { !$0.decision.canPost }.prefix(10).map { item in
                            "\(item.invoice) (" + item.decision.blockers.map(\.message).joined(separator: " ") + ")"
                        }.joined(separator: "; ")
                    } catch let error as PostgresError where error.breaksConnection {
                        result.stoppedBecause = "the connection to the database was lost (\(error.message))"
                        result.connectionLost = true
                    }
                    if result.stoppedBecause != nil {
                        result.notPosted = Array(remaining[start...])
                        return result
                    }
                    result.posted += chunk
                    done += chunk.count
                    progress(done, remaining.count)
                }
                return result
            }
        }
    }

    // MARK: Facts

    static func settings(on connection: PostgresConnection) async throws -> PolicySettings {
        var stored: [String: String] = [:]
        for row in try await connection.query("SELECT key, value FROM api.posting_settings()") {
            stored[try row.decode("key")] = try row.decode("value")
        }
        do {
            return try PolicySettings(stored: stored)
        } catch {
            throw DomainError(kind: .invalid, field: "settings", message: "a posting setting is invalid: \(error)", hint: "Fix it with api.set_setting(key, value).")
        }
    }

    static func facts(_ ids: [Int64], lock: Bool, mass: Bool, on connection: PostgresConnection) async throws -> [Candidate] {
        let rows = try await connection.query("SELECT * FROM api.posting_facts(\(ids), \(lock))")
        let decoder = JSONDecoder.postgate
        func list<T: Decodable>(_ row: PostgresRow, _ column: String, as: T.Type) throws -> [T] {
            let text: String = try row.decode(column)
            return text == "[]" ? [] : try decoder.decode([T].self, from: Data(text.utf8))
        }
        struct ShortStock: Decodable { var line: Int; var product: String; var location: String; var serial: String?; var needed: Decimal; var onHand: Decimal }
        return try rows.map { row in
            var facts = InvoiceFacts(
                invoiceID: try row.decode("invoice_id"), reference: try row.decode("reference"), customer: try row.decode("customer"),
                customerCurrency: try row.decode("customer_currency"), onHoldForInvoices: try row.decode("on_hold_invoices"),
                cashSalesOnly: try row.decode("cash_sales_only"), massPosting: mass,
                creditLimit: try row.decode("credit_limit"), openBalance: try row.decode("open_balance"),
                invoiceTotal: try row.decode("total_customer"),
                linesMissingSerials: try list(row, "missing_serials", as: MissingSerials.self),
                disallowedTaxes: try list(row, "disallowed_taxes", as: DisallowedTax.self),
                unavailableSerials: try list(row, "unavailable_serials", as: UnavailableSerial.self),
                lineCount: try row.decode("line_count"),
                unreviewedItems: try row.decode("unreviewed"), itemsToCreate: try row.decode("items_to_create"))
            facts.linesShortOfStock = try list(row, "short_stock", as: ShortStock.self).map {
                StockShortage(line: $0.line, product: $0.product, location: $0.location, serial: $0.serial, needed: $0.needed, onHand: $0.onHand)
            }
            return Candidate(facts: facts, version: try row.decode("version"), posted: try row.decode("status", as: String.self) == "posted",
                             total: try row.decode("total_customer"), currency: try row.decode("customer_currency"),
                             invoiceTotal: try row.decode("total"), invoiceCurrency: try row.decode("currency"))
        }
    }
}

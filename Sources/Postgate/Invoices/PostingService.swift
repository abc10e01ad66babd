import Foundation
import Postgres
import PostingPolicy

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
                try await postLocked(ids, on: connection, mode: .single, paying: .none, batch: UUID())
            }
        }
    }

    /// Posts one invoice and records its payment in the same transaction, in the invoice's currency
    /// and at its date (so it converts as the invoice does): the only way to post for a Cash Sales
    /// Only customer, who must pay in full. `amount` defaults to the invoice's total.
    @discardableResult
    public func postAndPay(
        _ id: Int64, amount: Decimal? = nil, paymentMethod: String? = nil, financialAccount: String? = nil,
        reference: String? = nil
    ) async throws -> PostingResult {
        if let amount, amount <= 0 {
            throw DomainError(
                kind: .invalid, field: "amount", message: "the amount paid must be greater than zero, not \(amount)",
                hint: "Leave it out to pay the invoice in full.")
        }
        return try await domainErrors {
            try await pool.withTransaction { connection in
                try await postAndPay(
                    id, amount: amount, on: connection, mode: .postAndPay, paymentMethod: paymentMethod,
                    financialAccount: financialAccount, reference: reference)
            }
        }
    }

    /// A point-of-sale sale: the invoice is created, posted and paid in one step.
    @discardableResult
    public func posSale(
        customer: String, location: String, lines: [NewInvoiceLine], date: LocalDate? = nil,
        paymentMethod: String? = nil, financialAccount: String? = nil, reference: String? = nil
    ) async throws -> PostingResult {
        try await domainErrors {
            try await pool.withTransaction { connection in
                let header = JSONArgument(NewInvoice(customer: customer, date: date, reference: reference, location: location))
                let created = try await connection.query("SELECT (api.create_invoice(\(header)) ->> 'invoice_id')::bigint AS id")[0]
                    .decode("id", as: Int64.self)
                for line in lines { _ = try await InvoiceStore.addLine(created, line, on: connection) }
                return try await postAndPay(
                    created, amount: nil, on: connection, mode: .pos, paymentMethod: paymentMethod,
                    financialAccount: financialAccount, reference: reference)
            }
        }
    }

    private func postAndPay(
        _ id: Int64, amount: Decimal?, on connection: PostgresConnection, mode: PostingMode, paymentMethod: String?,
        financialAccount: String?, reference: String?
    ) async throws -> PostingResult {
        let result = try await postLocked([id], on: connection, mode: mode, paying: amount.map(PaymentWithPosting.amount) ?? .inFull, batch: UUID())
        let invoice = try await connection.query(
            """
            SELECT (r ->> 'total')::numeric AS total, r ->> 'customer' AS customer, r ->> 'currency' AS currency, r ->> 'date' AS date
            FROM api.get_invoice(\(id)) r
            """)
        let total = try invoice[0].decode("total", as: Decimal.self)
        let paid = amount ?? total
        guard paid > 0 else { return result }
        let payment = NewPayment(
            customer: try invoice[0].decode("customer"), amount: paid, date: LocalDate(try invoice[0].decode("date", as: String.self)),
            currency: try invoice[0].decode("currency"), paymentMethod: paymentMethod, financialAccount: financialAccount, reference: reference,
            allocations: [NewPayment.Allocation(invoiceNumber: result.numbers[id] ?? 0, amount: paid)])
        try await connection.query("SELECT api.receive_payment(\(JSONArgument(payment)))")
        return result
    }

    /// Locks, reads the facts, evaluates, and posts, on a connection inside a transaction.
    /// `paying`: the payment recorded with the posting, if any.
    private func postLocked(
        _ ids: [Int64], on connection: PostgresConnection, mode: PostingMode, paying: PaymentWithPosting,
        batch: UUID
    ) async throws -> PostingResult {
        // A posting of a few invoices: the facts and the posting are large queries, and planning
        // them again for each call took most of the time; plans made once for the session (generic)
        // serve a few invoices as well. (A mass posting's chunk has its facts planned for its size
        // by api.posting_facts.) The setting, the posting settings and the facts go in one round trip.
        let (settings, read) = try await Self.settingsAndFacts(
            ids, for: mode, locking: true, after: ["SET LOCAL plan_cache_mode = force_generic_plan"], on: connection)
        var candidates = read
        if paying != .none {
            for index in candidates.indices {
                let due = candidates[index].invoiceTotal
                let amount = paying.amount ?? due
                candidates[index].facts.payment = OfferedPayment(amount: amount, due: due, currency: candidates[index].invoiceCurrency)
                candidates[index].facts.paidInFull = amount >= due
            }
        }
        if let posted = candidates.first(where: \.posted) {
            throw DomainError(
                kind: .immutable, field: "invoice", message: "draft \(posted.facts.invoiceID) is posted already, as \(posted.facts.reference)",
                hint: "A posted invoice is final: correct it with another document.")
        }
        let facts = candidates.map(\.facts)
        let found = Set(facts.map(\.invoiceID))
        if let missing = ids.first(where: { !found.contains($0) }) {
            throw DomainError(
                kind: .notFound, field: "invoice", message: "there is no invoice \(missing)", hint: "Name a draft by its id.")
        }
        let decisions = PostingPolicy.evaluateBatch(facts, settings: settings)
        guard decisions.allSatisfy(\.canPost) else {
            PostingMetrics.refused(decisions)
            throw PostingRefused(decisions: zip(facts, decisions).map { ($0.draftName, $1) })
        }
        return try await Self.post(facts, decisions, mode: mode, actor: actor, batch: batch, on: connection)
    }

    static func post(
        _ facts: [InvoiceFacts], _ decisions: [Decision], mode: PostingMode, actor: String, batch: UUID, on connection: PostgresConnection
    ) async throws -> PostingResult {
        var findings: [String: [Finding]] = [:]
        for (fact, decision) in zip(facts, decisions) { findings[String(fact.invoiceID)] = decision.findings }
        let rows = try await connection.query(
            """
            SELECT * FROM api.post_invoices(\(facts.map(\.invoiceID)), \(PostgresJSON(findings)), \(actor), \(mode), \(batch))
            """)
        var numbers: [Int64: Int64] = [:]
        for row in rows { numbers[try row.decode("invoice_id", as: Int64.self)] = try row.decode("number", as: Int64.self) }
        PostingMetrics.posted(numbers.count, mode: mode)
        return PostingResult(numbers: numbers, decisions: Dictionary(uniqueKeysWithValues: zip(facts.map(\.invoiceID), decisions)))
    }
}

import Foundation
import Postgres
import PostingPolicy

/// What the rules say of a credit note, with the facts they read.
public struct CreditNoteVerdict: Sendable {
    public var facts: CreditNoteFacts
    public var posted: Bool
    public var decision: Decision
}

/// A posted credit note: its number, and the decision kept in the posting audit.
public struct CreditNotePosting: Sendable {
    public var creditNoteID: Int64
    public var number: Int64
    public var decision: Decision
}

extension PostingService {

    /// What the posting rules say of a draft credit note now, saving nothing and locking nothing. A
    /// posted one is past the rules: its verdict has no findings and `posted` says why.
    public func previewCreditNote(_ id: Int64) async throws -> CreditNoteVerdict {
        try await domainErrors {
            try await pool.withConnection { connection in
                let settings = try await Self.settings(on: connection)
                let (facts, posted) = try await Self.creditNoteFacts(id, locking: false, on: connection)
                let decision = posted ? Decision(findings: []) : CreditNotePolicy.evaluate(facts, settings: settings)
                return CreditNoteVerdict(facts: facts, posted: posted, decision: decision)
            }
        }
    }

    /// Posts a draft credit note through the gate: one transaction that locks its customer, reads
    /// its facts, evaluates the rules and posts. Refused whole (`PostingRefused`) when a rule blocks.
    @discardableResult
    public func postCreditNote(_ id: Int64) async throws -> CreditNotePosting {
        try await domainErrors {
            try await pool.withTransaction { connection in
                let settings = try await Self.settings(on: connection)
                let (facts, posted) = try await Self.creditNoteFacts(id, locking: true, on: connection)
                if posted {
                    throw DomainError(
                        kind: .immutable, field: "credit_note", message: "\(facts.reference) is posted already",
                        hint: "A posted credit note is final: correct it with another document.")
                }
                let decision = CreditNotePolicy.evaluate(facts, settings: settings)
                guard decision.canPost else {
                    PostingMetrics.refused([decision])
                    throw PostingRefused(decisions: [(facts.reference, decision)])
                }
                let number = try await connection.query(
                    "SELECT api.post_credit_note(\(id), \(PostgresJSON(decision.findings)), \(actor), \(UUID())) AS number"
                )[0].decode("number", as: Int64.self)
                PostingMetrics.creditNotePosted()
                return CreditNotePosting(creditNoteID: id, number: number, decision: decision)
            }
        }
    }

    static func creditNoteFacts(_ id: Int64, locking: Bool, on connection: PostgresConnection) async throws -> (CreditNoteFacts, Bool) {
        let rows = try await connection.query("SELECT * FROM api.credit_note_facts(\([id]), \(locking))")
        guard let row = rows.first else {
            throw DomainError(
                kind: .notFound, field: "credit_note", message: "there is no credit note \(id)", hint: "Name an existing credit note by its id.")
        }
        let problems: String = try row.decode("problems")
        let facts = CreditNoteFacts(
            creditNoteID: try row.decode("credit_note_id"), reference: try row.decode("reference"), invoiceNumber: try row.decode("invoice_number"),
            customer: try row.decode("customer"), customerCurrency: try row.decode("customer_currency"),
            onHoldForInvoices: try row.decode("on_hold_invoices"), currency: try row.decode("currency"), total: try row.decode("total"),
            lineCount: try row.decode("line_count"), returns: try row.decode("returns"),
            problems: try JSONDecoder.postgate.decode([CreditNoteProblem].self, from: Data(problems.utf8)))
        return (facts, try row.decode("status", as: InvoiceStatus.self) == .posted)
    }
}

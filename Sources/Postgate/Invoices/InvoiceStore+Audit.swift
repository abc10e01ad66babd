import Foundation
import Postgres
import PostingPolicy

/// One posting of an invoice as `report.posting_audit` records it.
public struct PostingAuditEntry: Sendable, Hashable {
    public var postedAt: Date
    public var mode: String
    /// Who posted, as the service named them (a token's name), and the database login.
    public var actor: String
    public var login: String
    public var findings: [Finding]
}

extension InvoiceStore {
    /// How the invoice was posted: when, how, by whom, with which findings (empty for a draft).
    public func postingAudit(_ invoice: Int64) async throws -> [PostingAuditEntry] {
        try await domainErrors {
            try await pool.query(
                "SELECT posted_at, mode, actor, login, findings::text AS findings FROM report.posting_audit WHERE invoice_id = \(invoice) ORDER BY posted_at"
            ).map { row in
                let findings = try row.decode("findings", as: String.self)
                return PostingAuditEntry(
                    postedAt: try row.decode("posted_at"), mode: try row.decode("mode"), actor: try row.decode("actor"),
                    login: try row.decode("login"), findings: (try? JSONDecoder().decode([Finding].self, from: Data(findings.utf8))) ?? [])
            }
        }
    }
}

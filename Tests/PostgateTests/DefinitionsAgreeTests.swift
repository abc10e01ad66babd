import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

/// Values the database defines and Swift reads as types: the database's definition is the one
/// home, and these tests fail the day the two disagree.
@Suite("Swift's types agree with the database's definitions")
struct DefinitionsAgreeTests {
    /// The quoted values of a CHECK (column IN (...)) constraint.
    func values(ofCheck constraint: String, on connection: PostgresConnection) async throws -> Set<String> {
        let definition = try await connection.query("SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = \(constraint)")[0]
            .decode("d", as: String.self)
        let regex = try NSRegularExpression(pattern: "'([^']*)'")
        return Set(
            regex.matches(in: definition, range: NSRange(definition.startIndex..., in: definition)).compactMap {
                Range($0.range(at: 1), in: definition).map { String(definition[$0]) }
            })
    }

    @Test("posting modes and invoice statuses are the CHECK constraints' values")
    func enumsMatchChecks() async throws {
        try await withTestConnection { connection in
            let modes = try await values(ofCheck: "posting_audit_mode_check", on: connection)
            let statuses = try await values(ofCheck: "invoices_status_check", on: connection)
            #expect(modes == Set(PostingMode.allCases.map(\.rawValue)))
            #expect(statuses == Set(InvoiceStatus.allCases.map(\.rawValue)))
        }
    }

    @Test("the policy's defaults are the settings a new database is seeded with")
    func policyDefaultsMatchSeeds() async throws {
        try await withTestConnection { connection in
            var stored: [String: String] = [:]
            for row in try await connection.query("SELECT key, value FROM api.posting_settings()") {
                stored[try row.decode("key")] = try row.decode("value")
            }
            let seeded = try PolicySettings(stored: stored)
            #expect(seeded == PolicySettings())
        }
    }

    @Test("the customer fields Swift can change are fields the database knows; the currency changes only through set-currency")
    func customerFields() async throws {
        try await withTestConnection { connection in
            do {
                try await connection.query("SELECT api.create_customer('{\"no_such_field\": 1}')")
                Issue.record("an unknown field was taken")
            } catch let error as PostgresError {
                let known = Set(
                    (error.hint ?? "").replacingOccurrences(of: "Use the fields ", with: "").replacingOccurrences(of: ".", with: "")
                        .components(separatedBy: ", "))
                let swift = Set(CustomerChanges.Field.allCases.map(\.rawValue))
                #expect(swift.isSubset(of: known), "Swift names fields the database does not know: \(swift.subtracting(known))")
                #expect(known.subtracting(swift) == ["currency"])
            }
        }
    }
}

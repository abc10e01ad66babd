import Foundation
import PostgresServer
import TestSupport
import Testing

/// After a code that names nothing, the command line suggests the command that creates that kind
/// of thing. Each case gives a command a code that does not exist; the suggestion must be the
/// expected command, running it as suggested (placeholders filled in) must work, and the first
/// command must then no longer miss that code.
@Suite("Next steps that fit the thing a code names")
struct NextStepsTests {
    /// A command with a missing code, and the command the hint must suggest.
    static let cases: [(command: [String], creates: String)] = [
        (["ref", "rates", "show", "EUR", "ZZZ"], "ref currencies add"),
        (["ref", "rates", "add", "ZZY", "EUR", "0.9", "--valid-from", "2026-01-01"], "ref currencies add"),
        (["stock", "transfer", "--from", "NOWHERE", "--to", "DEMO-MAIN", "--line", "DEMO-CABLE:1"], "stock locations add"),
        (["customers", "show", "NOBODY"], "customers add"),
        (["customers", "add", "NEWA", "--name", "New", "--price-list", "NOLIST", "--terms", "DEMO-NET30"], "ref price-lists add"),
        (["customers", "add", "NEWB", "--name", "New", "--price-list", "DEMO-SALES", "--terms", "NOTERMS"], "ref terms add"),
        (
            ["customers", "add", "NEWC", "--name", "New", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--tax-category", "NOCAT"],
            "ref tax-categories add"
        ),
        (
            ["customers", "add", "NEWD", "--name", "New", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--sales-rep", "NOREP"],
            "ref employees add"
        ),
        (
            ["customers", "add", "NEWE", "--name", "New", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--payment-method", "NOPM"],
            "ref payment-methods add"
        ),
        (["products", "show", "NOPROD"], "products add"),
        (["products", "add", "P9", "--name", "P", "--unit", "pcs", "--tax", "NOTAX", "--serials", "none"], "ref taxes add"),
        (["products", "add", "P8", "--name", "P", "--unit", "pcs", "--item-type", "NOTYPE", "--serials", "unique"], "products item-types add"),
        (["stock", "locations", "series", "DEMO-MAIN", "NOSERIES"], "ref series add"),
        (["ref", "accounts", "add", "AC9", "--name", "A", "--currency", "EUR", "--methods", "NOMETHOD"], "ref payment-methods add"),
    ]

    /// What each placeholder of a suggestion stands for in the demo company.
    static let placeholders = [
        "NAME": "Made", "PRICE-LIST": "DEMO-SALES", "TERMS": "DEMO-NET30", "CUR": "EUR", "M1,M2": "DEMO-CASH", "R1,R2": "DEMO-VAT",
        "PERCENT": "10", "N": "30", "M": "12", "PREFIX": "X-",
    ]

    @Test("every not-found code suggests the command that creates its kind, and that command makes it found")
    func hints() async throws {
        try await withTestDatabase { database in
            let setup = try await Program.run([CommandLineTests.executable, "demo", "--database", database.config.conninfo])
            #expect(setup.status == 0, "\(setup.error)")
            for (command, creates) in Self.cases {
                let first = try await run(database, command)
                #expect(first.status != 0, "\(command) should miss a code")
                guard let range = first.error.range(of: "create it: ") else {
                    Issue.record("\(command): no suggestion to create it: \(first.error)")
                    continue
                }
                // "PROGRAM WORDS --database URL REST": the words, then the rest with its placeholders filled in.
                let suggestion = first.error[range.upperBound...].split(separator: "\n")[0].split(separator: " ").map(String.init)
                guard let options = suggestion.firstIndex(of: "--database") else {
                    Issue.record("\(command): the suggestion does not repeat --database: \(suggestion)")
                    continue
                }
                let words = suggestion[1..<options].joined(separator: " ")
                #expect(words == creates, "\(command): suggested \(words), not \(creates)")
                guard words == creates else { continue }
                let missing = Self.missingCode(in: command, message: first.error)
                let rest = suggestion[(options + 2)...].map { $0 == "CODE" ? missing : Self.placeholders[$0] ?? $0 }
                let made = try await run(database, Array(suggestion[1..<options]) + rest)
                #expect(made.status == 0, "\(words) \(rest): \(made.error)")
                let again = try await run(database, command)
                #expect(!again.error.contains("create it: \(CommandLineTests.executable) \(creates)"), "\(command) still misses it: \(again.error)")
            }
        }
    }

    /// The code the message says is missing: the quoted one, else the command's argument that
    /// reads like one of the test's made-up codes.
    static func missingCode(in command: [String], message: String) -> String {
        command.first { message.contains("'\($0)'") && $0.uppercased() == $0 && $0.count >= 3 } ?? command.last!
    }
}

import Foundation
import Postgres
import PostgresServer
import TestSupport
import Testing

/// The command line as a new user meets it, run as a process: exit status and text.
@Suite("The command line as a new user meets it")
struct NewUserCommandLineTests {

    @Test("negative numbers are values, refused by the rules rather than the parser")
    func negativeNumbers() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let added = try await run(database, ["adjustments", "add", "DEMO-ACME", "-25.50"])
            #expect(added.status == 0, "\(added.error)")
            #expect(added.output.contains("-25.50 for DEMO-ACME"))
            let limit = try await run(database, ["customers", "update", "DEMO-ACME", "--version", "1", "--credit-limit", "-5"])
            #expect(limit.status == 1)
            #expect(limit.error.contains("credit_limit must be zero or more, not -5"), "\(limit.error)")
            #expect(!limit.error.contains("Usage"))
        }
    }

    @Test("malformed allocations are refused naming --invoice; none crashes", arguments: ["", "=", "=4", "4=", "4=-1", "x=1", "1.5"])
    func allocations(_ value: String) async throws {
        try await withTestDatabase { database in
            let result = try await run(database, ["payments", "receive", "C", "10", "--invoice", value])
            #expect(result.status == 64, "\(result.error)")
            #expect(result.error.contains("--invoice '\(value)'"), "\(result.error)")
        }
    }

    @Test("values past a field's limits name the field and the limit, never the server's words")
    func limits() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            for (arguments, says) in [
                (
                    ["payments", "receive", "DEMO-ACME", "99999999999999.99"],
                    "amount: 99999999999999.99 is too large (the largest is 999999999999.99)"
                ),
                (["customers", "update", "DEMO-ACME", "--version", "1", "--credit-limit", "1000000000000000000"], "the largest is 999999999999.99"),
                (["products", "add", String(repeating: "P", count: 4000), "--name", "Long"], "code is 4000 characters long; at most 64 are allowed"),
                (
                    ["customers", "add", "A\u{1B}[31mB", "--name", "N", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30"],
                    "code holds a control character"
                ),
                (
                    ["customers", "add", "A\u{200B}B", "--name", "N", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30"],
                    "code holds an invisible character"
                ),
                (
                    ["customers", "add", "AB", "--name", "two\nlines", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30"],
                    "name holds a control character"
                ),
            ] as [([String], String)] {
                let result = try await run(database, arguments)
                #expect(result.status == 1, "\(arguments.prefix(3))")
                #expect(result.error.contains(says), "\(arguments.prefix(3)): \(result.error)")
                #expect(!result.error.contains("SQLSTATE") && !result.error.contains("overflow") && !result.error.contains("btree"))
            }
        }
    }

    @Test("an argument that is not valid UTF-8 is refused, not read with replacement characters")
    func invalidUTF8() async throws {
        let result = try await Program.run([
            "/bin/sh", "-c", "'\(CommandLineTests.executable)' customers show \"$(printf 'A\\377B')\" --database 'host=/nonexistent'",
        ])
        #expect(result.status == 64)
        #expect(result.error.contains("argument 3 is not valid UTF-8 text"), "\(result.error)")
    }

    @Test("hints name the command as it was run, with its --database; a preview succeeds whatever its verdicts")
    func hintsAndPreview() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let missing = try await run(database, ["post", "99999"])
            #expect(missing.status == 1)
            #expect(missing.error.contains("\(CommandLineTests.executable) invoices list --database URL"), "\(missing.error)")
            let preview = try await run(database, ["post", "--unposted", "--preview-only", "--json"])
            #expect(preview.status == 0, "\(preview.error)")
            struct Report: Decodable {
                var canPost: Bool
                var invoices: [Item]
            }
            struct Item: Decodable {
                var canPost: Bool
                var findings: [Finding]
            }
            struct Finding: Decodable { var rule: String }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let report = try decoder.decode(Report.self, from: Data(preview.output.utf8))
            #expect(!report.canPost)
            #expect(report.invoices.contains { !$0.canPost && $0.findings.contains { $0.rule == "on-hold" } })
        }
    }

    @Test("db url with no server says so and what to run; a failed connection names what it tried")
    func whereTheServerIs() async throws {
        let folder = NSTemporaryDirectory() + "postgate-none-\(UUID().uuidString)"
        let url = try await Program.run([CommandLineTests.executable, "db", "url", "--data", folder])
        #expect(url.status == 1)
        #expect(
            url.error.contains(
                "there is no embedded server in \(folder) yet: start one with \(CommandLineTests.executable) db start --data \(folder)"),
            "\(url.error)")
        let connect = try await Program.run([
            CommandLineTests.executable, "customers", "list", "--database", "host=/nonexistent dbname=books user=clerk",
        ])
        #expect(connect.status == 1)
        #expect(connect.error.contains("tried the socket in /nonexistent (port 5432), database books, user clerk"), "\(connect.error)")
        #expect(connect.error.contains("db status"))
    }

    @Test("money shows with its currency's decimals: alerts and exports; the export's time is one a spreadsheet reads")
    func money() async throws {
        try await withTestDatabase { database in
            _ = try await run(database, ["demo"])
            let alerts = try await run(database, ["customers", "alerts", "DEMO-NEARLY"])
            #expect(alerts.output.contains("balance 966.43 EUR is over the limit of 700.00 EUR"), "\(alerts.output)")
            _ = try await run(database, ["adjustments", "add", "DEMO-ACME", "-25.5"])
            let export = try await run(database, ["adjustments", "export"])
            let lines = export.output.split(separator: "\n")
            #expect(lines.first?.hasSuffix("Import Batch,Created At (UTC)") == true)
            #expect(lines.last?.contains(",-25.50,EUR,") == true, "\(export.output)")
            #expect(lines.last.map { $0.range(of: #",\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"#, options: .regularExpression) != nil } == true)
        }
    }

    @Test("--help lists every command, one line each")
    func help() async throws {
        let help = try await Program.run([CommandLineTests.executable, "--help"])
        for command in [
            "db start", "ref rates add", "customers set-currency", "adjustments import", "post-and-pay", "logins add", "bench adjustments",
        ] {
            #expect(help.output.contains("  \(command) "), "missing \(command)")
        }
    }
}

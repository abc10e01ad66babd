import Foundation
import Postgres
import PostgresServer
import TestSupport
import Testing

/// Every option and argument of every command that uses the database, fed malformed values: no
/// input ever reaches a crash, and no raw server message reaches the user.
@Suite("Malformed values on the command line")
struct MalformedArgumentsTests {
    /// A valid invocation of each command on the demo company; each of its slots is then
    /// replaced in turn by each malformed value. The commands are read from the CLI's own
    /// description of itself, so a new command without a line here fails the test.
    static let invocations: [String: [String]] = [
        "migrate": ["--sql", "sql"],
        "customers add": ["NEWC", "--name", "New", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--credit-limit", "100"],
        "customers update": ["DEMO-ACME", "--version", "1", "--name", "Acme", "--credit-limit", "100"],
        "customers show": ["DEMO-ACME"],
        "customers list": ["--search", "A", "--limit", "5", "--offset", "0"],
        "customers hold": ["DEMO-ACME", "--block", "sales-invoice"],
        "customers release": ["DEMO-HELD"],
        "customers set-currency": ["DEMO-ACME", "EUR", "--rate", "1", "--on", "2026-11-01"],
        "customers alerts": ["DEMO-ACME", "--document", "sales-invoice"],
        "ref list": ["currencies"],
        "ref currencies add": ["XTS", "--name", "Test", "--minor-units", "2"],
        "ref rates add": ["USD", "EUR", "0.9", "--valid-from", "2026-01-01"],
        "ref rates show": ["USD", "EUR", "--on", "2026-11-01"],
        "ref series add": ["TILL1", "--prefix", "T1-"],
        "ref series list": [],
        "ref price-lists add": ["PL2", "--name", "List", "--currency", "EUR"],
        "ref payment-methods add": ["PM2", "--name", "Method"],
        "ref accounts add": ["AC2", "--name", "Account", "--currency", "EUR", "--methods", "DEMO-CASH"],
        "ref terms add": ["T2", "--name", "Terms", "--net-days", "10"],
        "ref schedules add": ["S2", "--name", "Schedule", "--description", "monthly"],
        "ref taxes add": ["TX2", "--name", "Tax", "--rate", "10"],
        "ref tax-categories add": ["TC2", "--name", "Category", "--rates", "DEMO-VAT"],
        "ref employees add": ["E2", "--name", "Employee"],
        "products add": ["P2", "--name", "Product", "--unit", "pcs", "--tax", "DEMO-VAT", "--serials", "none"],
        "products update": ["DEMO-CABLE", "--version", "1", "--name", "Cable"],
        "products show": ["DEMO-CABLE"],
        "products list": ["--search", "C", "--limit", "5"],
        "products buildup": ["DEMO-KIT", "--component", "DEMO-CABLE=2"],
        "products price": ["DEMO-SALES", "DEMO-CABLE", "9.50", "--valid-from", "2026-01-01"],
        "products item-types add": ["IT2", "--name", "Type", "--warranty-months", "12", "--service-months", "6"],
        "stock receive": ["--location", "DEMO-MAIN", "--line", "DEMO-CABLE:5", "--date", "2026-11-01", "--reference", "R", "--notes", "N"],
        "stock transfer": ["--from", "DEMO-MAIN", "--to", "DEMO-MAIN", "--line", "DEMO-CABLE:1"],
        "stock write-off": ["--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1", "--reference", "R"],
        "stock on-hand": ["--product", "DEMO-CABLE", "--location", "DEMO-MAIN"],
        "stock locations add": ["L2", "--name", "Location"],
        "stock locations list": [],
        "stock locations series": ["DEMO-MAIN", "COMPANY"],
        "serials find": ["TV", "--status", "in-stock"],
        "serials history": ["TV55-001", "--product", "DEMO-TV55"],
        "serials pick": ["DEMO-TV55", "--location", "DEMO-MAIN"],
        "invoices draft": ["DEMO-ACME", "--date", "2026-11-01", "--reference", "R", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1@2.50"],
        "invoices add-line": ["1", "--line", "DEMO-CABLE:1", "--tax", "DEMO-VAT", "--location", "DEMO-MAIN"],
        "invoices serials": ["1", "1", "TV55-001"],
        "invoices remove-line": ["1", "1"],
        "invoices delete": ["2"],
        "invoices item": ["1", "--serial", "S", "--warranty-start", "2026-11-01", "--notes", "N"],
        "invoices review": ["1", "--reviewer", "someone"],
        "invoices show": ["1"],
        "invoices list": ["--customer", "DEMO-ACME", "--from", "2026-01-01", "--to", "2026-12-31", "--min-total", "1", "--max-total", "1000"],
        "orders create": ["DEMO-ACME", "--location", "DEMO-MAIN", "--date", "2026-11-01", "--reference", "R", "--line", "DEMO-CABLE:1@2.50"],
        "credit-notes create": [
            "1", "--line", "1:1:TV55-001", "--location", "DEMO-MAIN", "--reason", "R", "--date", "2026-11-01",
        ],
        "credit-notes post": ["1"],
        "credit-notes show": ["1"],
        "credit-notes list": ["--customer", "DEMO-ACME", "--invoice", "1"],
        "credit-notes apply": ["1", "--invoice", "2=1"],
        "credit-notes delete": ["1"],
        "payments refund": [
            "DEMO-ACME", "1", "--credit-note", "1", "--date", "2026-11-01", "--currency", "EUR", "--payment-method", "DEMO-BANK", "--account",
            "DEMO-TILL", "--reference", "R",
        ],
        "orders add-line": ["1", "--line", "DEMO-CABLE:1"],
        "orders book": ["1"],
        "orders close": ["1"],
        "orders cancel": ["1"],
        "orders delete": ["1"],
        "orders show": ["1"],
        "orders list": ["--customer", "DEMO-ACME", "--status", "booked"],
        "shipments create": ["1", "--date", "2026-11-01", "--reference", "R", "--line", "1:1"],
        "shipments complete": ["1"],
        "shipments delete": ["1"],
        "shipments show": ["1"],
        "invoices generate": ["--date", "2026-11-01", "--preview"],
        "invoices schedule": ["DEMO-MONTHLY", "--date", "2026-11-30"],
        "post": ["--unposted", "--preview-only", "--customer", "DEMO-ACME", "--min-total", "1", "--max-total", "9"],
        "post-and-pay": ["1", "--amount", "1", "--payment-method", "DEMO-CASH", "--account", "DEMO-TILL", "--reference", "R"],
        "payments receive": ["DEMO-ACME", "10", "--date", "2026-11-01", "--currency", "EUR", "--reference", "R", "--invoice", "1=5"],
        "pos sale": ["DEMO-SHOP", "--location", "DEMO-MAIN", "--line", "DEMO-CABLE:1", "--payment-method", "DEMO-CASH"],
        "items add": ["DEMO-ACME", "DEMO-TV55", "--serial", "X1", "--warranty-start", "2026-11-01", "--notes", "N"],
        "items list": ["DEMO-ACME"],
        "adjustments add": ["DEMO-ACME", "-25.50", "--date", "2026-11-01", "--currency", "EUR", "--reason", "GENERAL", "--reference", "R"],
        "adjustments import": ["/nonexistent.csv", "--encoding", "utf-8", "--date-order", "MDY"],
        "adjustments export": ["--customer", "DEMO-ACME", "--from", "2026-01-01", "--min-amount", "-5", "--max-amount", "5", "--batch", "1"],
        "adjustments template": [],
        "adjustments reasons": ["R2", "--name", "Reason"],
        "logins add": ["someone", "--role", "reporting"],
        "logins list": [],
        "tokens add": ["till", "--role", "clerk"],
        "tokens list": [],
        "tokens remove": ["nobody"],
        "logins remove": ["nobody_at_all"],
    ]

    /// Commands that run the embedded server or the HTTP service, long measurements or the demo itself.
    static let excluded: Set<String> = [
        "db start", "db stop", "db status", "db url", "db env", "demo", "bench client", "bench posting",
        "bench adjustments", "bench single", "bench http", "bench generate", "bench console", "bench pooler", "bench all", "help", "serve",
    ]

    static let values = ["", "=", "99999999999999999999999999", "-5", "1.123456789", "A\u{1B}[31mB\nC", "x\u{200B}y"]

    /// What a raw server message, or a crash, looks like.
    static let raw = [
        "SQLSTATE", "syntax error", "violates", "numeric field overflow", "out of range for type", "index row size",
        "invalid input syntax", "value too long", "duplicate key", "Fatal error", "Backtrac", "Program crashed",
    ]

    /// The leaf commands, as the command line describes itself.
    static func commands() async throws -> [String] {
        try await commandOptions().keys.sorted()
    }

    /// Each leaf command with the long names of its options, as the command line describes itself.
    static func commandOptions() async throws -> [String: Set<String>] {
        let help = try await Program.run([CommandLineTests.executable, "--experimental-dump-help"])
        struct Name: Decodable {
            var kind: String
            var name: String
        }
        struct Argument: Decodable { var names: [Name]? }
        struct Command: Decodable {
            var commandName: String
            var subcommands: [Command]?
            var arguments: [Argument]?
        }
        struct Dump: Decodable { var command: Command }
        let dump = try JSONDecoder().decode(Dump.self, from: Data(help.output.utf8))
        var found: [String: Set<String>] = [:]
        func walk(_ command: Command, _ path: [String]) {
            guard let subcommands = command.subcommands, !subcommands.isEmpty else {
                let names = (command.arguments ?? []).flatMap { $0.names ?? [] }.filter { $0.kind == "long" }.map(\.name)
                if !path.isEmpty { found[path.joined(separator: " ")] = Set(names) }
                return
            }
            for subcommand in subcommands { walk(subcommand, path + [subcommand.commandName]) }
        }
        walk(dump.command, [])
        return found
    }

    /// Commands that never reach a database, and why.
    static let offline: [String: String] = [
        "help": "prints help", "adjustments template": "writes the import template, which is the same for every database",
    ]

    @Test("no command's help shows a stray backslash (a line continuation written twice)")
    func helpText() async throws {
        let help = try await Program.run([CommandLineTests.executable, "--experimental-dump-help"])
        #expect(help.status == 0)
        // In the JSON a backslash of the text is written \\.
        #expect(!help.output.contains(#"\\"#), "a help text holds a backslash")
    }

    @Test("every command that can reach a database takes --database, --data and --verbose; the db commands --data and --verbose")
    func connectionOptions() async throws {
        let commands = try await Self.commandOptions()
        #expect(commands.count > 80)
        for (command, options) in commands.sorted(by: { $0.key < $1.key }) where Self.offline[command] == nil {
            // The db commands manage the embedded server in its folder: they take no --database.
            let wanted: Set<String> = command.hasPrefix("db ") ? ["data", "verbose"] : ["database", "data", "verbose"]
            #expect(wanted.isSubset(of: options), "\(command) lacks \(wanted.subtracting(options).sorted())")
        }
    }

    @Test("every command has a valid invocation to vary")
    func everyCommandIsCovered() async throws {
        let missing = try await Self.commands().filter { Self.invocations[$0] == nil && !Self.excluded.contains($0) }
        #expect(missing.isEmpty, "commands without an invocation here: \(missing)")
    }

    @Test("no malformed value crashes a command or shows a raw server message", .timeLimit(.minutes(5)))
    func malformedValues() async throws {
        try await withTestDatabase { database in
            let setup = try await Program.run([CommandLineTests.executable, "demo", "--database", database.config.conninfo])
            #expect(setup.status == 0, "\(setup.error)")
            var runs: [[String]] = []
            for (command, base) in Self.invocations.sorted(by: { $0.key < $1.key }) {
                let words = command.split(separator: " ").map(String.init)
                // Each slot that holds a value: a positional, or the value after an option.
                for index in base.indices where !base[index].hasPrefix("--") {
                    for value in Self.values {
                        var arguments = base
                        arguments[index] = value
                        runs.append(words + arguments)
                    }
                }
            }
            let conninfo = database.config.conninfo
            let findings = try await withThrowingTaskGroup(of: String?.self) { group in
                var results: [String] = []
                var next = 0
                func launch() {
                    guard next < runs.count else { return }
                    let arguments = runs[next]
                    next += 1
                    group.addTask {
                        let result = try await Program.run([CommandLineTests.executable] + arguments + ["--database", conninfo])
                        let text = result.output + result.error
                        if result.status >= 128 { return "\(arguments): crashed with status \(result.status): \(text.prefix(300))" }
                        if let pattern = Self.raw.first(where: { text.contains($0) }) {
                            return "\(arguments): shows '\(pattern)': \(text.prefix(300))"
                        }
                        return nil
                    }
                }
                for _ in 0..<6 { launch() }
                while let finding = try await group.next() {
                    if let finding { results.append(finding) }
                    launch()
                }
                return results
            }
            #expect(runs.count > 500)
            #expect(findings.isEmpty, "\(findings.count) of \(runs.count) runs:\n\(findings.prefix(40).joined(separator: "\n"))")
        }
    }
}

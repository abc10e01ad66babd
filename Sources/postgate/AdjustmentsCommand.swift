import ArgumentParser
import Foundation
import Postgate
import Postgres

struct AdjustmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjustments",
        abstract: "Customer adjustments: add one, import a CSV file, export, write the template.",
        subcommands: [Add.self, Import.self, Export.self, Template.self, Reasons.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enter one adjustment (negative lowers the balance).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Argument(help: ArgumentHelp("Amount; negative lowers the balance (write it after --, e.g. -- -25.00).")) var amount: Decimal
        @Option(help: "YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option(help: "Currency of the amount (default: the customer's).") var currency: String?
        @Option(help: "Reason code (default: the default reason).") var reason: String?
        @Option var reference: String?
        @Option var notes: String?

        func run() async throws {
            let id = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).add(customer: customer, amount: amount, date: date, currency: currency, reason: reason, reference: reference, notes: notes)
            }
            print("Recorded adjustment \(id): \(amount.money) for \(customer).")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV file with the export's headings: every row becomes a new adjustment, or, if any row is bad, none does.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "Check the file and report; import nothing.") var dryRun = false
        @Flag(help: "Import a file that was imported before (every row again).") var allowDuplicate = false
        @Flag(help: "Print the result, with every problem, as JSON.") var json = false

        func run() async throws {
            let bar = ProgressBar()
            let result = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).importFile(file, dryRun: dryRun, allowDuplicate: allowDuplicate) { done, total in
                    if total > 4 << 20 { bar.show(done, total) }
                }
            }
            bar.finish()
            if json {
                try printJSON(result)
            } else if !result.problems.isEmpty {
                print("\(result.problems.count) problem\(result.problems.count == 1 ? "" : "s") in \(result.rows) rows; nothing was imported:")
                for problem in result.problems.prefix(50) {
                    print("  row \(problem.line), \(problem.column)\(problem.value.map { " '\($0)'" } ?? ""): \(problem.reason)")
                }
                if result.problems.count > 50 { print("  … and \(result.problems.count - 50) more (--json lists them all)") }
            } else if let batch = result.batchID {
                print("Imported \(result.rows) adjustments as batch \(batch).")
            } else {
                print("\(result.rows) rows read; the file can be imported (dry run: nothing was imported).")
            }
            if !result.problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export adjustments as CSV (to standard output unless --output).")
        @OptionGroup var connection: ConnectionOptions
        @Option var customer: String?
        @Option(help: "From date, YYYY-MM-DD.") var from: LocalDate?
        @Option(help: "To date, YYYY-MM-DD.") var to: LocalDate?
        @Option var reason: String?
        @Option(help: "Smallest amount.") var minAmount: Decimal?
        @Option(help: "Largest amount.") var maxAmount: Decimal?
        @Option(help: "Import batch id.") var batch: Int64?
        @Option(help: "Write to this file.") var output: String?

        func run() async throws {
            let filter = AdjustmentFilter(customer: customer, from: from, to: to, reason: reason, minimum: minAmount, maximum: maxAmount, batch: batch)
            let sink: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output) else {
                    throw ValidationError("cannot write \(output): check the folder exists and is writable")
                }
                sink = handle
            } else {
                sink = FileHandle.standardOutput
            }
            let writer = SendableHandle(handle: sink)
            let rows = try await withPool(connection) { try await AdjustmentStore(pool: $0).export(filter) { try writer.handle.write(contentsOf: Data($0)) } }
            if let output {
                try sink.close()
                note("Exported \(rows) adjustments to \(output).")
            }
        }
    }

    struct Template: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the import template: the headings (standard output or --output), and each column's rules (--rules FILE).")
        @Option(help: "Write the headings to this file.") var output: String?
        @Option(help: "Write each column's rules (mandatory, format, example, when empty) as CSV to this file.") var rules: String?

        func run() async throws {
            let headings = AdjustmentColumn.importable.map(\.rawValue).joined(separator: ",") + "\n"
            if let output { try headings.write(toFile: output, atomically: true, encoding: .utf8) } else { print(headings, terminator: "") }
            if let rules {
                func quote(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
                var text = "Column,Mandatory,Format,Example,When empty\n"
                for column in AdjustmentColumn.allCases {
                    let rule = column.rule
                    text += [column.rawValue, column.mandatory ? "yes" : "no", rule.format, rule.example, rule.whenEmpty].map(quote).joined(separator: ",") + "\n"
                }
                try text.write(toFile: rules, atomically: true, encoding: .utf8)
                note("Wrote the rules of each column to \(rules).")
            }
        }
    }

    struct Reasons: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or change an adjustment reason code (with --version).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var code: String
        @Option var name: String
        @Option(help: "true or false.") var active = true
        @Option(name: .customLong("version")) var rowVersion: Int?

        func run() async throws {
            let version = try await withPool(connection) { pool in
                try await pool.query("SELECT api.save_adjustment_reason(\(code), \(name), \(active), \(rowVersion.map { Int32(clamping: $0) }))")[0].decode(0, as: Int.self)
            }
            print(version == 1 ? "Added reason \(code)." : "Changed reason \(code): now version \(version).")
        }
    }
}

/// A file handle written from the connection's thread.
struct SendableHandle: @unchecked Sendable {
    let handle: FileHandle
}

import ArgumentParser
import Foundation
import Postgate
import Postgres

extension FileEncoding: ExpressibleByArgument {}

/// The file formats adjustments are exported and templated in.
enum SheetFormat: String, ExpressibleByArgument, CaseIterable {
    case csv
    case xlsx
}

/// Writes a workbook made by `write` to `output`, or to standard output when that is not a
/// terminal (a workbook is no text to show).
func writeWorkbook(to output: String?, _ write: (String) async throws -> Void) async throws {
    if let output {
        try await write(output)
        return
    }
    guard isatty(STDOUT_FILENO) == 0 else {
        throw ValidationError("a workbook is not written to the terminal: name the file with --output FILE.xlsx, or redirect standard output")
    }
    let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-\(UUID().uuidString).xlsx").path
    defer { try? FileManager.default.removeItem(atPath: temporary) }
    try await write(temporary)
    guard let reader = FileHandle(forReadingAtPath: temporary) else { throw ValidationError("cannot read back \(temporary)") }
    defer { try? reader.close() }
    while let data = try reader.read(upToCount: 1 << 20), !data.isEmpty { try FileHandle.standardOutput.write(contentsOf: data) }
}
extension DateOrder: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

struct AdjustmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjustments",
        abstract: "Customer adjustments: add one, import a CSV file or an .xlsx workbook, export, write the template.",
        subcommands: [Add.self, Import.self, Export.self, Template.self, Reasons.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enter one adjustment (negative lowers the balance).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var customer: String
        @Argument(help: ArgumentHelp("Amount; negative lowers the balance, such as -25.00.")) var amount: Decimal
        @Option(help: "YYYY-MM-DD (default: today).") var date: LocalDate?
        @Option(help: "Currency of the amount (default: the customer's).") var currency: String?
        @Option(help: "Reason code (default: the default reason).") var reason: String?
        @Option var reference: String?
        @Option var notes: String?

        func run() async throws {
            let id = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).add(
                    customer: customer, amount: amount, date: date, currency: currency, reason: reason, reference: reference, notes: notes)
            }
            print("Recorded adjustment \(id): \(amount.money) for \(customer).")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Import a CSV file or an .xlsx workbook with the export's headings: every row becomes a new adjustment, or, if any row is bad, none does.",
            discussion: "A workbook is told by its contents, whatever its name; its first sheet is read unless --sheet names another.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The CSV file or .xlsx workbook.") var file: String
        @Option(help: "The workbook's sheet to read (default: the first).") var sheet: String?
        @Flag(help: "Check the file and report; import nothing.") var dryRun = false
        @Flag(help: "Import a file that was imported before (every row again).") var allowDuplicate = false
        @Option(help: "How the file was saved: utf-8, windows-1252 or latin-1 (default: UTF-8 when it is, else Windows-1252).")
        var encoding: FileEncoding?
        @Option(help: "How dates like 11/01/2026 are read: MDY (month first) or DMY (day first); YYYY-MM-DD is always read.")
        var dateOrder: DateOrder?
        @Flag(help: "Print the result, with the first 1000 problems and the count of each kind, as JSON.") var json = false

        func run() async throws {
            let bar = ProgressBar()
            var options = ImportOptions(dryRun: dryRun, allowDuplicate: allowDuplicate, encoding: encoding, dateOrder: dateOrder ?? .iso)
            options.problemLimit = 1000
            options.sheet = sheet
            let result = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).importFile(file, options: options) { done, total in
                    if total > 4 << 20 { bar.show(done, total) }
                }
            }
            bar.finish()
            if json {
                try printJSON(result)
            } else {
                if result.encodingGuessed {
                    print(
                        "The file is not UTF-8: it was read as \(result.encoding.displayName), as spreadsheets save CSV on Western systems "
                            + "(--encoding says otherwise).")
                }
                if result.totalProblems > 0 {
                    print(
                        "\(result.totalProblems) problem\(result.totalProblems == 1 ? "" : "s") in \(result.rowsWithProblems) of \(result.rows) rows; nothing was imported:"
                    )
                    for problem in result.problems.prefix(50) {
                        let place = "row \(problem.line)" + (problem.cell.map { " (cell \($0))" } ?? "")
                        print("  \(place), \(problem.column)\(problem.value.map { " '\($0)'" } ?? ""): \(problem.reason)")
                    }
                    if result.problemCounts.contains(where: { $0.reason.contains("order is given") }) {
                        print("  Dates like 11/01/2026 need their order: pass --date-order MDY (month first) or --date-order DMY (day first).")
                    }
                    if result.totalProblems > 50 {
                        print("  … and \(result.totalProblems - 50) more (--json lists the first \(options.problemLimit)). By kind:")
                        for count in result.problemCounts {
                            print("  \(count.problems) × \(count.column): \(count.reason) (first in row \(count.firstLine))")
                        }
                    }
                } else if let batch = result.batchID {
                    print("Imported \(result.rows) adjustments\(result.sheet.map { " from sheet '\($0)'" } ?? "") as batch \(batch).")
                } else {
                    print("\(result.rows) rows read; the file can be imported (dry run: nothing was imported).")
                }
            }
            if result.totalProblems > 0 { throw ExitCode(1) }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export adjustments as CSV or an .xlsx workbook (to standard output unless --output).")
        @OptionGroup var connection: ConnectionOptions
        @Option var customer: String?
        @Option(help: "From date, YYYY-MM-DD.") var from: LocalDate?
        @Option(help: "To date, YYYY-MM-DD.") var to: LocalDate?
        @Option var reason: String?
        @Option(help: "Smallest amount.") var minAmount: Decimal?
        @Option(help: "Largest amount.") var maxAmount: Decimal?
        @Option(help: "Import batch id.") var batch: Int64?
        @Option(help: "Write to this file.") var output: String?
        @Option(help: "csv or xlsx (a workbook: dates and amounts as date and number cells).") var format: SheetFormat = .csv

        func run() async throws {
            let filter = AdjustmentFilter(
                customer: customer, from: from, to: to, reason: reason, minimum: minAmount, maximum: maxAmount, batch: batch)
            if format == .xlsx {
                let connection = connection
                try await writeWorkbook(to: output) { path in
                    let rows = try await withPool(connection) { try await AdjustmentStore(pool: $0).exportWorkbook(filter, to: path) }
                    if output != nil { console.info("Exported \(rows) adjustments to \(path).") }
                }
                return
            }
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
            let rows = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).export(filter) { try writer.handle.write(contentsOf: Data($0)) }
            }
            if let output {
                try sink.close()
                console.info("Exported \(rows) adjustments to \(output).")
            }
        }
    }

    struct Template: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the import template: the headings (standard output or --output), and each column's rules (--rules FILE).")
        @Option(help: "Write the headings to this file.") var output: String?
        @Option(help: "Write each column's rules (mandatory, format, example, when empty) as CSV to this file.") var rules: String?
        @Option(help: "csv or xlsx (a workbook with the headings, and the rules on a second sheet).") var format: SheetFormat = .csv

        func run() async throws {
            if format == .xlsx {
                try await writeWorkbook(to: output) { try AdjustmentStore.writeTemplateWorkbook(to: $0) }
                return
            }
            let headings = AdjustmentColumn.templateCSV
            if let output { try headings.write(toFile: output, atomically: true, encoding: .utf8) } else { print(headings, terminator: "") }
            if let rules {
                try AdjustmentColumn.rulesCSV.write(toFile: rules, atomically: true, encoding: .utf8)
                console.info("Wrote the rules of each column to \(rules).")
            }
        }
    }

    struct Reasons: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or change an adjustment reason code (with --version).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var row: CodeListRow

        func run() async throws {
            let version = try await withPool(connection) {
                try await AdjustmentStore(pool: $0).saveReason(row.code, name: row.name, active: row.active, version: row.rowVersion)
            }
            row.printSaved("reason", version: version)
        }
    }
}

/// A file handle written from the connection's thread.
struct SendableHandle: @unchecked Sendable {
    let handle: FileHandle
}

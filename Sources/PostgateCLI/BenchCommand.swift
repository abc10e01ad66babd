import ArgumentParser
import Foundation
import Logging
import Postgate
import PostgateBench
import Postgres
import PostgresServer

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Benchmarks: the database client (default), mass posting, single postings against pgbench, over HTTP and through PgBouncer, the adjustment import.",
        subcommands: [
            ClientBench.self, PostingBench.self, SinglePostingBench.self, HTTPBench.self, AdjustmentsBench.self, GenerateBench.self,
            ConsoleBench.self, PoolerBench.self,
            AllBench.self,
        ],
        defaultSubcommand: ClientBench.self
    )
}

struct PostingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posting",
        abstract: "R2 and R3: preview and post N generated draft invoices, against the same writes made by plain SQL (sql/bench/posting_floor.sql).",
        discussion:
            "The scratch databases postgate_bench_<pid> and postgate_bench_<pid>_floor are created, migrated, measured and dropped; the login needs the right to create databases. Above 100,000 invoices the preview and confirm are measured at 20,000 and 100,000 too, with the peak memory of each."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Draft invoices to generate and post.") var invoices = 100_000
    @Option(help: "Invoices per posting transaction.") var chunk = 1000
    @Option(help: "Invoices the preview evaluates and keeps at a time.") var previewChunk = PostingService.previewChunk
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func validate() throws {
        guard (1...5_000_000).contains(invoices) else { throw ValidationError("--invoices must be between 1 and 5000000") }
        guard chunk > 0 else { throw ValidationError("--chunk must be at least 1") }
        guard (1...1_000_000).contains(previewChunk) else { throw ValidationError("--preview-chunk must be between 1 and 1000000") }
    }

    func run() async throws {
        let server = try await connection.target.prepare(logger: connection.logger)
        // Above 100,000 the same at 20,000 and 100,000 too, first (a process's resident memory does not
        // shrink after a larger run), to show how time and memory grow with the size.
        let smaller = invoices > 100_000 ? [20_000, 100_000] : []
        let bySize = try await PostingBenchmark.memoryBySize(
            smaller, chunkSize: chunk, previewChunk: previewChunk, server: server, sql: sql, logger: connection.logger)
        let figures = try await PostingBenchmark(invoices: invoices, chunkSize: chunk, previewChunk: previewChunk).run(
            server: server, sql: sql, logger: connection.logger)
        print(figures.table)
        guard !smaller.isEmpty else { return }
        print("\n" + PostingBenchmark.memoryTable(bySize + [figures]))
    }
}

/// Runs `body` in a scratch database on the target's server (see `PostgateBench.withScratchDatabase`).
func withScratchDatabase<T>(_ connection: ConnectionOptions, sql: String?, _ body: (ConnectionConfig) async throws -> T) async throws -> T {
    let server = try await connection.target.prepare(logger: connection.logger)
    return try await PostgateBench.withScratchDatabase(server: server, sql: sql, body)
}

struct SinglePostingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "single",
        abstract: "R1: invoices posted one per transaction by C tasks, against pgbench at the same C; R5: all on one customer.",
        discussion:
            "Each measurement runs in a scratch database of its own on the same server (the login needs CREATEDB); pgbench comes with postgresql-contrib."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Concurrent tasks, comma-separated.") var clients = "1,4,8"
    @Option(help: "Seconds each measurement runs.") var seconds = 10
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    var levels: [Int] { (try? concurrencyLevels(clients, example: "1,4,8")) ?? [] }

    func validate() throws {
        _ = try concurrencyLevels(clients, example: "1,4,8")
        guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 600") }
    }

    func run() async throws {
        let server = try await connection.target.prepare(logger: connection.logger)
        let figures = try await SinglePostingBenchmark(concurrency: levels, duration: .seconds(seconds)).run(
            server: server, sql: sql, logger: connection.logger)
        print(figures.table)
    }
}

/// The concurrency levels of `--clients`: numbers from 1 to 64 separated by commas.
func concurrencyLevels(_ clients: String, example: String) throws -> [Int] {
    let parts = clients.split(separator: ",")
    let levels = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !levels.isEmpty, levels.allSatisfy({ (1...64).contains($0) }), levels.count == parts.count else {
        throw ValidationError("--clients must be numbers from 1 to 64 separated by commas, such as \(example); not \(clients)")
    }
    return levels
}

struct PoolerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pooler",
        abstract: "R1 through PgBouncer in transaction mode (C clients on S server connections) against R1 straight on the server with S clients.",
        discussion:
            "Starts Debian's pgbouncer on the loopback in front of the server, which must be on this machine (reached through its socket folder, as a superuser); each side posts in a scratch database of its own."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Client connections to the pooler.") var clients = 200
    @Option(help: "Server connections the pooler may open (its pool size), and the direct side's clients.") var serverConnections = 20
    @Option(help: "Seconds each measurement runs.") var seconds = 10
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func validate() throws {
        guard (1...2000).contains(clients) else { throw ValidationError("--clients must be between 1 and 2000, not \(clients)") }
        guard (1...200).contains(serverConnections) else {
            throw ValidationError("--server-connections must be between 1 and 200, not \(serverConnections)")
        }
        guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 600") }
    }

    func run() async throws {
        let server = try await connection.target.prepare(logger: connection.logger)
        let figures = try await PoolerBenchmark(clients: clients, serverConnections: serverConnections, duration: .seconds(seconds)).run(
            server: server, sql: sql, logger: connection.logger)
        print(figures.table)
    }
}

struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "R1 through postgate serve on the loopback (C clients, one posting per request) against R1 in process at the same C.",
        discussion: "The service is this executable, started as a process of its own on a free port; each side works in a scratch database."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Concurrent clients, comma-separated.") var clients = "1,8"
    @Option(help: "Seconds each measurement runs.") var seconds = 10
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    var levels: [Int] { (try? concurrencyLevels(clients, example: "1,8")) ?? [] }

    func validate() throws {
        _ = try concurrencyLevels(clients, example: "1,8")
        guard (1...600).contains(seconds) else { throw ValidationError("--seconds must be between 1 and 600") }
    }

    func run() async throws {
        let server = try await connection.target.prepare(logger: connection.logger)
        let figures = try await HTTPPostingBenchmark(concurrency: levels, duration: .seconds(seconds), executable: thisExecutable).run(
            server: server, sql: sql, logger: connection.logger)
        print(figures.table)
    }
}

/// The path of the running postgate executable, to start `postgate serve` from.
var thisExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

struct GenerateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate Invoices over N booked orders, against the same drafts inserted by plain SQL (sql/bench/generate_floor.sql).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Booked orders to generate invoices from.") var orders = 10_000
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func validate() throws {
        guard (1...1_000_000).contains(orders) else { throw ValidationError("--orders must be between 1 and 1000000") }
    }

    func run() async throws {
        let server = try await connection.target.prepare(logger: connection.logger)
        print(try await GenerationBenchmark(orders: orders).run(server: server, sql: sql, logger: connection.logger).table)
    }
}

struct ConsoleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The operator console's pages with N unposted invoices, served by postgate serve, against the API's JSON list of the same drafts.",
        discussion: "Runs in a scratch database on the same server (the login needs CREATEDB). The goal: no page over 300 ms with 1,000 invoices."
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Unposted invoices to generate.") var invoices = 1_000
    @Option(help: "Times each page is fetched (after one to warm up); the median is reported.") var runs = 15
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func validate() throws {
        guard (1...200_000).contains(invoices) else { throw ValidationError("--invoices must be between 1 and 200000") }
        guard (1...200).contains(runs) else { throw ValidationError("--runs must be between 1 and 200") }
    }

    func run() async throws {
        let figures = try await withScratchDatabase(connection, sql: sql) {
            try await ConsoleBenchmark(invoices: invoices, runs: runs, executable: thisExecutable).run(on: $0, logger: connection.logger)
        }
        print(figures.table)
    }
}

struct AdjustmentsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adjustments",
        abstract: "Import N generated adjustments from CSV, against a raw COPY of the same file, in a scratch database.",
        discussion: "--format xlsx also imports the same rows from an .xlsx workbook, in a second scratch database, against the CSV import.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Rows in the generated file.") var rows = 1_000_000
    @Option(help: "csv, or xlsx to measure the workbook import beside the CSV one.") var format: SheetFormat = .csv
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func validate() throws {
        guard (1...20_000_000).contains(rows) else { throw ValidationError("--rows must be between 1 and 20000000") }
    }

    func run() async throws {
        var figures = try await withScratchDatabase(connection, sql: sql) {
            try await AdjustmentBenchmark(rows: rows).run(on: $0, logger: connection.logger)
        }
        if format == .xlsx {
            figures.workbook = try await withScratchDatabase(connection, sql: sql) {
                try await AdjustmentBenchmark(rows: rows).runWorkbook(on: $0, logger: connection.logger)
            }
        }
        print(figures.table)
    }
}

struct ClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Measure the database client: round trips, pipeline mode and COPY.",
        discussion:
            "Each case runs --runs times; the median is reported, with its speed as a ratio to one statement per round trip measured in the same run. Uses temporary tables only."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Statements in the round-trip and pipeline cases.") var statements = 5_000
    @Option(help: "Rows in the COPY case.") var copyRows = 100_000
    @Option(help: "Runs of each case.") var runs = 3

    func validate() throws {
        guard statements > 0 else { throw ValidationError("--statements must be at least 1, not \(statements)") }
        guard copyRows > 0 else { throw ValidationError("--copy-rows must be at least 1, not \(copyRows)") }
        guard (1...50).contains(runs) else { throw ValidationError("--runs must be between 1 and 50, not \(runs)") }
    }

    func run() async throws {
        let database = try await connection.connect()
        let report = try await ClientBenchmark(statements: statements, copyRows: copyRows, runs: runs).run(on: database)
        await database.close()
        print(report.table)
    }
}

struct AllBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract:
            "Every benchmark in one go: the client, single postings against pgbench (R1, R5), over HTTP, mass posting against its floor (R2, R3), Generate Invoices, the adjustment import (R4), the operator console.",
        discussion:
            "--quick runs small sizes in about a minute (the test command runs it, so the benchmarks keep working); without it, the sizes of docs/performance.md."
    )
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Small sizes, about a minute in all.") var quick = false
    @Flag(help: "Print the figures as one JSON object instead of tables.") var json = false
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR")) var sql: String?

    func run() async throws {
        let logger = connection.logger
        let server = try await connection.target.prepare(logger: logger)
        let client = try await PostgresConnection.connect(server)
        let clientReport = try await ClientBenchmark(statements: quick ? 1_000 : 5_000, copyRows: quick ? 20_000 : 100_000, runs: quick ? 1 : 3)
            .run(on: client)
        await client.close()
        let single = try await SinglePostingBenchmark(concurrency: quick ? [1, 4] : [1, 4, 8], duration: .seconds(quick ? 2 : 10)).run(
            server: server, sql: sql, logger: logger)
        let http = try await HTTPPostingBenchmark(concurrency: quick ? [1] : [1, 8], duration: .seconds(quick ? 2 : 10), executable: thisExecutable)
            .run(server: server, sql: sql, logger: logger)
        let mass = try await PostingBenchmark(invoices: quick ? 2_000 : 100_000).run(server: server, sql: sql, logger: logger)
        let generation = try await GenerationBenchmark(orders: quick ? 1_000 : 10_000).run(server: server, sql: sql, logger: logger)
        let adjustments = try await PostgateBench.withScratchDatabase(server: server, sql: sql) {
            try await AdjustmentBenchmark(rows: quick ? 20_000 : 1_000_000).run(on: $0, logger: logger)
        }
        let console = try await PostgateBench.withScratchDatabase(server: server, sql: sql) {
            try await ConsoleBenchmark(invoices: 1_000, runs: quick ? 3 : 15, executable: thisExecutable).run(on: $0, logger: logger)
        }
        // Every goal of docs/performance.md beside its figure, labelled as the document names it.
        var goals: [(figure: String, measured: String, goal: String, met: Bool)] = []
        for item in single.cases
        where item.name.hasPrefix("R1") && (item.concurrency == 1 || item.concurrency == single.cases.map(\.concurrency).max()) {
            goals.append(("\(item.name) / pgbench, C = \(item.concurrency)", String(format: "%.2f", item.ratio), ">= 0.5", item.ratio >= 0.5))
        }
        if let r1 = single.cases.first(where: { $0.name == "R1 single posting" && $0.concurrency == 1 }) {
            let r2 = Double(mass.invoices) / (mass.preview + mass.post) / r1.perSecond
            goals.append(("R2 mass posting / R1 at C = 1", String(format: "%.1fx", r2), ">= 20x", r2 >= 20))
        }
        goals.append(
            ("R3 confirm / floor, \(mass.invoices) invoices", String(format: "%.2f", mass.post / mass.floor), "<= 1.5", mass.post / mass.floor <= 1.5)
        )
        goals.append(("R3 preview / floor", String(format: "%.2f", mass.preview / mass.floor), "<= 0.3", mass.preview / mass.floor <= 0.3))
        let megabytes = Double(mass.peakMemory) / 1_048_576
        goals.append(("R3 peak memory of mass posting", String(format: "%.0f MiB", megabytes), "<= 64 MiB", megabytes <= 64))
        goals.append(("R4 import / floor, \(adjustments.rows) rows", String(format: "%.2f", adjustments.ratio), "<= 1.3", adjustments.ratio <= 1.3))
        if let hot = single.cases.first(where: { $0.name.hasPrefix("R5") }) {
            goals.append(("R5 one hot customer / spread, C = \(hot.concurrency)", String(format: "%.2f", hot.ratio), ">= 0.5", hot.ratio >= 0.5))
        }
        if let top = http.cases.max(by: { $0.concurrency < $1.concurrency }) {
            goals.append(("HTTP p99 / in-process p99, C = \(top.concurrency)", String(format: "%.2f", top.p99Ratio), "< 3", top.p99Ratio < 3))
        }
        if let slowest = console.pages.map(\.slowest).max() {
            goals.append(
                ("Console: slowest page, \(console.invoices) invoices", String(format: "%.0f ms", slowest * 1000), "<= 300 ms", slowest <= 0.3))
        }
        guard json else {
            var summary = [
                "Goals (docs/performance.md)", "figure".padding(toLength: 44, withPad: " ", startingAt: 0) + "  measured   goal        met",
            ]
            for row in goals {
                summary.append(
                    row.figure.padding(toLength: 44, withPad: " ", startingAt: 0) + "  "
                        + row.measured.padding(toLength: 9, withPad: " ", startingAt: 0)
                        + "  " + row.goal.padding(toLength: 10, withPad: " ", startingAt: 0) + "  " + (row.met ? "yes" : "no"))
            }
            print(
                [
                    clientReport.table, single.table, http.table, mass.table, generation.table, adjustments.table, console.table,
                    summary.joined(separator: "\n"),
                ]
                .joined(separator: "\n\n"))
            return
        }
        let figures: [String: Any] = [
            "goals": goals.map { ["figure": $0.figure, "measured": $0.measured, "goal": $0.goal, "met": $0.met] },
            "client": clientReport.cases.map {
                ["case": $0.name, "rows": $0.rows, "median_seconds": $0.median, "rows_per_second": $0.rowsPerSecond]
            },
            "single_posting": single.cases.map {
                [
                    "case": $0.name, "concurrency": $0.concurrency, "postings_per_second": $0.perSecond, "baseline_per_second": $0.baseline,
                    "baseline": $0.baselineName, "ratio": $0.ratio, "p50_ms": $0.p50 * 1000, "p95_ms": $0.p95 * 1000, "p99_ms": $0.p99 * 1000,
                ]
            },
            "http_posting": http.cases.map {
                [
                    "concurrency": $0.concurrency, "http_per_second": $0.http.rate, "in_process_per_second": $0.inProcess.rate,
                    "http_p50_ms": $0.http.p50 * 1000, "http_p99_ms": $0.http.p99 * 1000, "in_process_p50_ms": $0.inProcess.p50 * 1000,
                    "in_process_p99_ms": $0.inProcess.p99 * 1000, "p99_ratio": $0.p99Ratio,
                ]
            },
            "mass_posting": [
                "invoices": mass.invoices, "preview_seconds": mass.preview, "confirm_seconds": mass.post, "floor_seconds": mass.floor,
                "invoices_per_second": Double(mass.invoices) / (mass.preview + mass.post), "confirm_to_floor": mass.post / mass.floor,
                "preview_to_floor": mass.preview / mass.floor, "peak_memory_bytes": mass.peakMemory,
            ],
            "generate_invoices": [
                "orders": generation.orders, "floor_seconds": generation.floor, "preview_seconds": generation.preview,
                "generate_seconds": generation.generate, "ratio": generation.ratio,
            ],
            "console": [
                "invoices": console.invoices, "baseline": console.baseline.name, "baseline_median_ms": console.baseline.median * 1000,
                "pages": console.pages.map { ["page": $0.name, "median_ms": $0.median * 1000, "slowest_ms": $0.slowest * 1000, "bytes": $0.bytes] },
            ],
            "adjustment_import": [
                "rows": adjustments.rows, "floor_seconds": adjustments.floor, "import_seconds": adjustments.importFile, "ratio": adjustments.ratio,
                "peak_memory_bytes": adjustments.peakMemory,
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: figures, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

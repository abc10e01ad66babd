import Foundation
import Postgate
import Postgres

/// Measured figures: each case is run several times and reported by its median, with its speed
/// as a ratio to the baseline case measured in the same run (these machines are noisy; ratios
/// and medians travel, absolute times do not).
public struct BenchmarkReport: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var rows: Int
        public var seconds: [Double]
        public var median: Double {
            let sorted = seconds.sorted()
            return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        }
        public var rowsPerSecond: Double { Double(rows) / median }
    }

    public var cases: [Case]

    /// A table for people: one line per case, the first being the baseline.
    public var table: String {
        guard let baseline = cases.first else { return "" }
        var lines = ["case                              rows   median s      rows/s   vs baseline"]
        for item in cases {
            let ratio = item.rowsPerSecond / baseline.rowsPerSecond
            lines.append(
                item.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%8d %10.3f %11.0f %12.1fx", item.rows, item.median, item.rowsPerSecond, ratio))
        }
        return lines.joined(separator: "\n")
    }
}

/// The database client's own speed: one statement per round trip (the baseline), the same
/// statements in pipeline mode, and COPY. Works in temporary tables, so it leaves nothing behind.
public struct ClientBenchmark: Sendable {
    public var statements: Int
    public var copyRows: Int
    public var runs: Int

    public init(statements: Int = 5_000, copyRows: Int = 100_000, runs: Int = 3) {
        self.statements = statements
        self.copyRows = copyRows
        self.runs = runs
    }

    public func run(on connection: PostgresConnection) async throws -> BenchmarkReport {
        try await connection.execute(
            unsafeSQL: """
                CREATE TEMPORARY TABLE bench_line (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(14, 2) NOT NULL)
                """)
        let inserts: [PostgresQuery] = (1...statements).map { id in
            "INSERT INTO bench_line VALUES (\(id), \("customer \(id)"), \(Decimal(id) + Decimal(string: "0.25")!))"
        }
        var single = BenchmarkReport.Case(name: "insert, one round trip each", rows: statements, seconds: [])
        var pipelined = BenchmarkReport.Case(name: "insert, pipeline mode", rows: statements, seconds: [])
        var copied = BenchmarkReport.Case(name: "COPY FROM STDIN", rows: copyRows, seconds: [])
        for _ in 0..<runs {
            single.seconds.append(
                try await timed(connection) {
                    for insert in inserts { try await connection.query(insert) }
                })
            pipelined.seconds.append(
                try await timed(connection) {
                    for result in try await connection.pipeline(inserts) { _ = try result.get() }
                })
            copied.seconds.append(
                try await timed(connection) {
                    try await connection.copyIn(
                        "COPY bench_line FROM STDIN", chunks: CopyChunks(count: copyRows) { "\($0)\tcustomer \($0)\t\($0).25\n" })
                })
        }
        try await connection.execute(unsafeSQL: "DROP TABLE bench_line")
        return BenchmarkReport(cases: [single, pipelined, copied])
    }

    /// Times `body` from an empty table.
    private func timed(_ connection: PostgresConnection, _ body: () async throws -> Void) async throws -> Double {
        try await connection.execute(unsafeSQL: "TRUNCATE bench_line")
        return try await seconds(body)
    }
}

import Foundation
import Logging
import Postgate
import Postgres
import PostgresServer

/// R1 and R5: three-line invoices posted one per transaction through `PostingService` by C
/// concurrent tasks, each with a connection of its own, against pgbench's TPC-B-like transaction
/// at the same C on the same server in the same run; and at the highest C every posting on one
/// customer against the same spread over 1,000.
public struct SinglePostingBenchmark: Sendable {
    public var concurrency: [Int]
    /// How long each measurement runs.
    public var duration: Duration

    public init(concurrency: [Int] = [1, 4, 8], duration: Duration = .seconds(10)) {
        self.concurrency = concurrency
        self.duration = duration
    }

    public struct Case: Sendable {
        public var name: String
        public var concurrency: Int
        public var postings: Int
        public var perSecond: Double
        /// pgbench's transactions per second at the same concurrency, or the spread case's rate.
        public var baseline: Double
        public var baselineName: String
        public var p50: Double
        public var p95: Double
        public var p99: Double

        public var ratio: Double { perSecond / baseline }
    }

    public struct Figures: Sendable {
        public var cases: [Case]

        public var table: String {
            var lines = [
                "case".padding(toLength: 34, withPad: " ", startingAt: 0)
                    + "     C  postings/s   baseline/s  ratio   p50 ms   p95 ms   p99 ms  (baseline)"
            ]
            for item in cases {
                lines.append(
                    item.name.padding(toLength: 34, withPad: " ", startingAt: 0)
                        + String(
                            format: "%6d %11.0f %12.0f %6.2f %8.1f %8.1f %8.1f  (%@)", item.concurrency, item.perSecond, item.baseline, item.ratio,
                            item.p50 * 1000, item.p95 * 1000, item.p99 * 1000, item.baselineName))
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Runs on `server`, each measurement in a scratch database of its own (`sql`: the SQL files).
    public func run(server: ConnectionConfig, sql: String?, logger: Logger = .silent) async throws -> Figures {
        let seconds = Double(duration.components.seconds)
        var cases: [Case] = []
        let highest = concurrency.max() ?? 1
        for c in concurrency {
            let tps = try await withScratchDatabase(server: server, sql: sql, suffix: "_pgbench") {
                try await pgbench($0, clients: c, seconds: Int(seconds), logger: logger)
            }
            logger.info("pgbench at \(c): \(tps) transactions/s")
            let measured = try await withScratchDatabase(server: server, sql: sql) {
                try await postings($0, clients: c, customers: 1000, logger: logger)
            }
            cases.append(
                Case(
                    name: "R1 single posting", concurrency: c, postings: measured.count, perSecond: measured.rate, baseline: tps,
                    baselineName: "pgbench tpcb-like", p50: measured.p50, p95: measured.p95, p99: measured.p99))
        }
        let hot = try await withScratchDatabase(server: server, sql: sql) { try await postings($0, clients: highest, customers: 1, logger: logger) }
        let spread = cases.last { $0.concurrency == highest }!
        cases.append(
            Case(
                name: "R5 one hot customer", concurrency: highest, postings: hot.count, perSecond: hot.rate, baseline: spread.perSecond,
                baselineName: "R1 over 1,000 customers", p50: hot.p50, p95: hot.p95, p99: hot.p99))
        for perTill in [false, true] {
            let tills = try await withScratchDatabase(server: server, sql: sql) {
                try await tillPostings($0, clients: highest, seriesPerTill: perTill, logger: logger)
            }
            cases.append(
                Case(
                    name: perTill ? "R1 shop tills, a series per till" : "R1 shop tills, one series", concurrency: highest,
                    postings: tills.count, perSecond: tills.rate, baseline: spread.baseline, baselineName: "pgbench tpcb-like", p50: tills.p50,
                    p95: tills.p95, p99: tills.p99))
        }
        return Figures(cases: cases)
    }

    /// Postings made in a measurement: how many, their rate and latency percentiles (seconds).
    public struct Measured: Sendable {
        public var count: Int
        public var rate: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double

        /// From each posting's latency, sorted, and the time the measurement took.
        init(latencies: [Double], elapsed: Duration) {
            let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            count = latencies.count
            rate = Double(latencies.count) / total
            p50 = percentile(0.5)
            p95 = percentile(0.95)
            p99 = percentile(0.99)
        }
    }

    /// Posts drafts one per transaction from `clients` tasks for the benchmark's duration.
    func postings(_ config: ConnectionConfig, clients: Int, customers: Int, logger: Logger) async throws -> Measured {
        let pool = PostgresPool(config: config, maxConnections: clients + 1, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        // Enough drafts for the run: a generous guess of the rate, times the duration.
        let needed = max(2000, clients * 400 * Int(duration.components.seconds))
        try await pool.withConnection { try await PostingBenchmark.generateDrafts($0, invoices: needed, customers: customers) }
        let ids = try await InvoiceStore(pool: pool).unposted(UnpostedFilter(), limit: needed).map(\.invoiceID)
        let service = PostingService(pool: pool, actor: "bench")
        return try await Self.measure(ids, clients: clients, duration: duration, logger: logger) { _ = try await service.post([$0]) }
    }

    /// Posts drafts of a shop's tills (`TillFixture`) one per transaction from `clients` tasks.
    func tillPostings(_ config: ConnectionConfig, clients: Int, seriesPerTill: Bool, logger: Logger) async throws -> Measured {
        let pool = PostgresPool(config: config, maxConnections: clients + 1, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        let needed = max(2000, clients * 400 * Int(duration.components.seconds))
        try await pool.withConnection { try await TillFixture.generateDrafts($0, invoices: needed, seriesPerTill: seriesPerTill) }
        let ids = try await InvoiceStore(pool: pool).unposted(UnpostedFilter(), limit: needed).map(\.invoiceID)
        let service = PostingService(pool: pool, actor: "bench")
        return try await Self.measure(ids, clients: clients, duration: duration, logger: logger) { _ = try await service.post([$0]) }
    }

    /// Posts `ids` one at a time with `post` from `clients` tasks for `duration`, timing each.
    static func measure(
        _ ids: [Int64], clients: Int, duration: Duration, logger: Logger, post: @escaping @Sendable (Int64) async throws -> Void
    ) async throws -> Measured {
        let queue = WorkQueue(ids)
        let end = ContinuousClock.now + duration
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var mine: [Double] = []
                    while ContinuousClock.now < end, let id = queue.next() {
                        let began = ContinuousClock.now
                        try await post(id)
                        let took = ContinuousClock.now - began
                        mine.append(Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [Double]()) { $0 += $1 }.sorted()
        }
        let elapsed = ContinuousClock.now - start
        guard !latencies.isEmpty else { throw BenchmarkFailure("nothing was posted") }
        if queue.isEmpty { logger.warning("ran out of drafts before the time was up: the rate is of the drafts there were") }
        return Measured(latencies: latencies, elapsed: elapsed)
    }

    /// pgbench's TPC-B-like transactions per second at `clients`, in tables of its own (scale 10).
    func pgbench(_ config: ConnectionConfig, clients: Int, seconds: Int, logger: Logger) async throws -> Double {
        let binary = try await LocalCluster.serverBinaries() + "/pgbench"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchmarkFailure("pgbench is not installed (Debian: postgresql-contrib)")
        }
        let database = config.conninfo
        let initialised = try await Program.run([binary, "--initialize", "--quiet", "--scale=10", database], mergeOutput: true)
        guard initialised.status == 0 else { throw BenchmarkFailure("pgbench --initialize failed: \(initialised.output)") }
        let result = try await Program.run(
            [binary, "--no-vacuum", "--client=\(clients)", "--jobs=\(min(clients, 2))", "--time=\(seconds)", database], mergeOutput: true)
        guard result.status == 0,
            let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst("tps = ".count).prefix { $0 != " " })
        else { throw BenchmarkFailure("pgbench failed: \(result.output.suffix(500))") }
        logger.debug("\(line)")
        return tps
    }
}

/// Draft ids handed out once each to the posting tasks.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [Int64]
    private var position = 0

    init(_ ids: [Int64]) { self.ids = ids }

    func next() -> Int64? {
        lock.withLock {
            guard position < ids.count else { return nil }
            defer { position += 1 }
            return ids[position]
        }
    }

    var isEmpty: Bool { lock.withLock { position >= ids.count } }
}

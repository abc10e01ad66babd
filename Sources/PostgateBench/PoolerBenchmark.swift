import Foundation
import Logging
import Postgate
import Postgres
import PostgresServer

/// Single postings through PgBouncer in transaction mode: many clients, each with a connection of
/// its own to the pooler, sharing few server connections; against the same postings made straight
/// on the server by as many clients as the pooler has server connections, in the same run. Each
/// measurement posts in a scratch database of its own.
public struct PoolerBenchmark: Sendable {
    /// Client connections to the pooler.
    public var clients: Int
    /// Server connections the pooler may open (its pool size).
    public var serverConnections: Int
    public var duration: Duration

    public init(clients: Int = 200, serverConnections: Int = 20, duration: Duration = .seconds(10)) {
        self.clients = clients
        self.serverConnections = serverConnections
        self.duration = duration
    }

    public struct Figures: Sendable {
        public var cases: [SinglePostingBenchmark.Case]
        /// The most server connections the pooler had open at once.
        public var serverConnectionsSeen: Int

        public var table: String {
            SinglePostingBenchmark.Figures(cases: cases).table
                + "\n(the pooler opened at most \(serverConnectionsSeen) server connections for the posting database)"
        }
    }

    /// Runs on `server`, which must be on this machine (the pooler reaches it through its socket
    /// folder, logging in as the same superuser).
    public func run(server: ConnectionConfig, sql: String?, logger: Logger = .silent) async throws -> Figures {
        let admin = try await PostgresConnection.connect(server)
        let row = try await admin.query(
            """
            SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket, current_setting('port')::int AS port,
                   current_user AS login, current_setting('max_connections')::int AS most,
                   (SELECT count(*) FROM pg_stat_activity)::int AS used
            FROM pg_roles WHERE rolname = current_user AND rolsuper
            """)
        await admin.close()
        guard let target = row.first else { throw BenchmarkFailure("the pooler benchmark needs a superuser login of a server on this machine") }
        let socket: String = try target.decode("socket")
        guard !socket.isEmpty else { throw BenchmarkFailure("the server listens on no Unix socket, which the pooler reaches it through") }
        let folder = NSTemporaryDirectory() + "postgate-pgbouncer-\(getpid())"
        let bouncer = PgBouncer(folder: folder, port: 20_000 + Int(getpid()) % 20_000)
        try await bouncer.start(
            socketFolder: socket, serverPort: try target.decode("port"), authUser: try target.decode("login"), poolSize: serverConnections,
            maxClients: clients + 50)
        do {
            let baseline = SinglePostingBenchmark(concurrency: [serverConnections], duration: duration)
            let direct = try await withScratchDatabase(server: server, sql: sql, suffix: "_direct") {
                try await baseline.postings($0, clients: serverConnections, customers: 1000, logger: logger)
            }
            logger.info("direct at \(serverConnections): \(direct.rate) postings/s")
            let watcher = ServerConnectionWatcher(server: server)
            let pooled = try await withScratchDatabase(server: server, sql: sql, suffix: "_pooled") { scratch in
                let name = scratch.parameters.last { $0.0 == "dbname" }?.1 ?? ""
                var through = scratch
                for (key, value) in [("host", "127.0.0.1"), ("port", String(bouncer.port))] { through = through.with(key, value) }
                let watching = Task { await watcher.watch(database: name) }
                defer { watching.cancel() }
                return try await baseline.postings(through, clients: clients, customers: 1000, logger: logger)
            }
            await bouncer.stop()
            try? FileManager.default.removeItem(atPath: folder)
            return Figures(
                cases: [
                    SinglePostingBenchmark.Case(
                        name: "R1 through PgBouncer (transaction)", concurrency: clients, postings: pooled.count, perSecond: pooled.rate,
                        baseline: direct.rate, baselineName: "R1 direct, \(serverConnections) connections", p50: pooled.p50, p95: pooled.p95,
                        p99: pooled.p99),
                    SinglePostingBenchmark.Case(
                        name: "R1 direct", concurrency: serverConnections, postings: direct.count, perSecond: direct.rate, baseline: direct.rate,
                        baselineName: "itself", p50: direct.p50, p95: direct.p95, p99: direct.p99),
                ], serverConnectionsSeen: await watcher.most)
        } catch {
            await bouncer.stop()
            throw error
        }
    }
}

/// Counts the server connections to a database now and then, keeping the most seen.
actor ServerConnectionWatcher {
    let server: ConnectionConfig
    private(set) var most = 0

    init(server: ConnectionConfig) { self.server = server }

    func watch(database: String) async {
        guard let connection = try? await PostgresConnection.connect(server) else { return }
        while !Task.isCancelled {
            if let count = try? await connection.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = \(database)")[0]
                .decode("n", as: Int.self)
            {
                most = max(most, count)
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        await connection.close()
    }
}

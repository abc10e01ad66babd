import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Postgate
import Postgres

/// R1 through the HTTP service: `postgate serve` started as a process of its own on the
/// loopback, C clients each posting one draft per request (`POST /postings`) with
/// AsyncHTTPClient, against R1 in process at the same C, measured in the same run on the same
/// fixture. Each side works in a scratch database of its own.
public struct HTTPPostingBenchmark: Sendable {
    public var concurrency: [Int]
    public var duration: Duration
    /// The `postgate` executable that serves (this one, when run by `postgate bench`).
    public var executable: String

    public init(concurrency: [Int] = [1, 8], duration: Duration = .seconds(10), executable: String) {
        self.concurrency = concurrency
        self.duration = duration
        self.executable = executable
    }

    public struct Case: Sendable {
        public var concurrency: Int
        public var http: SinglePostingBenchmark.Measured
        public var inProcess: SinglePostingBenchmark.Measured

        /// HTTP p99 over in-process p99 (goal: under 3 at C = 8).
        public var p99Ratio: Double { http.p99 / inProcess.p99 }
    }

    public struct Figures: Sendable {
        public var cases: [Case]

        public var table: String {
            var lines = [
                "R1 over HTTP (postgate serve on the loopback) against R1 in process",
                "     C  http/s  in-process/s  http p50 ms  p99 ms  in-process p50 ms  p99 ms  p99 ratio",
            ]
            for item in cases {
                lines.append(
                    String(
                        format: "%6d %7.0f %13.0f %12.1f %7.1f %18.1f %7.1f %10.2f", item.concurrency, item.http.rate, item.inProcess.rate,
                        item.http.p50 * 1000, item.http.p99 * 1000, item.inProcess.p50 * 1000, item.inProcess.p99 * 1000, item.p99Ratio))
            }
            lines.append("goal: p99 over HTTP at the highest C under 3x the in-process p99")
            return lines.joined(separator: "\n")
        }
    }

    public func run(server: ConnectionConfig, sql: String?, logger: Logger = .silent) async throws -> Figures {
        let single = SinglePostingBenchmark(concurrency: concurrency, duration: duration)
        var cases: [Case] = []
        for c in concurrency {
            let inProcess = try await withScratchDatabase(server: server, sql: sql) {
                try await single.postings($0, clients: c, customers: 1000, logger: logger)
            }
            let http = try await withScratchDatabase(server: server, sql: sql) { try await overHTTP($0, clients: c, logger: logger) }
            logger.info("C=\(c): \(Int(http.rate))/s over HTTP, \(Int(inProcess.rate))/s in process")
            cases.append(Case(concurrency: c, http: http, inProcess: inProcess))
        }
        return Figures(cases: cases)
    }

    func overHTTP(_ config: ConnectionConfig, clients: Int, logger: Logger) async throws -> SinglePostingBenchmark.Measured {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        let needed = max(2000, clients * 400 * Int(duration.components.seconds))
        try await pool.withConnection { try await PostingBenchmark.generateDrafts($0, invoices: needed, customers: 1000) }
        let ids = try await InvoiceStore(pool: pool).unposted(UnpostedFilter(), limit: needed).map(\.invoiceID)
        let token = try await TokenStore(pool: pool).add("bench", role: .poster)
        await pool.shutdown()

        let port = try freePort()
        let service = try Self.serve(
            executable: executable, port: port, arguments: ["--database", config.conninfo, "--connections", String(clients + 2)])
        defer {
            service.terminate()
            service.waitUntilExit()
        }
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: clients)))
        defer { _ = client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        try await Self.untilReady(client, base: base)

        return try await SinglePostingBenchmark.measure(ids, clients: clients, duration: duration, logger: logger) { id in
            var request = HTTPClientRequest(url: base + "/postings")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{\"invoice_ids\": [\(id)]}"))
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                throw BenchmarkFailure("POST /postings answered \(response.status.code): \(String(buffer: body).prefix(300))")
            }
        }
    }

    /// `postgate serve` started as a process on a loopback port, its output discarded.
    static func serve(executable: String, port: Int, arguments: [String]) throws -> Process {
        let service = Process()
        service.executableURL = URL(fileURLWithPath: executable)
        service.arguments = ["serve", "--port", String(port)] + arguments
        service.standardOutput = FileHandle.nullDevice
        service.standardError = FileHandle.nullDevice
        try service.run()
        return service
    }

    /// Waits until the service at `base` says it is ready (at most 20 seconds).
    static func untilReady(_ client: HTTPClient, base: String) async throws {
        for _ in 0..<200 {
            if let answer = try? await client.execute(HTTPClientRequest(url: base + "/ready"), timeout: .seconds(2)), answer.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkFailure("postgate serve did not become ready at \(base)")
    }

    /// A port of the loopback that nothing listens on now.
    func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchmarkFailure("cannot open a socket to find a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkFailure("cannot find a free port on the loopback") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Postgate
import Postgres

/// How long the operator console takes to render its pages with N unposted invoices: `postgate
/// serve` started as a process on the loopback, a signed-in session, each page fetched `runs`
/// times; one customer in ten is on hold, so a tenth of the drafts is blocked. The baseline, measured in the same run, is the API's JSON list of the same drafts
/// (`GET /invoices`), which reads them without evaluating the posting rules or rendering HTML.
public struct ConsoleBenchmark: Sendable {
    public var invoices: Int
    public var runs: Int
    /// The `postgate` executable that serves.
    public var executable: String

    public init(invoices: Int = 1_000, runs: Int = 15, executable: String) {
        self.invoices = invoices
        self.runs = runs
        self.executable = executable
    }

    public struct Page: Sendable {
        public var name: String
        public var median: Double
        public var slowest: Double
        public var bytes: Int
    }

    public struct Figures: Sendable {
        public var invoices: Int
        public var baseline: Page
        public var pages: [Page]
        /// The goal: no page over this many seconds with `invoices` unposted invoices.
        public static let goal = 0.3

        public var table: String {
            var lines = [
                "Operator console with \(invoices) unposted invoices (postgate serve on the loopback; \(baseline.name) is the baseline)",
                "  page                                            median ms  slowest ms      KiB  vs baseline  vs 300 ms goal",
            ]
            for page in [baseline] + pages {
                lines.append(
                    String(
                        format: "  %-46@ %10.1f %11.1f %8.0f %12.2f %15.2f", page.name.padding(toLength: 46, withPad: " ", startingAt: 0),
                        page.median * 1000,
                        page.slowest * 1000, Double(page.bytes) / 1024, page.median / baseline.median, page.median / Self.goal))
            }
            lines.append("goal: every page's median under 300 ms (ratio under 1)")
            return lines.joined(separator: "\n")
        }
    }

    public func run(on config: ConnectionConfig, logger: Logger = .silent) async throws -> Figures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        let customers = max(1, invoices / 10)
        try await pool.withConnection { try await PostingBenchmark.generateDrafts($0, invoices: invoices, customers: customers) }
        // One customer in ten on hold: a tenth of the drafts blocked, as the list and the preview show them.
        for customer in stride(from: 1, through: customers, by: 10) {
            let code = "C" + String(repeating: "0", count: max(0, 5 - String(customer).count)) + String(customer)
            try await pool.query("SELECT api.hold_customer(\(code))")
        }
        let drafts = try await InvoiceStore(pool: pool).unposted(UnpostedFilter(), limit: invoices)
        let token = try await TokenStore(pool: pool).add("console-bench", role: .poster)
        await pool.shutdown()
        guard let first = drafts.first else { throw BenchmarkFailure("no drafts were generated") }

        let port = try HTTPPostingBenchmark(executable: executable).freePort()
        let service = try HTTPPostingBenchmark.serve(executable: executable, port: port, arguments: ["--database", config.conninfo])
        defer {
            service.terminate()
            service.waitUntilExit()
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        try await HTTPPostingBenchmark.untilReady(client, base: base)

        // Sign in as a browser does: the form's CSRF token and its cookie, then the session cookie.
        var cookies: [String: String] = [:]
        func send(
            _ method: HTTPMethod, _ path: String, form: String? = nil, bearer: Bool = false
        ) async throws -> (status: Int, body: String, location: String?) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if bearer { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if !cookies.isEmpty { request.headers.add(name: "Cookie", value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
            if let form {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.headers.add(name: "Origin", value: base)
                request.body = .bytes(ByteBuffer(string: form))
            }
            let response = try await client.execute(request, timeout: .seconds(120))
            let body = String(buffer: try await response.body.collect(upTo: 256 << 20))
            for line in response.headers["Set-Cookie"] {
                let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                if pair.count == 2 { cookies[pair[0]] = pair[1] }
            }
            return (Int(response.status.code), body, response.headers.first(name: "Location"))
        }
        func csrf(_ html: String) throws -> String {
            guard let range = html.range(of: #"name="csrf" value="[^"]+""#, options: .regularExpression) else {
                throw BenchmarkFailure("the console's page carries no CSRF token")
            }
            return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
        let signIn = try await send(.GET, "/console/sign-in")
        let signedIn = try await send(.POST, "/console/sign-in", form: "csrf=\(try csrf(signIn.body))&token=\(token)")
        guard signedIn.status == 303 else { throw BenchmarkFailure("signing in to the console answered \(signedIn.status)") }
        let sessionCSRF = try csrf(try await send(.GET, "/console/invoices?per=25").body)
        let preview = try await send(.POST, "/console/preview", form: "csrf=\(sessionCSRF)&all=1")
        guard preview.status == 303, let previewPage = preview.location else {
            throw BenchmarkFailure("the console's preview answered \(preview.status): \(preview.body.prefix(300))")
        }

        func measure(_ name: String, _ path: String, bearer: Bool = false) async throws -> Page {
            var times: [Double] = []
            var bytes = 0
            for _ in 0..<(runs + 1) {
                var answer: (status: Int, body: String, location: String?) = (0, "", nil)
                let time = try await seconds { answer = try await send(.GET, path, bearer: bearer) }
                guard answer.status == 200 else { throw BenchmarkFailure("GET \(path) answered \(answer.status): \(answer.body.prefix(300))") }
                bytes = answer.body.utf8.count
                times.append(time)
            }
            times.removeFirst()  // the first warms the caches
            times.sort()
            logger.info("\(name): median \(times[times.count / 2] * 1000) ms")
            return Page(name: name, median: times[times.count / 2], slowest: times.last ?? 0, bytes: bytes)
        }
        var previewTimes: [Double] = []
        var latestPreview = previewPage
        for _ in 0..<(runs + 1) {
            var answer: (status: Int, body: String, location: String?) = (0, "", nil)
            let time = try await seconds { answer = try await send(.POST, "/console/preview", form: "csrf=\(sessionCSRF)&all=1") }
            guard answer.status == 303, let location = answer.location else {
                throw BenchmarkFailure("POST /console/preview answered \(answer.status)")
            }
            latestPreview = location  // a session keeps its last few previews
            previewTimes.append(time)
        }
        previewTimes.removeFirst()
        previewTimes.sort()
        let post = Page(
            name: "Post: preview all \(invoices) (POST, redirect)", median: previewTimes[previewTimes.count / 2], slowest: previewTimes.last ?? 0,
            bytes: 0)
        let baseline = try await measure("GET /invoices?limit=\(invoices) (JSON)", "/invoices?limit=\(invoices)", bearer: true)
        var pages = [
            try await measure("unposted invoices, \(min(invoices, 1000)) on one page", "/console/invoices?per=1000"),
            try await measure("unposted invoices, first 100", "/console/invoices"),
            try await measure("unposted invoices, blocked only", "/console/invoices?blocked=1&per=1000"),
            try await measure("preview page of all \(invoices)", latestPreview), post,
            try await measure("one invoice", "/console/invoices/\(first.invoiceID)"),
            try await measure("one customer", "/console/customers/\(first.customer)"),
        ]
        pages.sort { $0.median > $1.median }
        return Figures(invoices: invoices, baseline: baseline, pages: pages)
    }
}

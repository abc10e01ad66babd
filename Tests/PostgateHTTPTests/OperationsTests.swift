import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgate
import PostgateHTTP
import Testing

/// Log lines kept in memory, to read what the service wrote.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(message: String, metadata: Logger.Metadata)] = []

    var all: [(message: String, metadata: Logger.Metadata)] { lock.withLock { lines } }
    func append(_ message: String, _ metadata: Logger.Metadata) { lock.withLock { lines.append((message, metadata)) } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(lines: self) }
    }

    struct Handler: LogHandler {
        let lines: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.append("\(event.message)", metadata.merging(event.metadata ?? [:]) { $1 })
        }
    }
}

@Suite("Operating the service: metrics and the request log")
struct OperationsTests {
    @Test("/metrics counts requests by route template and status, refused postings by rule, and the pool's connections")
    func metrics() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                _ = try await client.send(.get, "/customers/ACME", tokens.reader)
                _ = try await client.send(.get, "/customers/NOPE", tokens.reader)
                var answer = try await client.send(
                    .post, "/invoices", tokens.clerk,
                    json: ["customer": "HOLD", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]]])
                let id = answer.object["invoice_id"] as? Int ?? 0
                answer = try await client.send(.post, "/postings", tokens.poster, json: ["invoice_ids": [id]])
                #expect(answer.status == 422)
                answer = try await client.send(.get, "/metrics", [:])
                #expect(answer.status == 200)
                let text = answer.text
                #expect(text.contains(#"postgate_http_requests_total{method="GET",route="/customers/{code}",status="200"}"#), "\(text.prefix(2000))")
                #expect(text.contains(#"postgate_http_requests_total{method="GET",route="/customers/{code}",status="404"}"#))
                #expect(text.contains(#"postgate_http_request_duration_seconds_bucket{method="POST",route="/postings""#))
                #expect(text.contains(#"postgate_posting_refusals_total{rule="on-hold"}"#))
                #expect(text.contains(#"postgate_pool_connections{state="in_use"}"#))
            }
        }
    }

    @Test("one log line per request names its request id, token, route and status")
    func requestLog() async throws {
        let lines = LogLines()
        try await withService(logger: lines.logger) { app, _, tokens in
            try await app.test(.router) { client in
                var headers = tokens.reader
                headers[HTTPField.Name("X-Request-Id")!] = "trace-42"
                _ = try await client.send(.get, "/customers/ACME", headers)
            }
        }
        let line = lines.all.first { $0.message == "request" && $0.metadata["request_id"] == "trace-42" }
        #expect(line?.metadata["token"] == "auditor")
        #expect(line?.metadata["route"] == "/customers/{code}")
        #expect(line?.metadata["status"]?.description == "200")
        #expect(line?.metadata["duration_ms"] != nil)
    }

    @Test("the SQL a request runs is logged with the request's id, whichever pooled connection runs it")
    func sqlLogCarriesRequestID() async throws {
        let lines = LogLines()
        var logger = lines.logger
        logger.logLevel = .debug
        try await withService(logger: logger) { app, _, tokens in
            try await app.test(.router) { client in
                var headers = tokens.reader
                headers[HTTPField.Name("X-Request-Id")!] = "trace-43"
                _ = try await client.send(.get, "/customers/ACME", headers)
            }
        }
        let statements = lines.all.filter { $0.message.contains(" ms  ") && $0.metadata["request_id"] == "trace-43" }
        #expect(statements.contains { $0.message.contains("api.") }, "\(lines.all.map(\.message).prefix(20))")
        #expect(statements.allSatisfy { $0.metadata["backend"] != nil })
    }
}

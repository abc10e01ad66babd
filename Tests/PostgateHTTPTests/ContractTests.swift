import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Postgate
import Postgres
import TestSupport
import Testing
import Yams

/// One answer of `postgate serve`, headers and all.
struct RawAnswer {
    var status: Int
    var headers: HTTPHeaders
    var text: String
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var list: [[String: Any]] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] ?? [] }
    var type: String? { (object["type"] as? String)?.components(separatedBy: "/").last }
    var field: String? { object["field"] as? String }
}

/// Bytes in chunks of 64 KiB, sent without a length (`Transfer-Encoding: chunked`).
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0

        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + (64 << 10), bytes.count)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}

extension HTTP {
    /// A request as a client writes it: any body bytes, any headers, chunked when asked.
    static func raw(
        _ method: String, _ url: String, token: String? = nil, headers: [(String, String)] = [], body: [UInt8]? = nil, chunked: Bool = false
    ) async throws -> RawAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = chunked ? .stream(Chunks(bytes: body), length: .unknown) : .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTP.client.execute(request, timeout: .seconds(60))
        let text = try await response.body.collect(upTo: 16 << 20)
        return RawAnswer(status: Int(response.status.code), headers: response.headers, text: String(buffer: text))
    }
}

/// What the README and `openapi.yaml` promise, tried against `postgate serve` as a process with
/// what clients really send.
@Suite("The contract of the service, from outside")
struct ContractTests {
    /// The service as a process on the test's database, with a poster's token; stopped after `body`.
    static func withProcess(_ offset: Int, _ body: (ServiceProcess, String, PostgresPool) async throws -> Void) async throws {
        try await withService { _, pool, _ in
            let token = try await TokenStore(pool: pool).add("contract", role: .poster)
            let service = try ServiceProcess(conninfo: try await ProcessTests().serviceLogin(pool), port: testPort(offset))
            #expect(try await service.ready())
            do {
                try await body(service, token, pool)
            } catch {
                _ = try? await service.stop()
                throw error
            }
            #expect(try await service.stop())
        }
    }

    @Test("a finished request's key is replayed to every copy sent at once, in four rounds; 409 only while the first runs")
    func replaysAtOnce() async throws {
        try await Self.withProcess(11) { service, token, pool in
            let payment = Array(#"{"customer": "ACME", "amount": "10"}"#.utf8)
            for round in 1...4 {
                let key = [("Idempotency-Key", "replay-\(round)"), ("Content-Type", "application/json")]
                let first = try await HTTP.raw("POST", service.base + "/payments", token: token, headers: key, body: payment)
                #expect(first.status == 201 && first.headers.first(name: "Idempotent-Replayed") == nil, "\(first.text)")
                let replies = try await withThrowingTaskGroup(of: RawAnswer.self) { group in
                    for _ in 0..<10 {
                        group.addTask { try await HTTP.raw("POST", service.base + "/payments", token: token, headers: key, body: payment) }
                    }
                    return try await group.reduce(into: [RawAnswer]()) { $0.append($1) }
                }
                #expect(replies.map(\.status) == Array(repeating: 201, count: 10), "round \(round): \(replies.map { "\($0.status) \($0.text)" })")
                #expect(replies.allSatisfy { $0.headers.first(name: "Idempotent-Replayed") == "true" && $0.text == first.text })
            }
            let payments = try await pool.query("SELECT count(*) FROM ar.payments")[0].decode(0, as: Int.self)
            #expect(payments == 4, "one payment a key")
            // While the first request with a key runs, a copy is 409 with Retry-After. The key's
            // lock is held here as a running request holds it.
            let key = [("Idempotency-Key", "held"), ("Content-Type", "application/json")]
            let scope = "contract"
            try await pool.withTransaction { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(scope) || chr(31) || 'held', 7))")
                let copy = try await HTTP.raw("POST", service.base + "/payments", token: token, headers: key, body: payment)
                #expect(copy.status == 409 && copy.type == "in-progress" && copy.headers.first(name: "Retry-After") == "1", "\(copy.text)")
            }
            let first = try await HTTP.raw("POST", service.base + "/payments", token: token, headers: key, body: payment)
            #expect(first.status == 201 && first.headers.first(name: "Idempotent-Replayed") == nil, "the key was never spent: \(first.text)")
        }
    }

    @Test("bodies over the limit are 413 problem+json with X-Request-Id however they are framed; a chunked body within it is taken")
    func bodyLimits() async throws {
        try await Self.withProcess(12) { service, token, pool in
            let json = [("Content-Type", "application/json")]
            func padded(_ size: Int) -> [UInt8] {
                let head = Array(#"{"customer": "ACME", "location": "MAIN", "reference": "pad", "notes": ""#.utf8)
                let tail = Array(#""}"#.utf8)
                return head + Array(repeating: UInt8(ascii: "x"), count: max(0, size - head.count - tail.count)) + tail
            }
            for size in [1_100_000, 2 << 20, 8 << 20] {
                for chunked in [true, false] {
                    let answer = try await HTTP.raw(
                        "POST", service.base + "/invoices", token: token, headers: json + [("X-Request-Id", "big-\(size)-\(chunked)")],
                        body: padded(size), chunked: chunked)
                    #expect(answer.status == 413, "\(size) bytes, chunked \(chunked): \(answer.status) \(answer.text.prefix(300))")
                    #expect(answer.headers.first(name: "Content-Type") == "application/problem+json")
                    #expect(answer.type == "too-large", "\(answer.text.prefix(300))")
                    #expect(answer.headers.first(name: "X-Request-Id") == "big-\(size)-\(chunked)")
                }
            }
            // The same with an Idempotency-Key, which reads the body itself.
            let keyed = try await HTTP.raw(
                "POST", service.base + "/invoices", token: token, headers: json + [("Idempotency-Key", "big")], body: padded(2 << 20), chunked: true)
            #expect(keyed.status == 413 && keyed.type == "too-large" && keyed.headers.first(name: "X-Request-Id") != nil, "\(keyed.text)")
            let small = try await HTTP.raw(
                "POST", service.base + "/invoices", token: token, headers: json,
                body: Array(#"{"customer": "ACME", "location": "MAIN", "lines": [{"product": "CABLE", "quantity": "1"}]}"#.utf8), chunked: true)
            #expect(small.status == 201 && small.headers.first(name: "X-Request-Id") != nil, "\(small.text)")
            let drafts = try await pool.query("SELECT count(*) FROM ar.invoices")[0].decode(0, as: Int.self)
            #expect(drafts == 1, "nothing over the limit was saved")
        }
    }

    @Test("a stale preview is refused at once with 412 naming what changed, and starts nothing; drafts another caller posted count as posted")
    func stalePreviews() async throws {
        try await Self.withProcess(13) { service, token, pool in
            func draft(_ reference: String) async throws -> Int {
                let answer = try await HTTP.send(
                    "POST", service.base + "/invoices", token: token,
                    json: ["customer": "ACME", "location": "MAIN", "reference": reference, "lines": [["product": "CABLE", "quantity": "1"]]])
                return answer.object["invoice_id"] as? Int ?? 0
            }
            func preview() async throws -> String {
                let answer = try await HTTP.send("POST", service.base + "/posting-previews", token: token, json: ["customer": "ACME"])
                #expect(answer.object["can_post"] as? Bool == true, "\(answer.text)")
                return answer.object["token"] as? String ?? ""
            }
            let first = try await draft("h3b")
            let second = try await draft("h3b")

            var stale = try await preview()
            var answer = try await HTTP.send(
                "POST", service.base + "/invoices/\(second)/lines", token: token, json: ["lines": [["product": "CABLE", "quantity": "2"]]])
            #expect(answer.status == 201, "\(answer.text)")
            var run = try await HTTP.raw(
                "POST", service.base + "/posting-runs", token: token, headers: [("Content-Type", "application/json")],
                body: Array(#"{"token": "\#(stale)"}"#.utf8))
            #expect(run.status == 412 && run.type == "preview-outdated", "\(run.text)")
            #expect((run.object["detail"] as? String)?.contains("draft \(second) (h3b) was edited") == true, "\(run.text)")
            #expect(try await HTTP.send("GET", service.base + "/posting-runs/\(stale)", token: token).status == 404, "nothing was started")

            stale = try await preview()
            _ = try await HTTP.send("POST", service.base + "/customers/ACME/hold", token: token, json: ["sales_invoice": true])
            run = try await HTTP.raw(
                "POST", service.base + "/posting-runs", token: token, headers: [("Content-Type", "application/json")],
                body: Array(#"{"token": "\#(stale)"}"#.utf8))
            #expect(run.status == 412, "\(run.text)")
            #expect(
                (run.object["detail"] as? String)?.contains(
                    "customer ACME was put on hold for invoices after the preview (drafts draft \(first) (h3b), draft \(second) (h3b))") == true,
                "\(run.text)")
            #expect(try await HTTP.send("GET", service.base + "/posting-runs/\(stale)", token: token).status == 404)

            // Posting them one by one now names each draft apart.
            answer = try await HTTP.send("POST", service.base + "/postings", token: token, json: ["invoice_ids": [first, second]])
            #expect(answer.status == 422, "\(answer.text)")
            let blocked = (answer.object["findings"] as? [[String: Any]] ?? []).map { $0["invoice"] as? String }
            #expect(blocked == ["draft \(first) (h3b)", "draft \(second) (h3b)"], "\(answer.text)")
            _ = try await HTTP.send("POST", service.base + "/customers/ACME/release", token: token)

            // Another caller posts one of the preview's drafts: the run counts it as posted already.
            let third = try await draft("")
            let fresh = try await preview()
            answer = try await HTTP.send("POST", service.base + "/postings", token: token, json: ["invoice_ids": [second]])
            #expect(answer.status == 200, "\(answer.text)")
            let number = (answer.object["posted"] as? [[String: Any]])?.first?["number"] as? Int ?? 0
            answer = try await HTTP.send("POST", service.base + "/postings", token: token, json: ["invoice_ids": [second]])
            #expect(
                answer.status == 423
                    && (answer.object["detail"] as? String)?.contains("draft \(second) is posted already, as invoice \(number)") == true,
                "\(answer.text)")
            run = try await HTTP.raw(
                "POST", service.base + "/posting-runs", token: token, headers: [("Content-Type", "application/json")],
                body: Array(#"{"token": "\#(fresh)"}"#.utf8))
            #expect(run.status == 202, "\(run.text)")
            var state: [String: Any] = [:]
            for _ in 0..<100 where state["status"] as? String ?? "running" == "running" {
                try await Task.sleep(for: .milliseconds(100))
                state = try await HTTP.send("GET", service.base + "/posting-runs/\(fresh)", token: token).object
            }
            #expect(state["status"] as? String == "finished" && state["posted"] as? Int == 2 && state["already_posted"] as? Int == 1, "\(state)")
            let posted = try await pool.query("SELECT count(*) FROM ar.invoices WHERE status = 'posted'")[0].decode(0, as: Int.self)
            #expect(posted == 3 && third > 0)
        }
    }

    @Test("JSON is RFC 8259: not JSON is 400, any number is JSON, a NUL is refused naming its field; + in a query is a space; %00 is refused")
    func jsonAndQueries() async throws {
        try await Self.withProcess(14) { service, token, _ in
            let json = [("Content-Type", "application/json")]
            func post(_ path: String, _ text: String) async throws -> RawAnswer {
                try await HTTP.raw("POST", service.base + path, token: token, headers: json, body: Array(text.utf8))
            }
            for broken in [
                #"{"invoice_ids":[1,]}"#, #"{"invoice_ids":[1],}"#, #"{"invoice_ids":[01]}"#, #"{'invoice_ids':[1]}"#, #"{"invoice_ids":[1]} x"#,
            ] {
                let answer = try await post("/postings", broken)
                #expect(answer.status == 400 && answer.field == nil, "\(broken): \(answer.text)")
                #expect((answer.object["detail"] as? String)?.contains("JSON (RFC 8259)") == true, "\(answer.text)")
            }
            for number in ["1e128", "1e-129", "-1E+400", "123456789012345678901234567890123456789012345678901234567890"] {
                let answer = try await post(
                    "/customers",
                    #"{"code": "N\#(number.count)\#(number.prefix(2))", "name": "Numbers", "price_list": "SALES", "payment_terms": "NET30", "extra": \#(number)}"#
                )
                #expect(answer.status == 201, "an unknown field holding \(number): \(answer.text)")
            }
            var answer = try await post("/postings", #"{"invoice_ids": [1e128]}"#)
            #expect(answer.status == 400 && answer.field == "invoice_ids[1]", "\(answer.text)")
            answer = try await post("/customers", #"{"code": "NUL", "name": "a\u0000b", "price_list": "SALES", "payment_terms": "NET30"}"#)
            #expect(answer.status == 400 && answer.field == "name", "\(answer.text)")
            answer = try await post("/customers", #"{"code": "SUR", "name": "\ud800", "price_list": "SALES", "payment_terms": "NET30"}"#)
            #expect(answer.status == 400, "an unpaired surrogate is no text: \(answer.text)")

            let spaced = try await HTTP.raw("GET", service.base + "/serials?status=in%20stock", token: token)
            let plus = try await HTTP.raw("GET", service.base + "/serials?status=in+stock", token: token)
            #expect(spaced.status == 200 && plus.status == 200 && plus.text == spaced.text && spaced.list.count == 1, "\(plus.text)")
            answer = try await HTTP.raw("GET", service.base + "/serials?search=%00", token: token)
            #expect(answer.status == 400 && answer.field == "search", "\(answer.text)")
        }
    }

    @Test("codes with /, <, >, %, ? and spaces have their pages; JSON sent to the CSV upload is 415")
    func codesAndContentTypes() async throws {
        try await Self.withProcess(15) { service, token, _ in
            let codes = ["A/B", "<b>x</b>", "50% off", "what?", "..", "a+b"]
            for code in codes {
                let created = try await HTTP.send(
                    "POST", service.base + "/customers", token: token,
                    json: ["code": code, "name": "Odd", "price_list": "SALES", "payment_terms": "NET30"])
                #expect(created.status == 201, "\(code): \(created.text)")
                let segment = code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code
                let read = try await HTTP.raw("GET", service.base + "/customers/" + segment, token: token)
                #expect(read.status == 200 && read.object["code"] as? String == code, "\(code): \(read.text)")
            }
            let upload = try await HTTP.raw(
                "POST", service.base + "/adjustment-imports", token: token, headers: [("Content-Type", "application/json")], body: Array("{}".utf8))
            #expect(upload.status == 415 && upload.type == "unsupported-media-type", "\(upload.text)")
            #expect((upload.object["detail"] as? String)?.contains("text/csv") == true)
        }
    }

    @Test("openapi.yaml declares the Idempotency-Key of every POST, X-Request-Id and Idempotent-Replayed on answers, and each operation's 4xx")
    func specificationTellsAll() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PostgateHTTP/openapi.yaml")
        let document = try #require(try Yams.load(yaml: String(contentsOf: path, encoding: .utf8)) as? [String: Any])
        let open: Set<String> = ["getHealth", "getReady", "getSpecification", "getDocumentation", "getMetrics"]
        var operations = 0
        for case (_, let item as [String: Any]) in document["paths"] as? [String: Any] ?? [:] {
            for case (let method, let operation as [String: Any]) in item {
                let id = operation["operationId"] as? String ?? "?"
                guard !open.contains(id) else { continue }
                operations += 1
                let responses = operation["responses"] as? [String: Any] ?? [:]
                let parameters = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { $0["$ref"] as? String }
                #expect((method == "post") == parameters.contains("#/components/parameters/IdempotencyKey"), "\(id): Idempotency-Key on POSTs")
                for (status, response) in responses where status.hasPrefix("2") {
                    let headers = (response as? [String: Any])?["headers"] as? [String: Any] ?? [:]
                    #expect(headers["X-Request-Id"] != nil, "\(id) \(status): X-Request-Id")
                    #expect((method == "post") == (headers["Idempotent-Replayed"] != nil), "\(id) \(status): Idempotent-Replayed")
                }
                var expected: Set<String> = ["401", "403", "503"]
                if operation["requestBody"] != nil { expected.formUnion(["400", "413", "415"]) }
                if method != "get" { expected.insert("422") }
                if method == "post" { expected.insert("409") }
                if id == "startPostingRun" { expected.insert("412") }
                if ["postInvoices", "postCreditNote", "deleteDraftInvoice", "postAndPay"].contains(id) { expected.insert("423") }
                #expect(expected.isSubset(of: Set(responses.keys)), "\(id) declares \(expected.subtracting(responses.keys).sorted())")
            }
        }
        #expect(operations > 70)
        let shared = (document["components"] as? [String: Any])?["responses"] as? [String: Any] ?? [:]
        for name in ["Unavailable", "Conflict", "Problem"] {
            let headers = (shared[name] as? [String: Any])?["headers"] as? [String: Any] ?? [:]
            #expect(headers["Retry-After"] != nil && headers["X-Request-Id"] != nil, "\(name) says when to try again")
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// `postgate serve` as a process, as deployed: connected as a login of postgate_service, on a
/// port of the loopback, driven by a real HTTP client.
final class ServiceProcess: Sendable {
    let process: Process
    let port: Int

    /// Where its standard error (its log) goes.
    let logFile: String

    init(conninfo: String, port: Int, options: [String] = []) throws {
        self.port = port
        logFile = NSTemporaryDirectory() + "postgate-serve-\(getpid())-\(port).log"
        FileManager.default.createFile(atPath: logFile, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: postgateExecutable)
        process.arguments = ["serve", "--port", String(port), "--database", conninfo] + options
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: logFile)
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: logFile) }

    /// What it has logged so far.
    var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Waits until `/ready` answers 200.
    func ready() async throws -> Bool {
        for _ in 0..<150 {
            if let answer = try? await HTTP.send("GET", base + "/ready"), answer.status == 200 { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// SIGTERM, then waits for the process to end; whether it did.
    func stop() async throws -> Bool {
        if process.isRunning { process.terminate() }
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }
}

/// Requests with AsyncHTTPClient, up to 100 at once to one host (its default is 8).
enum HTTP {
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 100)))

    struct Answer {
        var status: Int
        var text: String
        var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    }

    static func send(_ method: String, _ url: String, token: String? = nil, json: Any? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await HTTP.client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), text: String(buffer: body))
    }
}

/// A free-looking port for this run and purpose; each test that listens has an offset of its own
/// (ProcessTests 1-8 and 16, ReadmeTests 9-10, ContractTests 11-15).
func testPort(_ offset: Int) -> Int { 20_000 + (Int(getpid()) * 7 + offset) % 20_000 }

@Suite("postgate serve as processes, over loopback")
struct ProcessTests {
    /// A login of postgate_service for the test's database, as `postgate logins add` makes one.
    func serviceLogin(_ pool: PostgresPool) async throws -> String {
        let name = "svc_" + UUID().uuidString.prefix(8).lowercased()
        let ddl = try await pool.query("SELECT format('CREATE ROLE %I LOGIN IN ROLE postgate_service', \(name)::text)")[0].decode(0, as: String.self)
        try await pool.withConnection { try await $0.execute(unsafeSQL: ddl) }
        return pool.config.with("user", name).conninfo
    }

    @Test("one process answers over loopback as a service login, and stops on SIGTERM")
    func oneProcess() async throws {
        try await withService { _, pool, _ in
            let token = try await TokenStore(pool: pool).add("process", role: .reader)
            let service = try ServiceProcess(conninfo: try await serviceLogin(pool), port: testPort(1))
            #expect(try await service.ready())
            let answer = try await HTTP.send("GET", service.base + "/customers/ACME", token: token)
            #expect(answer.status == 200)
            #expect(answer.object["code"] as? String == "ACME")
            #expect(try await HTTP.send("GET", service.base + "/customers/ACME").status == 401)
            #expect(try await service.stop(), "SIGTERM stops the service")
            // One line per request on standard error, with its fields.
            let line = service.log.split(separator: "\n").first {
                $0.hasPrefix("request ") && $0.contains(" path=/customers/ACME") && $0.contains(" status=200")
            }
            #expect(line?.contains(" route=/customers/{code}") == true, "\(service.log)")
            #expect(line?.contains(" token=process") == true)
            #expect(line?.contains(" duration_ms=") == true)
            // --log-format json: one object per line, the same fields, for log collectors.
            let json = try ServiceProcess(conninfo: try await serviceLogin(pool), port: testPort(16), options: ["--log-format", "json"])
            #expect(try await json.ready())
            #expect(try await HTTP.send("GET", json.base + "/customers/ACME", token: token).status == 200)
            #expect(try await json.stop())
            let objects = json.log.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: String]
            }
            let request = objects.first { $0["message"] == "request" && $0["path"] == "/customers/ACME" }
            #expect(request?["route"] == "/customers/{code}" && request?["token"] == "process" && request?["status"] == "200", "\(json.log)")
            #expect(request?["request_id"] != nil && request?["duration_ms"] != nil && request?["time"] != nil && request?["level"] == "info")
        }
    }

    @Test(
        "two processes on one database: posting the same customer through both at once never overshoots its limit or posts twice; numbers stay gapless; a run started on one is read on the other"
    )
    func twoProcesses() async throws {
        try await withService { _, pool, _ in
            let token = try await TokenStore(pool: pool).add("two", role: .poster)
            let conninfo = try await serviceLogin(pool)
            let first = try ServiceProcess(conninfo: conninfo, port: testPort(2))
            let second = try ServiceProcess(conninfo: conninfo, port: testPort(3))
            #expect(try await first.ready())
            #expect(try await second.ready())
            let bases = [first.base, second.base]

            // 30 drafts of 242.00 for a customer whose limit is 5000, which blocks: at most 20 fit.
            try await pool.query("SELECT api.set_setting('credit_mode', '\"block\"'::jsonb)")
            var ids: [Int] = []
            for index in 0..<30 {
                let answer = try await HTTP.send(
                    "POST", bases[index % 2] + "/invoices", token: token,
                    json: ["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1", "unit_price": "200"]]])
                #expect(answer.status == 201)
                ids.append(answer.object["invoice_id"] as? Int ?? 0)
            }
            // Each draft is posted through both processes at once.
            let statuses = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for (index, id) in ids.enumerated() {
                    for base in bases {
                        group.addTask {
                            // As a client should: a 503 (busy) is tried again after its Retry-After.
                            var answer = try await HTTP.send("POST", base + "/postings", token: token, json: ["invoice_ids": [id]])
                            for _ in 0..<5 where answer.status == 503 {
                                try await Task.sleep(for: .seconds(2))
                                answer = try await HTTP.send("POST", base + "/postings", token: token, json: ["invoice_ids": [id]])
                            }
                            return (index, answer.status)
                        }
                    }
                }
                return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { [200, 422, 423].contains($0.1) }, "\(statuses.filter { ![200, 422, 423].contains($0.1) })")
            let posted = statuses.filter { $0.1 == 200 }.map(\.0)
            #expect(Set(posted).count == posted.count, "no draft was posted twice")
            let numbers = try await pool.query("SELECT number FROM ar.invoices WHERE number IS NOT NULL ORDER BY number").map {
                try $0.decode(0, as: Int64.self)
            }
            #expect(numbers == Array(1...Int64(numbers.count)), "numbers are gapless")
            let books = try await PostgresConnection.connect(pool.config)
            let problems = try await bookProblems(books)
            await books.close()
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            #expect(numbers.count == posted.count)
            let balance = try await pool.query("SELECT balance FROM report.customer_balances WHERE code = 'ACME'")[0].decode(0, as: Decimal.self)
            #expect(balance <= 5000, "the credit limit holds across processes")
            #expect(balance == Decimal(posted.count) * Decimal(string: "242")!)
            #expect(posted.count == 20, "every draft that fits was posted: \(statuses.map(\.1).sorted())")

            // A run started on one process is followed on the other.
            for _ in 0..<3 {
                _ = try await HTTP.send(
                    "POST", first.base + "/invoices", token: token,
                    json: ["customer": "HOLD", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]]])
            }
            _ = try await HTTP.send("POST", first.base + "/customers/HOLD/release", token: token)
            let preview = try await HTTP.send("POST", first.base + "/posting-previews", token: token, json: ["customer": "HOLD"])
            let runToken = preview.object["token"] as? String ?? ""
            let started = try await HTTP.send("POST", first.base + "/posting-runs", token: token, json: ["token": runToken])
            #expect(started.status == 202)
            var run: [String: Any] = [:]
            for _ in 0..<100 where run["status"] as? String ?? "running" == "running" {
                try await Task.sleep(for: .milliseconds(100))
                run = try await HTTP.send("GET", second.base + "/posting-runs/\(runToken)", token: token).object
            }
            #expect(run["status"] as? String == "finished", "\(run) \(preview.text)")
            #expect(run["posted"] as? Int == 3)

            // One Idempotency-Key sent twenty times at once through both processes: one draft.
            let before = try await pool.query("SELECT count(*) FROM ar.invoices")[0].decode(0, as: Int.self)
            let replies = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        var request = HTTPClientRequest(url: bases[index % 2] + "/invoices")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Idempotency-Key", value: "one-draft")
                        request.body = .bytes(
                            ByteBuffer(string: #"{"customer": "ACME", "location": "MAIN", "lines": [{"product": "CABLE", "quantity": "1"}]}"#))
                        let response = try await HTTP.client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return (Int(response.status.code), response.headers.first(name: "Idempotent-Replayed") == "true")
                    }
                }
                return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
            }
            #expect(replies.filter { $0 == (201, false) }.count == 1, "\(replies)")
            #expect(replies.allSatisfy { $0 == (201, false) || $0 == (201, true) || $0.0 == 409 }, "\(replies)")
            let after = try await pool.query("SELECT count(*) FROM ar.invoices")[0].decode(0, as: Int.self)
            #expect(after == before + 1)
            #expect(try await first.stop())
            #expect(try await second.stop())
        }
    }
}

extension ProcessTests {
    /// Drafts for ACME made in SQL, one cable each; their ids.
    func drafts(_ count: Int, _ pool: PostgresPool) async throws -> [Int64] {
        try await pool.query(
            """
            SELECT (api.create_invoice('{"customer": "ACME", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id
            FROM generate_series(1, \(count))
            """
        ).map { try $0.decode("id", as: Int64.self) }
    }

    @Test(
        "SIGTERM stops a posting run after its current chunk, recorded as stopped; a run whose process died is held until its lease ends, then taken over; both resume where they were"
    )
    func stopAndResume() async throws {
        try await withService { _, pool, _ in
            let token = try await TokenStore(pool: pool).add("runner", role: .poster)
            let conninfo = try await serviceLogin(pool)
            let ids = try await drafts(400, pool)
            for id in ids {
                _ = try await pool.query("SELECT api.add_invoice_line(\(id), '{\"product\": \"CABLE\", \"quantity\": 0.25}')")
            }
            var service = try ServiceProcess(conninfo: conninfo, port: testPort(4))
            #expect(try await service.ready())
            let preview = try await HTTP.send("POST", service.base + "/posting-previews", token: token, json: ["invoice_ids": ids.map(Int.init)])
            #expect(preview.object["can_post"] as? Bool == true, "\(preview.text.prefix(500))")
            let run = preview.object["token"] as? String ?? ""
            let started = try await HTTP.send("POST", service.base + "/posting-runs", token: token, json: ["token": run, "chunk_size": 1])
            #expect(started.status == 202)
            for _ in 0..<200 where try await HTTP.Answer.run(run, pool).posted < 5 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(try await service.stop())
            var state = try await HTTP.Answer.run(run, pool)
            #expect(state.status == "stopped", "\(state)")
            #expect(state.reason?.contains("service was stopped") == true, "\(state)")
            let postedAtStop = try await pool.query("SELECT count(*) FROM ar.invoices WHERE number IS NOT NULL")[0].decode(0, as: Int.self)
            #expect(postedAtStop > 0 && postedAtStop < 400, "the run was stopped part of the way")
            #expect(state.posted == postedAtStop, "what is recorded is what was posted: whole chunks")

            // Started again on a new process, it posts the rest; killed (no chance to record), the
            // run stays held until its lease ends, and starting it again then takes it over.
            service = try ServiceProcess(conninfo: conninfo, port: testPort(5), options: ["--run-lease-seconds", "3"])
            #expect(try await service.ready())
            let again = try await HTTP.send("POST", service.base + "/posting-runs", token: token, json: ["token": run, "chunk_size": 1])
            #expect(again.status == 202)
            for _ in 0..<200 where try await HTTP.Answer.run(run, pool).posted < 5 { try await Task.sleep(for: .milliseconds(50)) }
            let twice = try await HTTP.send("POST", service.base + "/posting-runs", token: token, json: ["token": run, "chunk_size": 50])
            #expect(twice.status == 409, "its runner's lease holds the run: \(twice.text)")
            #expect(twice.text.contains("lease ends"), "\(twice.text)")
            kill(service.process.processIdentifier, SIGKILL)
            for _ in 0..<100 where service.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
            state = try await HTTP.Answer.run(run, pool)
            service = try ServiceProcess(conninfo: conninfo, port: testPort(6))
            #expect(try await service.ready())
            // Until the dead runner's lease ends, the run is still held (409); then it is taken over.
            var resumed = try await HTTP.send("POST", service.base + "/posting-runs", token: token, json: ["token": run, "chunk_size": 50])
            for _ in 0..<150 where resumed.status == 409 {
                try await Task.sleep(for: .milliseconds(200))
                resumed = try await HTTP.send("POST", service.base + "/posting-runs", token: token, json: ["token": run, "chunk_size": 50])
            }
            #expect(resumed.status == 202, "taken over once the lease ended: \(resumed.text)")
            for _ in 0..<200 {
                state = try await HTTP.Answer.run(run, pool)
                if state.status != "running" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state.status == "finished", "\(state)")
            let numbers = try await pool.query("SELECT number FROM ar.invoices WHERE number IS NOT NULL ORDER BY number").map {
                try $0.decode(0, as: Int64.self)
            }
            #expect(numbers == Array(1...400), "every draft posted once, numbers gapless")
            let connection = try await PostgresConnection.connect(pool.config)
            let problems = try await bookProblems(connection)
            await connection.close()
            #expect(problems.isEmpty, "after a stop and a kill, the books agree: \(problems.prefix(10))")
            #expect(try await service.stop())
        }
    }
}

extension HTTP.Answer {
    struct Run: CustomStringConvertible {
        var status: String
        var posted: Int
        var reason: String?
        var description: String { "\(status) posted \(posted): \(reason ?? "")" }
    }

    /// A run as the database records it.
    static func run(_ token: String, _ pool: PostgresPool) async throws -> Run {
        let row = try await pool.query("SELECT status, posted, stopped_because FROM api.posting_run(\(UUID(uuidString: token)!))")[0]
        return Run(status: try row.decode("status"), posted: try row.decode("posted"), reason: try row.decode("stopped_because"))
    }
}

extension ProcessTests {
    @Test("lock pile-up: while a customer's row is held, its postings are refused as busy within the lock timeout; other customers' go on")
    func lockPileUp() async throws {
        try await withService { _, pool, _ in
            let token = try await TokenStore(pool: pool).add("piler", role: .poster)
            try await pool.query("SELECT api.release_customer('HOLD')")
            let piled = faultSize("PILEUP_POSTINGS", 40)
            let service = try ServiceProcess(
                conninfo: try await serviceLogin(pool), port: testPort(7), options: ["--lock-timeout", "1", "--connections", String(piled + 20)])
            #expect(try await service.ready())
            var acme: [Int64] = []
            var other: [Int64] = []
            for _ in 0..<piled {
                acme.append(
                    try await pool.query(
                        "SELECT (api.create_invoice('{\"customer\": \"ACME\", \"location\": \"MAIN\"}') ->> 'invoice_id')::bigint")[0].decode(
                            0, as: Int64.self))
            }
            for _ in 0..<10 {
                other.append(
                    try await pool.query(
                        "SELECT (api.create_invoice('{\"customer\": \"HOLD\", \"location\": \"MAIN\"}') ->> 'invoice_id')::bigint")[0].decode(
                            0, as: Int64.self))
            }
            for id in acme + other {
                _ = try await pool.query("SELECT api.add_invoice_line(\(id), '{\"product\": \"CABLE\", \"quantity\": 1}')")
            }
            // Another session holds ACME's row for longer than the lock timeout.
            let holder = try await PostgresConnection.connect(pool.config)
            try await holder.execute(unsafeSQL: "BEGIN; SELECT 1 FROM ar.customers WHERE code = 'ACME' FOR UPDATE")
            // Every request answers while the row is still held: the held customer's as busy (503,
            // retryable) once the lock timeout passes, the other customer's posted.
            // The other customer's drafts go one after another (at once, they would queue for the
            // cable's stock row among themselves, which is not the fault tested here).
            let (heldIDs, freeIDs) = (acme, other)
            let results = try await withThrowingTaskGroup(of: [(String, Int, Duration)].self) { group in
                let post = { @Sendable (customer: String, id: Int64) async throws -> (String, Int, Duration) in
                    let began = ContinuousClock.now
                    let answer = try await HTTP.send("POST", service.base + "/postings", token: token, json: ["invoice_ids": [id]])
                    return (customer, answer.status, ContinuousClock.now - began)
                }
                for id in heldIDs { group.addTask { [try await post("ACME", id)] } }
                group.addTask {
                    var answers: [(String, Int, Duration)] = []
                    for id in freeIDs { answers.append(try await post("HOLD", id)) }
                    return answers
                }
                return try await group.reduce(into: [(String, Int, Duration)]()) { $0 += $1 }
            }
            try await holder.execute(unsafeSQL: "ROLLBACK")
            await holder.close()
            let held = results.filter { $0.0 == "ACME" }
            let free = results.filter { $0.0 == "HOLD" }
            print(
                "Lock pile-up: \(held.count) postings for the held customer refused, slowest in \(held.map(\.2).max()!); "
                    + "\(free.count) for another posted, slowest in \(free.map(\.2).max()!)")
            #expect(held.allSatisfy { $0.1 == 503 }, "\(held.map(\.1))")
            #expect(free.allSatisfy { $0.1 == 200 }, "\(free.map(\.1))")
            let answer = try await HTTP.send("POST", service.base + "/postings", token: token, json: ["invoice_ids": [acme[0]]])
            #expect(answer.status == 200, "once the row is free, the posting goes through")
            #expect(try await service.stop())
        }
    }
}

/// A fault that takes the whole server down cannot share the tests' server: this one has its own.
@Suite("The database restarted under load")
struct DatabaseRestartTests {
    @Test(
        "PostgreSQL stopped as by a crash under load: the service answers 503 while it is down, recovers by itself, and loses no acknowledged posting"
    )
    func restartUnderLoad() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString)").path
        let cluster = LocalCluster(root: root)
        defer {
            cluster.signalStop()
            try? FileManager.default.removeItem(atPath: root)
        }
        for command in [["db", "start"], ["migrate"], ["demo"]] {
            let result = try await Program.run([postgateExecutable] + command + ["--data", root])
            try #require(result.status == 0, "\(command): \(result.error)")
        }
        let token = try await Program.run([postgateExecutable, "tokens", "add", "restart", "--role", "poster", "--data", root]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let port = testPort(8)
        let service = Process()
        service.executableURL = URL(fileURLWithPath: postgateExecutable)
        service.arguments = ["serve", "--port", String(port), "--data", root]
        service.standardOutput = FileHandle.nullDevice
        service.standardError = FileHandle.nullDevice
        try service.run()
        defer { if service.isRunning { service.terminate() } }
        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<150 where !ready {
            ready = (try? await HTTP.send("GET", base + "/ready"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready)
        let receipt = try await HTTP.send(
            "POST", base + "/stock/receipts", token: token,
            json: ["location": "DEMO-MAIN", "lines": [["product": "DEMO-CABLE", "quantity": "100000"]]])
        try #require(receipt.status == 201, "\(receipt.text)")

        /// One draft posted: its id when the posting was acknowledged, and every status seen.
        let once = { @Sendable () async -> (Int?, [Int]) in
            guard
                let draft = try? await HTTP.send(
                    "POST", base + "/invoices", token: token,
                    json: ["customer": "DEMO-ACME", "location": "DEMO-MAIN", "lines": [["product": "DEMO-CABLE", "quantity": "1"]]])
            else { return (nil, [0]) }
            guard draft.status == 201, let id = draft.object["invoice_id"] as? Int else { return (nil, [draft.status]) }
            guard let posted = try? await HTTP.send("POST", base + "/postings", token: token, json: ["invoice_ids": [id]]) else {
                return (nil, [201, 0])
            }
            return (posted.status == 200 ? id : nil, [201, posted.status])
        }
        var acknowledged: [Int] = []
        var statuses: [Int] = []
        func load(for duration: Duration) async {
            let end = ContinuousClock.now + duration
            while ContinuousClock.now < end {
                let (id, seen) = await once()
                if let id { acknowledged.append(id) }
                statuses += seen
            }
        }
        await load(for: .seconds(1))
        let before = acknowledged.count
        try await cluster.stop(immediately: true)
        statuses = []
        await load(for: .seconds(2))
        let whileDown = statuses
        #expect(whileDown.contains(503), "the service says it is unavailable: \(Set(whileDown))")
        #expect(whileDown.allSatisfy { $0 == 503 }, "and nothing else: \(Set(whileDown))")
        #expect((try await HTTP.send("GET", base + "/ready")).status == 503)
        try await cluster.start()
        let restarted = ContinuousClock.now
        statuses = []
        var recovered = false
        for _ in 0..<100 where !recovered {
            let (id, seen) = await once()
            if let id { acknowledged.append(id) }
            recovered = id != nil
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            statuses += seen
        }
        #expect(recovered, "the service recovers by itself once the database is back: \(Set(statuses))")
        print(
            "Database restart: \(before) postings acknowledged before the stop, \(whileDown.count) answers while down (all 503), "
                + "first posting \(ContinuousClock.now - restarted) after the server was back")
        await load(for: .seconds(1))
        #expect(before > 0 && acknowledged.count > before)
        let connection = try await PostgresConnection.connect(cluster.connectionConfig(database: "postgate"))
        let postedIDs = try await connection.query("SELECT id FROM ar.invoices WHERE status = 'posted'").map { try $0.decode(0, as: Int.self) }
        let problems = try await bookProblems(connection)
        await connection.close()
        #expect(Set(acknowledged).isSubset(of: Set(postedIDs)), "every acknowledged posting is there")
        #expect(problems.isEmpty, "\(problems.prefix(10))")
        service.terminate()
        for _ in 0..<100 where service.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    }
}

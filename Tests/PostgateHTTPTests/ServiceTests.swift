import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Postgate
import PostgateHTTP
import Postgres
import PostgresServer
import TestSupport
import Testing

/// A small company through the api functions: a customer with a limit, one on hold, a cable in
/// stock and a TV with serials.
/// Tokens of each role, made for each test.
struct Tokens: Sendable {
    var poster: HTTPFields
    var clerk: HTTPFields
    var reader: HTTPFields
}

func withService(
    logger: Logger = .silent, _ body: (any ApplicationProtocol, PostgresPool, Tokens) async throws -> Void
) async throws {
    try await withTestDatabase { database in
        let pool = PostgresPool(config: database.config, maxConnections: 4)
        try await pool.withConnection { connection in
            try await connection.execute(
                unsafeSQL: """
                    SELECT api.save_currency('EUR', 'Euro');
                    SELECT api.save_price_list('SALES', 'Sales', 'EUR');
                    SELECT api.save_payment_terms('NET30', '30 days', 30);
                    SELECT api.save_tax_rate('VAT', 'VAT 21%', 21);
                    SELECT api.save_location('MAIN', 'Main store');
                    SELECT api.save_product('{"code": "CABLE", "name": "Cable", "default_tax_rate": "VAT"}');
                    SELECT api.save_product('{"code": "TV", "name": "TV", "serial_tracking": "unique", "default_tax_rate": "VAT"}');
                    SELECT api.set_product_price('SALES', 'CABLE', 10, '2026-01-01');
                    SELECT api.set_product_price('SALES', 'TV', 500, '2026-01-01');
                    SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "CABLE", "quantity": 100},
                        {"product": "TV", "quantity": 1, "serials": [{"serial": "TV-1"}]}]}');
                    SELECT api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30",
                        "credit_limit": 5000}');
                    SELECT api.create_customer('{"code": "HOLD", "name": "Held", "price_list": "SALES", "payment_terms": "NET30"}');
                    SELECT api.hold_customer('HOLD');
                    """)
        }
        do {
            let store = TokenStore(pool: pool)
            func headers(_ name: String, _ role: TokenRole) async throws -> HTTPFields {
                [.contentType: "application/json", .authorization: "Bearer " + (try await store.add(name, role: role))]
            }
            let tokens = Tokens(
                poster: try await headers("till-7", .poster), clerk: try await headers("clerk", .clerk), reader: try await headers("auditor", .reader)
            )
            let app = try buildApplication(pool: pool, actor: "service", host: "127.0.0.1", port: 0, logger: logger)
            try await body(app, pool, tokens)
            await pool.shutdown()
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

func json(_ buffer: ByteBuffer) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] ?? [:]
}

func body(_ object: [String: Any]) throws -> ByteBuffer {
    ByteBuffer(data: try JSONSerialization.data(withJSONObject: object))
}

@Suite("The HTTP service in process, against the real database")
struct ServiceTests {
    @Test("health, readiness and the spec are served")
    func operations() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == .ok)
                    let status = try json(response.body)["status"] as? String
                    #expect(status == "ready")
                }
                try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                    #expect(response.status == .ok)
                    let spec = String(buffer: response.body)
                    #expect(spec.hasPrefix("openapi: 3.1.0") && spec.contains("/posting-runs"))
                    // The spec served is the one the service was built with: the source file, byte for byte.
                    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                        "../../Sources/PostgateHTTP/openapi.yaml")
                    #expect(spec == (try? String(contentsOf: source, encoding: .utf8)))
                }
                try await client.execute(uri: "/docs", method: .get) { response in
                    #expect(response.status == .ok)
                    let page = String(buffer: response.body)
                    #expect(page.contains("<code>POST /posting-runs</code>"))
                    #expect(page.contains("<code>GET /customers/{code}</code>"))
                }
            }
        }
    }

    @Test("customers are listed and read; a missing one is a 404 problem naming the field")
    func customers() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                try await client.execute(uri: "/customers?search=AC", method: .get, headers: tokens.reader) { response in
                    #expect(response.status == .ok)
                    let list = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                    #expect(list?.map { $0["code"] as? String } == ["ACME"])
                    #expect(list?.first?["credit_limit"] as? String == "5000")
                }
                try await client.execute(uri: "/customers/acme", method: .get, headers: tokens.reader) { response in
                    #expect(response.status == .ok)
                    let customer = try json(response.body)
                    #expect(customer["balance"] as? String == "0")
                    #expect(customer["credit_status"] as? String == "ok")
                }
                try await client.execute(uri: "/customers/NOPE", method: .get, headers: tokens.reader) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    let problem = try json(response.body)
                    #expect(problem["field"] as? String == "customer")
                    #expect(problem["sqlstate"] as? String == "PG404")
                    #expect((problem["type"] as? String)?.hasSuffix("/not-found") == true)
                }
            }
        }
    }

    @Test("a draft is created with its lines, posted once, and refused as immutable the second time")
    func draftAndPost() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                var id = 0
                let draft = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "2"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.poster, body: draft) { response in
                    #expect(response.status == .created)
                    id = try json(response.body)["invoice_id"] as? Int ?? 0
                }
                try await client.execute(uri: "/invoices/\(id)", method: .get, headers: tokens.clerk) { response in
                    #expect(response.status == .ok)
                    let invoice = try json(response.body)
                    #expect(invoice["status"] as? String == "draft")
                    #expect(invoice["total"] as? String == "24.2")
                }
                let post = try body(["invoice_ids": [id]])
                try await client.execute(uri: "/postings", method: .post, headers: tokens.poster, body: post) { response in
                    #expect(response.status == .ok)
                    let posted = try json(response.body)["posted"] as? [[String: Any]]
                    #expect(posted?.first?["number"] as? Int == 1)
                }
                try await client.execute(uri: "/postings", method: .post, headers: tokens.poster, body: post) { response in
                    #expect(response.status.code == 423)
                }
                let actor = try await pool.query("SELECT actor FROM report.posting_audit")[0].decode(0, as: String.self)
                #expect(actor == "till-7", "the audit records the token's name")
            }
        }
    }

    @Test("a refused posting is a 422 problem with every finding; the preview shows the same and pins a token")
    func refusals() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                var ids: [Int] = []
                for customer in ["HOLD", "ACME"] {
                    let lines: [[String: Any]] = customer == "ACME" ? [["product": "TV", "quantity": "1"]] : [["product": "CABLE", "quantity": "1"]]
                    let draft = try body(["customer": customer, "location": "MAIN", "lines": lines])
                    try await client.execute(uri: "/invoices", method: .post, headers: tokens.poster, body: draft) { response in
                        ids.append(try json(response.body)["invoice_id"] as? Int ?? 0)
                    }
                }
                try await client.execute(uri: "/postings", method: .post, headers: tokens.poster, body: try body(["invoice_ids": ids])) { response in
                    #expect(response.status.code == 422)
                    let problem = try json(response.body)
                    let blocked = problem["findings"] as? [[String: Any]] ?? []
                    let rules = blocked.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String } }
                    #expect(Set(rules) == ["on-hold", "serials-complete"])
                }
                var token = ""
                try await client.execute(uri: "/posting-previews", method: .post, headers: tokens.poster, body: try body([:])) { response in
                    #expect(response.status == .created)
                    let preview = try json(response.body)
                    #expect(preview["can_post"] as? Bool == false)
                    token = preview["token"] as? String ?? ""
                    #expect(token.count == 36)
                    #expect((preview["invoices"] as? [[String: Any]])?.count == 2)
                    #expect(preview["invoice_count"] as? Int == 2)
                    #expect(preview["next_after"] == nil, "one page holds them all")
                    #expect(preview["blocked"] as? Int == 2)
                    let totals = preview["totals"] as? [[String: Any]]
                    #expect(totals?.count == 1 && totals?.first?["currency"] as? String == "EUR")
                    #expect(totals?.first?["total"] as? String == "617.1", "12.10 + 605.00")
                }
                // The preview read back a page at a time, by a reader too.
                var seen: [Int] = []
                var after = 0
                for _ in 0..<3 {
                    try await client.execute(
                        uri: "/posting-previews/\(token)/invoices?limit=1&after=\(after)&which=blocked", method: .get, headers: tokens.reader
                    ) { response in
                        #expect(response.status == .ok)
                        let page = try json(response.body)
                        seen += (page["invoices"] as? [[String: Any]] ?? []).compactMap { $0["invoice_id"] as? Int }
                        after = page["next_after"] as? Int ?? -1
                    }
                    if after < 0 { break }
                }
                #expect(seen == ids.sorted(), "both drafts, one a page, in the preview's order")
                try await client.execute(uri: "/posting-previews/\(token)/invoices?which=some", method: .get, headers: tokens.reader) {
                    #expect($0.status == .badRequest)
                }
                try await client.execute(
                    uri: "/posting-previews/00000000-0000-0000-0000-000000000000/invoices", method: .get, headers: tokens.reader
                ) { #expect($0.status == .notFound) }
            }
        }
    }

    @Test("malformed input is a 400 problem naming the field; nothing is written")
    func badInput() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                let draft = try body(["customer": "ACME", "lines": [["product": "CABLE", "quantity": "1e3"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.poster, body: draft) { response in
                    #expect(response.status == .badRequest)
                    let field = try json(response.body)["field"] as? String
                    #expect(field == "lines[1].quantity")
                }
                let tooPrecise = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1.00001"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.poster, body: tooPrecise) { response in
                    #expect(response.status == .badRequest)
                    let field = try json(response.body)["field"] as? String
                    #expect(field == "lines[1].quantity")
                }
                try await client.execute(uri: "/invoices/0", method: .get, headers: tokens.reader) { response in
                    #expect(response.status.code >= 400 && response.status.code < 500)
                }
                let drafts = try await pool.query("SELECT count(*) FROM report.invoices")[0].decode(0, as: Int.self)
                #expect(drafts == 0)
            }
        }
    }

    @Test("tokens: none or an unknown one is 401, a reader may only read, a clerk may not post")
    func tokensAndRoles() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                try await client.execute(uri: "/customers", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                }
                try await client.execute(uri: "/customers", method: .get, headers: [.authorization: "Bearer pgt_nothing"]) { response in
                    #expect(response.status == .unauthorized)
                }
                let draft = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.reader, body: draft) { response in
                    #expect(response.status == .forbidden)
                }
                var id = 0
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.clerk, body: draft) { response in
                    #expect(response.status == .created)
                    id = try json(response.body)["invoice_id"] as? Int ?? 0
                }
                try await client.execute(uri: "/postings", method: .post, headers: tokens.clerk, body: try body(["invoice_ids": [id]])) { response in
                    #expect(response.status == .forbidden)
                }
                let posted = try await pool.query("SELECT count(*) FROM report.posting_audit")[0].decode(0, as: Int.self)
                #expect(posted == 0)
            }
        }
    }

    @Test("a posting run starts from a preview's token with 202, is read while it runs and after, and cannot start twice at once")
    func postingRun() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                for _ in 0..<5 {
                    let draft = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "1"]]])
                    try await client.execute(uri: "/invoices", method: .post, headers: tokens.clerk, body: draft) { #expect($0.status == .created) }
                }
                var token = ""
                try await client.execute(uri: "/posting-previews", method: .post, headers: tokens.clerk, body: try body([:])) { response in
                    let preview = try json(response.body)
                    #expect(preview["can_post"] as? Bool == true)
                    token = preview["token"] as? String ?? ""
                }
                try await client.execute(
                    uri: "/posting-runs", method: .post, headers: tokens.clerk, body: try body(["token": token])
                ) { #expect($0.status == .forbidden) }
                try await client.execute(
                    uri: "/posting-runs", method: .post, headers: tokens.poster, body: try body(["token": token, "chunk_size": 2])
                ) { response in
                    #expect(response.status == .accepted)
                    let total = try json(response.body)["total"] as? Int
                    #expect(total == 5)
                }
                var status = "running"
                for _ in 0..<100 where status == "running" {
                    try await Task.sleep(for: .milliseconds(100))
                    try await client.execute(uri: "/posting-runs/\(token)", method: .get, headers: tokens.reader) { response in
                        #expect(response.status == .ok)
                        let run = try json(response.body)
                        status = run["status"] as? String ?? ""
                        if status == "finished" { #expect(run["posted"] as? Int == 5) }
                    }
                }
                #expect(status == "finished")
                let actors = try await pool.query("SELECT DISTINCT actor FROM report.posting_audit").map { try $0.decode(0, as: String.self) }
                #expect(actors == ["till-7"])
                try await client.execute(uri: "/posting-runs/\(UUID().uuidString)", method: .get, headers: tokens.reader) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    @Test("every response echoes its request id; a body over the limit is refused with 413 before it is read")
    func requestIDsAndLimits() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                try await client.execute(uri: "/health", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "abc-123"]) { response in
                    #expect(response.headers[HTTPField.Name("X-Request-Id")!] == "abc-123")
                }
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.headers[HTTPField.Name("X-Request-Id")!]?.count == 36)
                }
                let big = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20)
                try await client.execute(uri: "/invoices", method: .post, headers: tokens.poster, body: big) { response in
                    #expect(response.status.code == 413)
                }
            }
        }
    }
}

extension ServiceTests {
    @Test(
        "an Idempotency-Key has one effect: a replay gets the stored response, another body is 422, twenty claims at once run one, a failed request leaves no key"
    )
    func idempotency() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                var headers = tokens.clerk
                headers[HTTPField.Name("Idempotency-Key")!] = "draft-0001"
                let draft = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "3"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: headers, body: draft) { #expect($0.status == .created) }
                // Twenty claims of one key at once, each in a transaction of its own that stays open
                // until all twenty have claimed: exactly one runs, the others are told it is running.
                let claimed = Barrier(parties: 20)
                let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            let connection = try await PostgresConnection.connect(pool.config)
                            defer { Task { await connection.close() } }
                            return try await connection.withTransaction { connection in
                                let outcome = try await connection.query(
                                    "SELECT outcome FROM api.claim_idempotency_key('clerk', 'draft-0002', 'same', make_interval(hours => 1))"
                                )[0].decode(0, as: String.self)
                                await claimed.arrive()
                                return outcome
                            }
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 == "claimed" }.count == 1)
                #expect(outcomes.filter { $0 == "running" }.count == 19)
                // That transaction ended without an answer: its effect is gone, and the key is free again.
                let again = try await pool.query(
                    "SELECT outcome FROM api.claim_idempotency_key('clerk', 'draft-0002', 'same', make_interval(hours => 1))")[0].decode(
                        0, as: String.self)
                #expect(again == "claimed")
                let drafts = try await pool.query("SELECT count(*) FROM report.invoices")[0].decode(0, as: Int.self)
                #expect(drafts == 1)
                try await client.execute(uri: "/invoices", method: .post, headers: headers, body: draft) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                    let id = try json(response.body)["invoice_id"] as? Int
                    #expect(id != nil)
                }
                let other = try body(["customer": "ACME", "location": "MAIN", "lines": [["product": "CABLE", "quantity": "4"]]])
                try await client.execute(uri: "/invoices", method: .post, headers: headers, body: other) { response in
                    #expect(response.status.code == 422)
                }
                #expect(try await pool.query("SELECT count(*) FROM report.invoices")[0].decode(0, as: Int.self) == 1)
                let stored = try await pool.query("SELECT response_status FROM ar.idempotency_keys WHERE key = 'draft-0001'")[0].decode(
                    0, as: Int.self)
                #expect(stored == 201, "the key was answered in the transaction that made the draft")
            }
        }
    }
}

extension ServiceTests {
    @Test("payments, adjustments, products and stock: amounts exact, a clerk takes no payment, the balance moves")
    func moneyAndStock() async throws {
        try await withService { app, pool, tokens in
            try await app.test(.router) { client in
                let payment = try body(["customer": "ACME", "amount": "100.50"])
                try await client.execute(uri: "/payments", method: .post, headers: tokens.clerk, body: payment) { #expect($0.status == .forbidden) }
                try await client.execute(uri: "/payments", method: .post, headers: tokens.poster, body: payment) { #expect($0.status == .created) }
                let adjustment = try body(["customer": "ACME", "amount": "-25.50", "notes": "goodwill"])
                try await client.execute(uri: "/adjustments", method: .post, headers: tokens.clerk, body: adjustment) {
                    #expect($0.status == .created)
                }
                let tooPrecise = try body(["customer": "ACME", "amount": "1.001"])
                try await client.execute(uri: "/adjustments", method: .post, headers: tokens.clerk, body: tooPrecise) { response in
                    #expect(response.status == .badRequest)
                    let field = try json(response.body)["field"] as? String
                    #expect(field == "amount")
                }
                try await client.execute(uri: "/customers/ACME", method: .get, headers: tokens.reader) { response in
                    let balance = try json(response.body)["balance"] as? String
                    #expect(balance == "-126")
                }
                try await client.execute(uri: "/products?search=CAB", method: .get, headers: tokens.reader) { response in
                    let products = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                    #expect(products?.first?["on_hand"] as? String == "100")
                }
                try await client.execute(uri: "/stock?product=TV", method: .get, headers: tokens.reader) { response in
                    let rows = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]]
                    #expect(rows?.first?["serials"] as? Int == 1)
                }
                let ledger = try await pool.query("SELECT count(*) FROM ar.ledger_entries")[0].decode(0, as: Int.self)
                #expect(ledger == 2)
            }
        }
    }
}

extension ServiceTests {
    @Test("report views are read a page at a time with a cursor, numbers as decimal strings; an unknown view is 404")
    func reports() async throws {
        try await withService { app, _, tokens in
            try await app.test(.router) { client in
                var cursor: String?
                var codes: [String] = []
                repeat {
                    let uri = "/reports/customer_balances?limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                    try await client.execute(uri: uri, method: .get, headers: tokens.reader) { response in
                        #expect(response.status == .ok)
                        let page = try json(response.body)
                        let rows = page["rows"] as? [[String: Any]] ?? []
                        #expect(rows.count == 1)
                        codes += rows.compactMap { $0["code"] as? String }
                        #expect(rows.first?["balance"] is String, "money is a decimal string")
                        cursor = page["next_cursor"] as? String
                    }
                } while cursor != nil
                #expect(codes.sorted() == ["ACME", "HOLD"])
                try await client.execute(uri: "/reports/no_such_view", method: .get, headers: tokens.reader) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/reports/customers?cursor=bad", method: .get, headers: tokens.reader) {
                    #expect($0.status == .badRequest)
                }
            }
        }
    }
}

/// No Docker engine runs here: the deployment files are checked by reading them against the
/// README and the command line they drive.
@Suite("The deployment files agree with the README and the command line")
struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func text(_ name: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent(name), encoding: .utf8) }

    @Test("compose runs the database, a migrate job and the service on the port serve listens on, as a service login")
    func compose() async throws {
        let compose = try text("docker-compose.yml")
        let readme = try text("README.md")
        for service in ["  db:", "  migrate:", "  postgate:", "  pgbouncer:", "  reporting-standby:"] {
            #expect(compose.contains("\n" + service + "\n"), "\(service)")
        }
        #expect(compose.contains("\"serve\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\""))
        #expect(compose.contains("\"127.0.0.1:8080:8080\""))
        #expect(compose.contains("postgate logins add postgate_api --role service"))
        // The service goes through PgBouncer in transaction mode; migrate goes to the primary directly.
        #expect(compose.contains("DATABASE_URL: postgresql://postgate_api:${SERVICE_PASSWORD:-change-me-too}@pgbouncer:6432/postgate"))
        #expect(compose.contains("DATABASE_URL: postgresql://postgres:${POSTGRES_PASSWORD:-change-me}@db:5432/postgate"))
        let pooler = try text("deploy/pgbouncer/pgbouncer.ini")
        #expect(pooler.contains("\npool_mode = transaction\n"))
        #expect(pooler.contains("\npostgate = host=db port=5432 dbname=postgate\n"))
        #expect(pooler.contains("auth_query = SELECT usename, passwd FROM pgbouncer.get_auth($1)"))
        #expect(try text("deploy/pgbouncer/Dockerfile").contains("apt-get install -y --no-install-recommends pgbouncer"))
        // The primary makes the replication login, the slot and the pooler's lookup when it is created.
        #expect(compose.contains("./deploy/db/10-replication-and-pooler.sh:/docker-entrypoint-initdb.d/"))
        let initScript = try text("deploy/db/10-replication-and-pooler.sh")
        for part in [
            "CREATE ROLE replicator WITH REPLICATION LOGIN", "pg_create_physical_replication_slot('reporting')",
            "CREATE FUNCTION pgbouncer.get_auth", "SET search_path = pg_catalog, pg_temp", "host replication replicator all scram-sha-256",
        ] {
            #expect(initScript.contains(part), "\(part)")
        }
        // The reporting standby is a hot standby copied through that slot, on its own port.
        #expect(compose.contains("\"127.0.0.1:5433:5432\""))
        let standby = try text("deploy/standby/start.sh")
        #expect(standby.contains("pg_basebackup -h db -p 5432 -U replicator -D \"$PGDATA\" -R -X stream --slot reporting"))
        #expect(standby.contains("exec postgres -c hot_standby=on -c hot_standby_feedback=on"))
        #expect(readme.contains("port=5433"), "the README says how to point psql at the standby")
        #expect(compose.contains("condition: service_completed_successfully"))
        #expect(readme.contains("docker compose up --build"))
        #expect(readme.contains("port 8080"))
        let help = try await Program.run([postgateExecutable, "serve", "--help"])
        for option in ["--host", "--port", "--database", "--migrate"] { #expect(help.output.contains(option), "\(option)") }
        #expect(help.output.contains("8080"))
        // The file is YAML that names these services, read by Python's YAML parser where it is installed
        // (Debian's python3-yaml, which Patroni brings).
        let parsed = try await Program.run([
            FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3", "-c",
            "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(' '.join(sorted(d['services'])))",
            Self.root.appendingPathComponent("docker-compose.yml").path,
        ])
        if !parsed.error.contains("No module named 'yaml'") {
            #expect(parsed.status == 0, "\(parsed.error)")
            #expect(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines) == "db migrate pgbouncer postgate reporting-standby")
        }
        let dockerfile = try text("Dockerfile")
        #expect(!dockerfile.contains("openapi.yaml"), "the spec is compiled into the executable, with the request checks made from it")
        #expect(
            dockerfile.contains("COPY console /usr/local/share/postgate/console"), "the console's templates and assets, found beside the executable")
        #expect(dockerfile.contains("USER postgate"))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Postgate
import PostgateHTTP
import Postgres
import Testing

/// A browser's part in a console exchange: the cookies it keeps and sends back, and the CSRF
/// token of the last page it read.
final class ConsoleBrowser: @unchecked Sendable {
    var cookies: [String: String] = [:]
    var csrf = ""
    let origin = "http://localhost"

    struct Page {
        var status: Int
        var html: String
        var headers: HTTPFields
        var location: String? { headers[.location] }
        /// The Set-Cookie line of a cookie, as sent.
        func setCookie(_ name: String) -> String? { headers[values: .setCookie].first { $0.hasPrefix(name + "=") } }
    }

    func send(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil, origin: String? = nil
    )
        async throws -> Page
    {
        var headers: HTTPFields = [HTTPField.Name("Host")!: "localhost"]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[.origin] = origin ?? self.origin
            body = ByteBuffer(string: form.map { "\($0.0)=\(ConsoleTests.encode($0.1))" }.joined(separator: "&"))
        }
        let page = try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Page(status: Int(response.status.code), html: String(buffer: response.body), headers: response.headers)
        }
        for line in page.headers[values: .setCookie] {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies[pair[0]] = pair[1].isEmpty ? nil : pair[1] }
            if line.contains("Max-Age=0") { cookies[pair[0]] = nil }
        }
        if let range = page.html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) {
            csrf = String(page.html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
        return page
    }

    /// Signs in with a token, as the sign-in form does.
    func signIn(_ client: some TestClientProtocol, _ token: String) async throws -> Page {
        _ = try await send(client, .get, "/console/sign-in")
        let page = try await send(client, .post, "/console/sign-in", form: [("csrf", csrf), ("token", token)])
        if let location = page.location { _ = try await send(client, .get, location) }  // the session's CSRF token
        return page
    }
}

@Suite("The operator console over HTTP: sessions, CSRF, roles, escaping, bad input")
struct ConsoleTests {
    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// The service with a token of each role, their secrets as a person would type them.
    func withConsole(_ body: (any ApplicationProtocol, PostgresPool, [TokenRole: String]) async throws -> Void) async throws {
        try await withService { app, pool, _ in
            let store = TokenStore(pool: pool)
            var secrets: [TokenRole: String] = [:]
            for role in [TokenRole.poster, .clerk, .reader] { secrets[role] = try await store.add("console-\(role.rawValue)", role: role) }
            try await body(app, pool, secrets)
        }
    }

    @Test("sign-in: a refused form or token makes no session; a token makes an HttpOnly, SameSite=Strict session cookie")
    func signIn() async throws {
        try await withConsole { app, _, secrets in
            try await app.test(.router) { client in
                let browser = ConsoleBrowser()
                var page = try await browser.send(client, .get, "/console/invoices?customer=ACME")
                #expect(page.status == 303 && page.location == "/console/sign-in?next=/console/invoices?customer%3DACME")
                page = try await browser.send(client, .get, "/console/sign-in")
                #expect(page.status == 200 && page.html.contains(#"type="password""#))
                let signInCookie = try #require(page.setCookie("postgate_console_signin"))
                #expect(signInCookie.contains("HttpOnly") && signInCookie.contains("SameSite=Strict"))
                #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")

                page = try await browser.send(client, .post, "/console/sign-in", form: [("csrf", "forged"), ("token", secrets[.poster]!)])
                #expect(page.status == 403 && page.html.contains("expired or came from elsewhere"))
                #expect(browser.cookies["postgate_console"] == nil)
                page = try await browser.send(client, .post, "/console/sign-in", form: [("csrf", browser.csrf), ("token", "pgt_unknown")])
                #expect(page.status == 401 && page.html.contains("not known"))
                page = try await browser.send(client, .post, "/console/sign-in", form: [("csrf", browser.csrf), ("token", "")])
                #expect(page.status == 400 && page.html.contains("Token is empty"))
                page = try await browser.send(
                    client, .post, "/console/sign-in", form: [("csrf", browser.csrf), ("token", secrets[.poster]!)], origin: "http://evil.example")
                #expect(page.status == 403, "a sign-in posted from another site")
                #expect(browser.cookies["postgate_console"] == nil)

                page = try await browser.send(
                    client, .post, "/console/sign-in", form: [("csrf", browser.csrf), ("token", secrets[.poster]!), ("next", "/console/customers")])
                #expect(page.status == 303 && page.location == "/console/customers")
                let session = try #require(page.setCookie("postgate_console"))
                #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/console"))
                #expect(!session.contains(secrets[.poster]!), "the token never leaves the server")
                page = try await browser.send(client, .get, "/console/invoices")
                #expect(page.status == 200 && page.html.contains("console-poster"))

                // A sign-in never leads off the console.
                let other = ConsoleBrowser()
                _ = try await other.send(client, .get, "/console/sign-in")
                page = try await other.send(
                    client, .post, "/console/sign-in", form: [("csrf", other.csrf), ("token", secrets[.reader]!), ("next", "//evil.example/x")])
                #expect(page.status == 303 && page.location == "/console/invoices")
            }
        }
    }

    @Test("every form needs the session's CSRF token and this origin; refused forms change nothing")
    func csrf() async throws {
        try await withConsole { app, pool, secrets in
            let (id, _) = try await InvoiceStore(pool: pool).createDraft(
                customer: "ACME", date: LocalDate("2026-03-02"), reference: "TV", location: "MAIN",
                lines: [NewInvoiceLine(product: "TV", quantity: 1)])
            try await app.test(.router) { client in
                let browser = ConsoleBrowser()
                _ = try await browser.signIn(client, secrets[.poster]!)
                var page = try await browser.send(client, .get, "/console/invoices/\(id)")
                #expect(page.status == 200 && page.html.contains("Serial numbers, line 1"))
                let csrf = browser.csrf
                page = try await browser.send(client, .post, "/console/invoices/\(id)/lines/1/serials", form: [("csrf", "forged"), ("pick", "TV-1")])
                #expect(page.status == 403 && page.html.contains("The form was refused"))
                page = try await browser.send(client, .post, "/console/invoices/\(id)/lines/1/serials", form: [("pick", "TV-1")])
                #expect(page.status == 403, "no token at all")
                page = try await browser.send(
                    client, .post, "/console/invoices/\(id)/lines/1/serials", form: [("csrf", csrf), ("pick", "TV-1")], origin: "http://evil.example")
                #expect(page.status == 403, "the right token from another site")
                #expect(try await InvoiceStore(pool: pool).invoice(id).lines[0].serials.isEmpty, "nothing changed")

                page = try await browser.send(client, .post, "/console/invoices/\(id)/lines/1/serials", form: [("csrf", csrf), ("pick", "TV-1")])
                #expect(page.status == 303 && page.location == "/console/invoices/\(id)")
                #expect(try await InvoiceStore(pool: pool).invoice(id).lines[0].serials.map(\.serial) == ["TV-1"])
                page = try await browser.send(client, .get, "/console/invoices/\(id)")
                #expect(page.html.contains("1 serial recorded"))

                // Another session's token is not this one's.
                let other = ConsoleBrowser()
                _ = try await other.signIn(client, secrets[.poster]!)
                #expect(other.csrf != csrf)
                page = try await other.send(client, .post, "/console/invoices/\(id)/post", form: [("csrf", csrf)])
                #expect(page.status == 403)
                #expect(try await InvoiceStore(pool: pool).invoice(id).isPosted == false)
            }
        }
    }

    @Test("a preview with a blocked invoice lists it, and previews only the ones that may be posted from the preview kept in the database")
    func previewThePostable() async throws {
        try await withConsole { app, pool, secrets in
            var ids: [Int64] = []
            for (customer, reference) in [("ACME", "fine"), ("HOLD", "held")] {
                let (id, _) = try await InvoiceStore(pool: pool).createDraft(
                    customer: customer, date: LocalDate("2026-03-02"), reference: reference, location: "MAIN",
                    lines: [NewInvoiceLine(product: "CABLE", quantity: 1)])
                ids.append(id)
            }
            try await app.test(.router) { [ids] client in
                let poster = ConsoleBrowser()
                _ = try await poster.signIn(client, secrets[.poster]!)
                var page = try await poster.send(client, .post, "/console/preview", form: [("csrf", poster.csrf)] + ids.map { ("id", String($0)) })
                let preview = try #require(page.location)
                page = try await poster.send(client, .get, preview)
                #expect(page.html.contains("Invoices previewed: <strong>2</strong>; may be posted: 1; blocked: 1."))
                #expect(page.html.contains("Invoice \(ids[1]), held") && !page.html.contains(#"id="confirm-button""#))
                let token = String(preview.split(separator: "/").last ?? "")
                #expect(page.html.contains(#"name="postable_of" value="\#(token)""#))
                page = try await poster.send(client, .post, "/console/preview", form: [("csrf", poster.csrf), ("postable_of", token)])
                let narrowed = try #require(page.location)
                #expect(narrowed != preview)
                page = try await poster.send(client, .get, narrowed)
                #expect(page.html.contains("Invoices previewed: <strong>1</strong>") && page.html.contains(#"id="confirm-button""#))
                #expect(page.html.contains("the 1 that may be posted of 2 selected invoices"))
                // Another session cannot narrow this session's preview.
                let other = ConsoleBrowser()
                _ = try await other.signIn(client, secrets[.poster]!)
                page = try await other.send(client, .post, "/console/preview", form: [("csrf", other.csrf), ("postable_of", token)])
                page = try await other.send(client, .get, page.location ?? "")
                #expect(page.html.contains("that preview is not kept any more"))
            }
        }
    }

    @Test("the console shows and allows what the token's role may: a reader reads, a clerk edits, a poster posts")
    func roles() async throws {
        try await withConsole { app, pool, secrets in
            let (id, _) = try await InvoiceStore(pool: pool).createDraft(
                customer: "ACME", date: LocalDate("2026-03-02"), reference: "cables", location: "MAIN",
                lines: [NewInvoiceLine(product: "CABLE", quantity: 2)])
            try await app.test(.router) { client in
                let reader = ConsoleBrowser()
                _ = try await reader.signIn(client, secrets[.reader]!)
                var page = try await reader.send(client, .get, "/console/invoices")
                #expect(page.status == 200 && !page.html.contains(#"id="post-button""#) && !page.html.contains(#"name="id""#))
                page = try await reader.send(client, .get, "/console/invoices/\(id)")
                #expect(!page.html.contains(#"id="post-one""#))
                page = try await reader.send(client, .post, "/console/invoices/\(id)/post", form: [("csrf", reader.csrf)])
                #expect(page.status == 403 && page.html.contains("posting needs a poster"))
                page = try await reader.send(client, .post, "/console/customers/ACME/hold", form: [("csrf", reader.csrf), ("sales_invoice", "1")])
                #expect(page.status == 403)
                #expect(try await CustomerStore(pool: pool).get("ACME").onHold == false)

                let clerk = ConsoleBrowser()
                _ = try await clerk.signIn(client, secrets[.clerk]!)
                page = try await clerk.send(client, .post, "/console/preview", form: [("csrf", clerk.csrf), ("id", String(id))])
                #expect(page.status == 303)
                let preview = try #require(page.location)
                page = try await clerk.send(client, .get, preview)
                #expect(page.html.contains("Invoices previewed: <strong>1</strong>") && !page.html.contains(#"id="confirm-button""#))
                page = try await clerk.send(client, .post, preview + "/confirm", form: [("csrf", clerk.csrf)])
                #expect(page.status == 403)
                #expect(try await InvoiceStore(pool: pool).invoice(id).isPosted == false)
                page = try await reader.send(client, .get, preview)
                #expect(page.status == 400, "a preview belongs to the session that made it")

                let poster = ConsoleBrowser()
                _ = try await poster.signIn(client, secrets[.poster]!)
                page = try await poster.send(client, .post, "/console/invoices/\(id)/post", form: [("csrf", poster.csrf)])
                #expect(page.status == 303)
                page = try await poster.send(client, .get, "/console/invoices/\(id)")
                #expect(page.html.contains("Posted as invoice") && page.html.contains("console-poster"))
            }
        }
    }

    @Test("Post, preview, Confirm (pressed twice), the run's page and its progress: the run posts once")
    func confirmTwice() async throws {
        try await withConsole { app, pool, secrets in
            var made: [Int64] = []
            for quantity in 1...3 {
                made.append(
                    try await InvoiceStore(pool: pool).createDraft(
                        customer: "ACME", date: LocalDate("2026-03-02"), reference: "cables \(quantity)", location: "MAIN",
                        lines: [NewInvoiceLine(product: "CABLE", quantity: Decimal(quantity))]
                    ).id)
            }
            let ids = made
            try await app.test(.router) { client in
                let poster = ConsoleBrowser()
                _ = try await poster.signIn(client, secrets[.poster]!)
                var page = try await poster.send(
                    client, .post, "/console/preview", form: [("csrf", poster.csrf), ("all", "1"), ("customer", "ACME")])
                let preview = try #require(page.location)
                page = try await poster.send(client, .get, preview)
                #expect(page.html.contains("Preview: all 3 matching customer ACME") && page.html.contains(#"id="confirm-button""#))
                page = try await poster.send(client, .post, preview + "/confirm", form: [("csrf", poster.csrf)])
                let run = try #require(page.location)
                #expect(run.hasPrefix("/console/runs/"))
                page = try await poster.send(client, .post, preview + "/confirm", form: [("csrf", poster.csrf)])
                #expect(page.status == 303 && page.location == run, "a second Confirm follows the run")
                var progress: [String: Any] = [:]
                for _ in 0..<100 {
                    page = try await poster.send(client, .get, run + "/progress")
                    progress = (try? JSONSerialization.jsonObject(with: Data(page.html.utf8))) as? [String: Any] ?? [:]
                    if progress["status"] as? String != "running" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(progress["status"] as? String == "finished" && progress["total"] as? Int == 3 && progress["done"] as? Int == 3)
                page = try await poster.send(client, .get, run)
                #expect(page.html.contains("Finished: 3 of 3") && page.html.contains(#"id="run-not-posted" class="num">0<"#))
                for id in ids { #expect(try await InvoiceStore(pool: pool).invoice(id).isPosted) }
                let audit = try await pool.query("SELECT count(*) AS n FROM report.posting_audit WHERE customer = 'ACME'")[0].decode(
                    "n", as: Int.self)
                #expect(audit == 3, "each posted once")
            }
        }
    }

    @Test("Confirm of a preview whose customer was put on hold since is refused at once, naming it; no run starts")
    func confirmStale() async throws {
        try await withConsole { app, pool, secrets in
            let (id, _) = try await InvoiceStore(pool: pool).createDraft(
                customer: "ACME", date: LocalDate("2026-03-02"), reference: "h3b", location: "MAIN",
                lines: [NewInvoiceLine(product: "CABLE", quantity: 1)])
            try await app.test(.router) { client in
                let poster = ConsoleBrowser()
                _ = try await poster.signIn(client, secrets[.poster]!)
                var page = try await poster.send(
                    client, .post, "/console/preview", form: [("csrf", poster.csrf), ("all", "1"), ("customer", "ACME")])
                let preview = try #require(page.location)
                page = try await poster.send(client, .get, preview)
                _ = try await CustomerStore(pool: pool).hold("ACME")
                page = try await poster.send(client, .post, preview + "/confirm", form: [("csrf", poster.csrf)])
                #expect(page.status == 303 && page.location?.hasPrefix("/console/runs/") == false, "\(page.location ?? "")")
                page = try await poster.send(client, .get, page.location ?? preview)
                #expect(page.html.contains("customer ACME was put on hold for invoices after the preview (draft \(id) (h3b))"))
                #expect(try await pool.query("SELECT count(*) FROM ar.posting_runs")[0].decode(0, as: Int.self) == 0)
                #expect(try await InvoiceStore(pool: pool).invoice(id).isPosted == false)
            }
        }
    }

    @Test("a removed token ends its sessions; signing out ends one")
    func sessionsEnd() async throws {
        try await withConsole { app, pool, secrets in
            try await app.test(.router) { client in
                let browser = ConsoleBrowser()
                _ = try await browser.signIn(client, secrets[.clerk]!)
                #expect(try await browser.send(client, .get, "/console/invoices").status == 200)
                try await TokenStore(pool: pool).remove("console-clerk")
                #expect(try await browser.send(client, .get, "/console/invoices").status == 303)

                _ = try await browser.signIn(client, secrets[.poster]!)
                let session = try #require(browser.cookies["postgate_console"])
                var page = try await browser.send(client, .post, "/console/sign-out", form: [("csrf", browser.csrf)])
                #expect(page.status == 303 && page.setCookie("postgate_console")?.contains("Max-Age=0") == true)
                browser.cookies["postgate_console"] = session
                page = try await browser.send(client, .get, "/console/invoices")
                #expect(page.status == 303, "the old cookie no longer works")
            }
        }
    }

    @Test(
        "sessions live in the database: one instance's session works on another and after a restart; they end after their idle and absolute limits"
    )
    func sessionsShared() async throws {
        try await withConsole { app, pool, secrets in
            let browser = ConsoleBrowser()
            try await app.test(.router) { client in
                _ = try await browser.signIn(client, secrets[.poster]!)
                #expect(try await browser.send(client, .get, "/console/invoices").status == 200)
                // A flash left by a form on this instance shows on the next page, wherever it is served.
                let held = try await browser.send(client, .post, "/console/customers/HOLD/hold", form: [("csrf", browser.csrf), ("hold", "")])
                #expect(held.status == 303)
            }
            // Another instance of the service (or this one restarted): same database, nothing else shared.
            let other = try buildApplication(pool: pool, actor: "other", host: "127.0.0.1", port: 0, logger: .silent)
            try await other.test(.router) { client in
                let page = try await browser.send(client, .get, "/console/customers/HOLD")
                #expect(page.status == 200, "the session made on the first instance is known here")
                #expect(page.html.contains("is released"), "its flash came along: \(page.html.prefix(300))")
                #expect(try await browser.send(client, .get, "/console/customers/HOLD").html.contains("is released") == false, "once")
                let form = try await browser.send(client, .post, "/console/sign-out", form: [("csrf", browser.csrf)])
                #expect(form.status == 303, "its CSRF token is the same session's")
            }
            #expect(try await pool.query("SELECT count(*) FROM ar.console_sessions")[0].decode(0, as: Int.self) == 0, "signed out")
            try await app.test(.router) { client in
                // Idle for longer than two hours: ended.
                let idle = ConsoleBrowser()
                _ = try await idle.signIn(client, secrets[.reader]!)
                #expect(try await idle.send(client, .get, "/console/invoices").status == 200)
                try await pool.query("UPDATE ar.console_sessions SET last_seen = now() - interval '2 hours 1 minute'")
                #expect(try await idle.send(client, .get, "/console/invoices").status == 303)
                // Used all along, but signed in more than twelve hours ago: ended too.
                let long = ConsoleBrowser()
                _ = try await long.signIn(client, secrets[.reader]!)
                try await pool.query("UPDATE ar.console_sessions SET started_at = now() - interval '12 hours 1 minute'")
                #expect(try await long.send(client, .get, "/console/invoices").status == 303)
                #expect(try await pool.query("SELECT count(*) FROM ar.console_sessions")[0].decode(0, as: Int.self) == 0, "both swept")
                // The cookie holds the id; the database only its SHA-256.
                _ = try await long.signIn(client, secrets[.reader]!)
                let id = try #require(long.cookies["postgate_console"])
                let stored = try await pool.query("SELECT id_hash FROM ar.console_sessions")[0].decode(0, as: String.self)
                #expect(stored == TokenStore.hash(id) && stored != id)
            }
        }
    }

    @Test("a customer whose code holds /, <, >, %, ? or dots has its page: links encode the code, the page and its hold form decode it")
    func oddCodes() async throws {
        try await withConsole { app, pool, secrets in
            let codes = ["A/B", "<b>x</b>", "50% off", "what?", "..", "a+b"]
            for code in codes {
                _ = try await CustomerStore(pool: pool).create(
                    NewCustomer(code: code, name: "Odd \(code)", priceList: "SALES", paymentTerms: "NET30"))
            }
            try await app.test(.router) { client in
                let browser = ConsoleBrowser()
                _ = try await browser.signIn(client, secrets[.clerk]!)
                let list = try await browser.send(client, .get, "/console/customers")
                // The links as the page has them, each decoded as a browser does: HTML first, then the URL.
                var links: [String: String] = [:]
                for match in list.html.matches(of: /href="\/console\/customers\/([^"]+)"/) {
                    let href = String(match.1).replacingOccurrences(of: "&amp;", with: "&")
                    if let code = href.removingPercentEncoding { links[code] = "/console/customers/" + href }
                }
                for code in codes {
                    let path = try #require(links[code], "\(code) is linked whole: \(links.keys.sorted())")
                    #expect(!path.dropFirst("/console/customers/".count).contains("/") && !path.contains("?") && !path.hasSuffix("/.."))
                    var page = try await browser.send(client, .get, path)
                    #expect(page.status == 200, "\(code): \(page.status)")
                    #expect(
                        page.html.contains(
                            "Odd "
                                + code.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                                .replacingOccurrences(of: ">", with: "&gt;")))
                    page = try await browser.send(client, .post, path + "/hold", form: [("csrf", browser.csrf), ("sales_invoice", "1")])
                    #expect(page.status == 303 && page.location == path, "\(code): \(page.status) \(page.location ?? "")")
                    #expect(try await CustomerStore(pool: pool).get(code).onHold, "\(code) was put on hold through its page")
                }
            }
        }
    }

    @Test("what users typed is escaped; a malformed filter is named and shows nothing")
    func escapingAndBadInput() async throws {
        try await withConsole { app, pool, secrets in
            let (held, _) = try await InvoiceStore(pool: pool).createDraft(
                customer: "HOLD", date: LocalDate("2026-03-02"), reference: "<script>alert('x')</script>", location: "MAIN",
                lines: [NewInvoiceLine(product: "CABLE", quantity: 1)])
            try await app.test(.router) { client in
                let browser = ConsoleBrowser()
                _ = try await browser.signIn(client, secrets[.poster]!)
                var page = try await browser.send(client, .get, "/console/invoices")
                #expect(!page.html.contains("<script>alert"))
                #expect(page.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
                #expect(page.html.contains(#"data-id="\#(held)""#) && page.html.contains(#"data-reasons="hold""#))
                page = try await browser.send(client, .get, "/console/invoices?from=2026-13-40&blocked=1")
                #expect(page.status == 200 && page.html.contains("From date: write a date as YYYY-MM-DD, not &#39;2026-13-40&#39;"))
                #expect(!page.html.contains(#"data-id=""#))
                page = try await browser.send(client, .get, "/console/invoices?min_total=lots")
                #expect(page.html.contains("Total from: write an amount"))
                let (tv, _) = try await InvoiceStore(pool: pool).createDraft(
                    customer: "ACME", date: LocalDate("2026-03-02"), reference: "TV", location: "MAIN",
                    lines: [NewInvoiceLine(product: "TV", quantity: 1)])
                page = try await browser.send(
                    client, .post, "/console/invoices/\(tv)/lines/1/serials",
                    form: [("csrf", browser.csrf), ("pick", "TV-1"), ("quantity-TV-1", "lots")])
                page = try await browser.send(client, .get, page.location ?? "")
                #expect(page.html.contains("Quantity of TV-1: write a positive quantity"), "a bad quantity is named, not ignored")
                #expect(try await InvoiceStore(pool: pool).invoice(tv).lines[0].serials.isEmpty)
                page = try await browser.send(client, .get, "/console/invoices/abc")
                #expect(page.status == 400)
                page = try await browser.send(client, .get, "/console/invoices/999999")
                #expect(page.status == 404)
                page = try await browser.send(client, .get, "/console/customers/NOPE")
                #expect(page.status == 404)
                page = try await browser.send(client, .post, "/console/preview", form: [("csrf", browser.csrf)])
                #expect(page.status == 303)
                page = try await browser.send(client, .get, page.location ?? "")
                #expect(page.html.contains("select at least one invoice"))
                page = try await browser.send(client, .post, "/console/preview", form: [("csrf", browser.csrf), ("id", "x")])
                page = try await browser.send(client, .get, page.location ?? "")
                #expect(page.html.contains("&#39;x&#39; is not an invoice id"))
            }
        }
    }

    // MARK: Credit notes

    /// A posted invoice of two TVs for ACME (TV-1 from the fixture, TV-2 received here): its id and number.
    func postedTelevisions(_ pool: PostgresPool) async throws -> (id: Int64, number: Int64) {
        try await StockStore(pool: pool).post(
            StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "TV", quantity: 1, serials: [SerialEntry("TV-2")])]))
        let (id, _) = try await InvoiceStore(pool: pool).createDraft(
            customer: "ACME", date: LocalDate("2026-03-02"), reference: "two TVs", location: "MAIN",
            lines: [NewInvoiceLine(product: "TV", quantity: 2, serials: [SerialEntry("TV-1"), SerialEntry("TV-2")])])
        let posted = try await PostingService(pool: pool, actor: "test").post([id])
        return (id, try #require(posted.numbers[id]))
    }

    /// The credit note form's fields for one TV of line 1 by its serial (TV-2 is the line's second serial).
    func oneTelevision(_ browser: ConsoleBrowser, csrf: String? = nil) -> [(String, String)] {
        [("csrf", csrf ?? browser.csrf), ("serial-1", "2"), ("return-1", "1"), ("location-1", "MAIN"), ("reason", "dead pixels")]
    }

    @Test("a clerk drafts a credit note of one TV by its serial from the invoice page; a reader may not; a forged form makes nothing")
    func draftCreditNote() async throws {
        try await withConsole { app, pool, secrets in
            let (id, number) = try await postedTelevisions(pool)
            try await app.test(.router) { client in
                let reader = ConsoleBrowser()
                _ = try await reader.signIn(client, secrets[.reader]!)
                var page = try await reader.send(client, .get, "/console/invoices/\(id)")
                #expect(page.status == 200 && page.html.contains("No credit notes.") && !page.html.contains(#"id="credit-form""#))
                page = try await reader.send(client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(reader))
                #expect(page.status == 403 && page.html.contains("changes need a clerk"))
                #expect(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).isEmpty, "a reader makes nothing")

                let clerk = ConsoleBrowser()
                _ = try await clerk.signIn(client, secrets[.clerk]!)
                page = try await clerk.send(client, .get, "/console/invoices/\(id)")
                #expect(page.html.contains(#"id="credit-form""#) && page.html.contains("2 of 2 left to credit"))
                #expect(page.html.contains(#"name="serial-1" value="2""#) && page.html.contains(">TV-2</label>"))
                #expect(page.html.contains(#"<option value="MAIN" selected>"#), "goods go back where they left from")
                let csrf = clerk.csrf
                page = try await clerk.send(client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(clerk, csrf: "forged"))
                #expect(page.status == 403 && page.html.contains("The form was refused"))
                page = try await clerk.send(
                    client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(clerk, csrf: csrf), origin: "http://evil.example")
                #expect(page.status == 403, "the right token from another site")
                #expect(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).isEmpty, "a forged form makes nothing")

                page = try await clerk.send(client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(clerk, csrf: csrf))
                let notes = try await CreditNoteStore(pool: pool).list(invoiceNumber: number)
                let note = try #require(notes.first)
                #expect(notes.count == 1 && page.status == 303 && page.location == "/console/credit-notes/\(note.id)")
                let drafted = try await CreditNoteStore(pool: pool).creditNote(note.id)
                #expect(drafted.lines.count == 1 && drafted.lines[0].quantity == 1 && drafted.lines[0].kind == .return)
                #expect(drafted.lines[0].serials.map(\.serial) == ["TV-2"] && drafted.lines[0].location == "MAIN")
                #expect(drafted.total == 605 && drafted.reason == "dead pixels")
                page = try await clerk.send(client, .get, "/console/credit-notes/\(note.id)")
                #expect(
                    page.status == 200 && page.html.contains("Draft credit note \(note.id)")
                        && page.html.contains("Draft credit note \(note.id) is made"))
                #expect(page.html.contains("TV-2") && page.html.contains("605.00") && page.html.contains("comes back"))
                #expect(page.html.contains(#"id="can-post""#) && page.html.contains("it can be posted"))
                #expect(
                    !page.html.contains(#"id="post-credit-note""#) && page.html.contains(#"id="delete-credit-note""#),
                    "a clerk drafts, a poster posts")
                page = try await clerk.send(client, .get, "/console/invoices/\(id)")
                #expect(page.html.contains(#"<a href="/console/credit-notes/\#(note.id)">Draft credit note \#(note.id)</a>"#))
                page = try await clerk.send(client, .get, "/console/customers/ACME")
                #expect(page.html.contains(#"<a href="/console/credit-notes/\#(note.id)">Draft credit note \#(note.id)</a>"#))

                // A clerk deletes the draft; a reader may not.
                page = try await reader.send(client, .post, "/console/credit-notes/\(note.id)/delete", form: [("csrf", reader.csrf)])
                #expect(page.status == 403)
                page = try await clerk.send(client, .post, "/console/credit-notes/\(note.id)/delete", form: [("csrf", clerk.csrf)])
                #expect(page.status == 303 && page.location == "/console/invoices/\(id)")
                #expect(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).isEmpty)
            }
        }
    }

    @Test("a clerk cannot post a credit note, a poster can: its number shows and the TV is back in stock")
    func postCreditNote() async throws {
        try await withConsole { app, pool, secrets in
            let (id, number) = try await postedTelevisions(pool)
            try await app.test(.router) { client in
                let clerk = ConsoleBrowser()
                _ = try await clerk.signIn(client, secrets[.clerk]!)
                _ = try await clerk.send(client, .get, "/console/invoices/\(id)")
                var page = try await clerk.send(client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(clerk))
                let path = try #require(page.location)
                let note = try #require(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).first)
                // A second draft of the same TV: once the first is posted, the rules block it.
                _ = try await clerk.send(client, .post, "/console/invoices/\(id)/credit-notes", form: oneTelevision(clerk))
                let second = try #require(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).first { $0.id != note.id })
                page = try await clerk.send(client, .post, path + "/post", form: [("csrf", clerk.csrf)])
                #expect(page.status == 403 && page.html.contains("posting needs a poster"))
                #expect(try await CreditNoteStore(pool: pool).creditNote(note.id).isPosted == false)

                let poster = ConsoleBrowser()
                _ = try await poster.signIn(client, secrets[.poster]!)
                page = try await poster.send(client, .get, path)
                #expect(page.html.contains(#"id="post-credit-note">"#), "nothing blocks it, so Post is not aria-disabled")
                page = try await poster.send(client, .post, path + "/post", form: [("csrf", "forged")])
                #expect(page.status == 403)
                #expect(try await CreditNoteStore(pool: pool).creditNote(note.id).isPosted == false, "a forged form posts nothing")
                page = try await poster.send(client, .post, path + "/post", form: [("csrf", poster.csrf)])
                #expect(page.status == 303 && page.location == path)
                let posted = try await CreditNoteStore(pool: pool).creditNote(note.id)
                let credit = try #require(posted.number)
                #expect(posted.isPosted && posted.postedBy == "console-poster", "posted with the token's name as actor")
                page = try await poster.send(client, .get, path)
                #expect(page.html.contains("Posted as credit note \(credit).") && page.html.contains("<h1>Credit note \(credit) "))
                #expect(page.html.contains(#"id="allocations""#) && page.html.contains("Invoice \(number)"))
                #expect(!page.html.contains(#"id="post-credit-note""#) && !page.html.contains(#"id="delete-credit-note""#))
                let stock = try await StockStore(pool: pool).pickSerials(product: "TV", location: "MAIN")
                #expect(stock.map(\.serial) == ["TV-2"], "the TV is back in stock")
                page = try await poster.send(client, .get, "/console/invoices/\(id)")
                #expect(page.html.contains("Credit note \(credit)</a>") && page.html.contains("1 of 2 left to credit"))
                #expect(!page.html.contains(#"id="cn-serial-1-2""#) && page.html.contains(#"id="cn-serial-1-1""#), "TV-2 has come back")

                page = try await poster.send(client, .get, "/console/credit-notes/\(second.id)")
                #expect(page.html.contains("It cannot be posted") && page.html.contains("serial TV-2 has come back already"))
                #expect(page.html.contains(#"id="post-credit-note" aria-disabled="true" aria-describedby="findings" title="Post is not possible: "#))
                page = try await poster.send(client, .post, "/console/credit-notes/\(second.id)/post", form: [("csrf", poster.csrf)])
                #expect(page.status == 303, "without JavaScript the button still submits: the posting service refuses it")
                page = try await poster.send(client, .get, "/console/credit-notes/\(second.id)")
                #expect(page.html.contains(#"class="flash flash-error""#) && page.html.contains("has come back already"))
                #expect(try await CreditNoteStore(pool: pool).creditNote(second.id).isPosted == false)
            }
        }
    }

    @Test("a credit note form beyond what is left, or with nothing given, is shown again with why, and makes nothing")
    func refusedCreditNote() async throws {
        try await withConsole { app, pool, secrets in
            let (id, number) = try await postedTelevisions(pool)
            try await app.test(.router) { client in
                let clerk = ConsoleBrowser()
                _ = try await clerk.signIn(client, secrets[.clerk]!)
                _ = try await clerk.send(client, .get, "/console/invoices/\(id)")
                var page = try await clerk.send(
                    client, .post, "/console/invoices/\(id)/credit-notes",
                    form: [("csrf", clerk.csrf), ("quantity-1", "3"), ("return-1", "1"), ("location-1", "MAIN"), ("reason", "too many")])
                #expect(page.status == 422 && page.html.contains(#"id="credit-form""#))
                #expect(page.html.contains("Invoice line 1 (TV): 3 credited, but it has 2 left to credit"), "the database's message")
                #expect(page.html.contains(#"value="3" aria-describedby="cn-left-1 credit-error" aria-invalid="true""#), "the field as typed, marked")
                #expect(page.html.contains(#"value="too many""#))
                #expect(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).isEmpty, "nothing made")

                page = try await clerk.send(client, .post, "/console/invoices/\(id)/credit-notes", form: [("csrf", clerk.csrf), ("return-1", "1")])
                #expect(page.status == 400 && page.html.contains("Nothing was given to credit, so nothing was drafted"))
                page = try await clerk.send(
                    client, .post, "/console/invoices/\(id)/credit-notes", form: [("csrf", clerk.csrf), ("quantity-1", "two")])
                #expect(page.status == 400 && page.html.contains("Invoice line 1, quantity to credit: write a quantity"))
                page = try await clerk.send(
                    client, .post, "/console/invoices/\(id)/credit-notes", form: [("csrf", clerk.csrf), ("quantity-1", "1"), ("return-1", "1")])
                #expect(page.status == 400 && page.html.contains("name the ones that come back"), "one of two TVs needs its serial")
                #expect(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).isEmpty, "nothing made")

                // The whole invoice is its own button: all that is left, the goods back where they left from.
                page = try await clerk.send(
                    client, .post, "/console/invoices/\(id)/credit-notes", form: [("csrf", clerk.csrf), ("whole", "1"), ("return", "1")])
                #expect(page.status == 303)
                let note = try #require(try await CreditNoteStore(pool: pool).list(invoiceNumber: number).first)
                let whole = try await CreditNoteStore(pool: pool).creditNote(note.id)
                #expect(whole.total == 1210 && Set(whole.lines[0].serials.map(\.serial)) == ["TV-1", "TV-2"])
            }
        }
    }

    @Test(
        "the Adjustments page: a clerk checks a file (problems by row and cell, or a good file's totals per customer), imports it, exports a workbook; a reader may not import; a forged form imports nothing"
    )
    func adjustmentsPage() async throws {
        try await withConsole { app, pool, secrets in
            try await app.test(.router) { client in
                func count() async throws -> Int { try await pool.query("SELECT count(*) FROM report.adjustments")[0].decode(0, as: Int.self) }
                let clerk = ConsoleBrowser()
                _ = try await clerk.signIn(client, secrets[.clerk]!)
                var page = try await clerk.send(client, .get, "/console/adjustments")
                #expect(page.status == 200 && page.html.contains("Import a file") && page.html.contains(#"enctype="multipart/form-data""#))
                let bad = "Customer Code,Adjustment Date,Amount\nACME,2026-03-01,x\nNOPE,2026-03-02,1\n"
                page = try await clerk.upload(client, file: bad, name: "bad.csv", fields: [("csrf", clerk.csrf), ("check", "1")])
                #expect(page.status == 200 && page.html.contains("bad.csv: 2 problems in 2 of 2 rows; nothing was imported"))
                #expect(page.html.contains("<td>C2</td><td>Amount</td>") && page.html.contains("<td>A3</td><td>Customer Code</td>"))
                let good = "Customer Code,Adjustment Date,Amount\nACME,2026-03-01,-10.25\nacme,2026-03-02,5\nHOLD,2026-03-02,1\n"
                page = try await clerk.upload(client, file: good, name: "good.csv", fields: [("csrf", clerk.csrf), ("check", "1")])
                #expect(page.status == 200 && page.html.contains("good.csv: 3 rows can be imported"))
                #expect(page.html.contains("<td>ACME</td><td>EUR</td><td class=\"num\">2</td><td class=\"num\">-5.25</td>"))
                #expect(try await count() == 0, "a check imports nothing")
                page = try await clerk.upload(client, file: good, name: "good.csv", fields: [("csrf", clerk.csrf), ("import", "1")])
                #expect(page.status == 303 && page.location?.hasPrefix("/console/adjustments?batch=") == true)
                page = try await clerk.send(client, .get, page.location!)
                #expect(page.html.contains("Imported 3 adjustments from good.csv as batch"))
                #expect(try await count() == 3)

                page = try await clerk.send(client, .get, "/console/adjustments/export?format=xlsx&customer=ACME")
                #expect(page.status == 200 && page.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                #expect(page.headers[.contentDisposition]?.contains("adjustments.xlsx") == true && page.html.hasPrefix("PK"))
                page = try await clerk.send(client, .get, "/console/adjustments/export?format=csv&from=2026-03-02")
                #expect(page.html.split(separator: "\n").count == 3, "the headings and the two rows of 2 March")
                page = try await clerk.send(client, .get, "/console/adjustments/export?from=yesterday")
                #expect(page.status == 400 && page.html.contains("a date is written YYYY-MM-DD"))

                page = try await clerk.upload(client, file: good, name: "good.csv", fields: [("csrf", "forged"), ("import", "1")])
                #expect(page.status == 403)
                let reader = ConsoleBrowser()
                _ = try await reader.signIn(client, secrets[.reader]!)
                page = try await reader.send(client, .get, "/console/adjustments")
                #expect(!page.html.contains("Import a file"), "a reader sees only the export")
                page = try await reader.upload(
                    client, file: good, name: "good.csv", fields: [("csrf", reader.csrf), ("import", "1"), ("allow_duplicate", "1")])
                #expect(page.status == 403)
                #expect(try await count() == 3)
            }
        }
    }
}

extension ConsoleBrowser {
    /// Sends the console's file form as a browser does: multipart/form-data, the fields, then the file.
    func upload(_ client: some TestClientProtocol, file: String, name: String, fields: [(String, String)]) async throws -> Page {
        let boundary = "----postgate\(UUID().uuidString)"
        var body = ""
        for (field, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"\r\n\r\n\(value)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: text/csv\r\n\r\n\(file)\r\n"
        body += "--\(boundary)--\r\n"
        var headers: HTTPFields = [HTTPField.Name("Host")!: "localhost", .origin: origin, .contentType: "multipart/form-data; boundary=\(boundary)"]
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return try await client.execute(uri: "/console/adjustments/import", method: .post, headers: headers, body: ByteBuffer(string: body)) {
            response in
            Page(status: Int(response.status.code), html: String(buffer: response.body), headers: response.headers)
        }
    }
}

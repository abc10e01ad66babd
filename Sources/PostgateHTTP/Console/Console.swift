import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import Postgate
import Postgres

/// The operator console under `/console`: server-rendered pages (templates in `console/templates`,
/// rendered with Mustache, which escapes every value) for mass posting and the work around it.
/// It signs in with the service's tokens, keeps the session in an HttpOnly, SameSite=Strict
/// cookie, checks a CSRF token on every form, and shows and allows only what the token's role may
/// do. Every change goes through the same stores and posting service as the API.
struct Console: Sendable {
    let pool: PostgresPool
    let templates: MustacheLibrary
    let assets: [String: (type: String, body: ByteBuffer)]
    let sessions: ConsoleSessions
    /// How long a posting run this instance starts is held without renewal.
    let runLease: Duration
    /// The largest file a clerk uploads, in bytes (the service's upload limit).
    let uploadLimit: Int

    /// The posting runs of `actor`, with this instance's lease.
    func postingRuns(actor: String) -> PostingRuns { PostingRuns(pool: pool, actor: actor, lease: runLease) }

    /// The console's files: `POSTGATE_CONSOLE`, else where Postgate installs them
    /// (`share/postgate/console`) or the source tree's `console` folder.
    static func folder() throws -> URL {
        if let folder = ProcessInfo.processInfo.environment["POSTGATE_CONSOLE"], !folder.isEmpty {
            guard FileManager.default.fileExists(atPath: folder + "/templates") else {
                throw ConsoleSetupError(message: "POSTGATE_CONSOLE names \(folder), which has no templates folder")
            }
            return URL(fileURLWithPath: folder)
        }
        guard let folder = InstalledFiles.folder("console", holding: "templates") else {
            throw ConsoleSetupError(
                message:
                    "the console's files are not in share/postgate/console beside the executable's folder nor in \(InstalledFiles.sourceTree("console")); set POSTGATE_CONSOLE"
            )
        }
        return URL(fileURLWithPath: folder)
    }

    init(pool: PostgresPool, sessions: ConsoleSessions? = nil, runLease: Duration = .seconds(30), uploadLimit: Int = 200 << 20) throws {
        self.pool = pool
        self.runLease = runLease
        self.uploadLimit = uploadLimit
        self.sessions = sessions ?? ConsoleSessions(pool: pool)
        let folder = try Self.folder()
        var library = MustacheLibrary()
        let templatesFolder = folder.appendingPathComponent("templates")
        for file in try FileManager.default.contentsOfDirectory(atPath: templatesFolder.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: templatesFolder.appendingPathComponent(file), encoding: .utf8)
            try library.register(text, named: String(file.dropLast(".mustache".count)))
        }
        templates = library
        var assets: [String: (type: String, body: ByteBuffer)] = [:]
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "svg": "image/svg+xml"]
        let assetsFolder = folder.appendingPathComponent("assets")
        for file in try FileManager.default.contentsOfDirectory(atPath: assetsFolder.path) {
            guard let type = types[URL(fileURLWithPath: file).pathExtension] else { continue }
            assets[file] = (type, ByteBuffer(data: try Data(contentsOf: assetsFolder.appendingPathComponent(file))))
        }
        self.assets = assets
    }

    /// Every page's routes, a collection per page (each in the page's own file).
    func register<Context: RequestContext>(on router: Router<Context>) {
        registerSession(on: router)
        registerMassPosting(on: router)
        registerInvoice(on: router)
        registerCreditNotes(on: router)
        registerCustomers(on: router)
        registerAdjustments(on: router)
    }

    /// The console's entry, its assets, signing in and out.
    func registerSession<Context: RequestContext>(on router: Router<Context>) {
        router.get("console") { _, _ in Self.redirect("/console/invoices") }
        router.get("console/assets/{file}") { _, context in
            guard let file = context.parameters.get("file"), let asset = assets[file] else { return Response(status: .notFound) }
            return Response(
                status: .ok, headers: [.contentType: asset.type, .cacheControl: "no-cache", .init("X-Content-Type-Options")!: "nosniff"],
                body: .init(byteBuffer: asset.body))
        }
        router.get("console/sign-in") { request, _ in await signInPage(request) }
        router.post("console/sign-in") { request, _ in await signIn(request) }
        router.post("console/sign-out") { request, _ in await signOut(request) }
    }

    /// A path segment as the page names it: links encode codes (`ConsoleFormat.path`), so a code
    /// with `/`, `<`, `%` or spaces in it comes back whole.
    static func segment(_ raw: String?) -> String {
        guard let raw else { return "" }
        return raw.removingPercentEncoding ?? raw
    }

    static func invoiceID(_ text: String?) throws -> Int64 {
        guard let text, let id = Int64(text), id > 0 else { throw ConsoleInputError(field: "invoice", message: "an invoice id is a whole number") }
        return id
    }

    // MARK: Who is signed in

    /// What a page or form needs of the token's role.
    enum Need { case read, edit, post }

    struct User: Sendable {
        let session: ConsoleSession
        let token: APIToken

        var canEdit: Bool { token.role != .reader }
        var canPost: Bool { token.role == .poster }

        func may(_ need: Need) -> Bool {
            switch need {
            case .read: true
            case .edit: canEdit
            case .post: canPost
            }
        }

        /// What every page shows around its content.
        func chrome(_ title: String, flash: (kind: String, text: String)?) -> Chrome {
            Chrome(
                title: title, user: token.name, role: token.role.rawValue, csrf: session.csrf, canEdit: canEdit, canPost: canPost,
                flash: flash.map { Chrome.Flash(kind: $0.kind, text: $0.text) })
        }
    }

    struct Chrome: Sendable {
        struct Flash: Sendable {
            var kind: String
            var text: String
        }
        var title: String
        var user: String
        var role: String
        var csrf: String
        var canEdit: Bool
        var canPost: Bool
        var flash: Flash?
    }

    /// The user of the request's session, if it is live and its token still known.
    func user(_ request: Request) async throws -> User? {
        // The session's row goes with its token: a removed token has no sessions.
        guard let (session, token) = try await sessions.session(request.cookies[ConsoleSessions.cookie]?.value) else { return nil }
        return User(session: session, token: token)
    }

    /// A page for a signed-in user: to the sign-in page otherwise, and errors as pages.
    func page(_ request: Request, _ body: (User) async throws -> Response) async -> Response {
        do {
            guard let user = try await user(request) else {
                let next = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
                return Self.redirect("/console/sign-in?next=" + ConsoleFormat.query(next))
            }
            do {
                return try await body(user)
            } catch {
                return errorPage(error, user: user)
            }
        } catch {
            return errorPage(error, user: nil)
        }
    }

    /// A form's action: a live session, the form's CSRF token, a same-origin request and the
    /// role's right, else refused with nothing changed. The body answers with a redirect; what it
    /// throws comes back as a message on the page it names (`back`), or the previous page.
    func action(_ request: Request, needs: Need, _ body: (User, ConsoleForm) async throws -> Response) async -> Response {
        do {
            guard let user = try await user(request) else {
                return render(
                    "sign-in",
                    SignInPage(title: "Sign in", error: "Your session has ended. Sign in again, then repeat what you did.", csrf: "", next: nil),
                    status: .unauthorized)
            }
            let form = try await ConsoleForm.body(of: request)
            if let refused = refusal(request, csrf: form["csrf"], user: user, needs: needs) { return refused }
            do {
                return try await body(user, form)
            } catch {
                await sessions.flash("error", Self.describe(error), in: user.session.id)
                return Self.redirect(Self.back(request))
            }
        } catch {
            return errorPage(error, user: nil)
        }
    }

    /// The page refusing a form that did not come from this session's page (its security token
    /// missing or wrong, or sent from elsewhere), or that asks what the user's role may not do; nil
    /// when it may go on. `nothing` says what did not happen, `again` how to try again, `role`
    /// what the form needs.
    func refusal(
        _ request: Request, csrf: String?, user: User, needs: Need, nothing: String = "nothing was changed",
        again: String = "submit it again; forms are accepted only from this console", role: String? = nil
    ) -> Response? {
        guard Self.sameOrigin(request), let csrf, ConsoleSessions.same(csrf, user.session.csrf) else {
            return render(
                "message",
                MessagePage(
                    chrome: user.chrome("Refused", flash: nil), heading: "The form was refused",
                    text: "The form did not carry this session's security token, so \(nothing). Reload the page and \(again)."),
                status: .forbidden)
        }
        guard user.may(needs) else {
            return render(
                "message",
                MessagePage(
                    chrome: user.chrome("Not allowed", flash: nil), heading: "Your token's role may not do that",
                    text: "You signed in with \(user.token.name), a \(user.token.role.rawValue) token: "
                        + (role ?? (needs == .post ? "posting needs a poster's token." : "changes need a clerk's or a poster's token."))),
                status: .forbidden)
        }
        return nil
    }

    /// Where a refused form goes back to: the page it came from, when that is a console page.
    static func back(_ request: Request) -> String {
        if let referer = request.headers[.referer], let url = URL(string: referer), url.path.hasPrefix("/console") {
            return url.path + (url.query.map { "?" + $0 } ?? "")
        }
        return "/console/invoices"
    }

    /// A form from another site is refused even if a browser sent the cookie: its Origin (or
    /// Referer) must name this host.
    static func sameOrigin(_ request: Request) -> Bool {
        let origin = request.headers[.origin] ?? request.headers[.referer]
        guard let origin, origin != "null" else { return request.headers[.origin] == nil }
        guard let host = URL(string: origin)?.host, let requestHost = request.head.authority ?? request.headers[HTTPField.Name("Host")!] else {
            return false
        }
        let ownHost = requestHost.split(separator: ":").first.map(String.init) ?? requestHost
        let port = URL(string: origin)?.port.map(String.init)
        let ownPort = requestHost.split(separator: ":").dropFirst().first.map(String.init)
        return host.lowercased() == ownHost.lowercased() && (port ?? "80") == (ownPort ?? "80")
    }

    // MARK: Sign-in

    struct SignInPage: Sendable {
        var title: String
        var error: String?
        var csrf: String
        var next: String?
    }

    func signInPage(_ request: Request) async -> Response {
        if (try? await user(request)) != nil { return Self.redirect("/console/invoices") }
        let csrf = ConsoleSessions.randomToken()
        var response = render(
            "sign-in", SignInPage(title: "Sign in", error: nil, csrf: csrf, next: Self.next(ConsoleForm.query(of: request)["next"])))
        response.setCookie(Self.cookie(ConsoleSessions.signInCookie, csrf, request: request, maxAge: 3600, path: "/console/sign-in"))
        return response
    }

    /// Only a console path may be where sign-in leads.
    static func next(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/console/"), !text.hasPrefix("//"), !text.contains("\\") else { return nil }
        return text
    }

    func signIn(_ request: Request) async -> Response {
        let form: ConsoleForm
        do { form = try await ConsoleForm.body(of: request) } catch { return errorPage(error, user: nil) }
        let next = Self.next(form["next"])
        func refuse(_ message: String, status: HTTPResponse.Status) -> Response {
            let csrf = ConsoleSessions.randomToken()
            var response = render("sign-in", SignInPage(title: "Sign in", error: message, csrf: csrf, next: next), status: status)
            response.setCookie(Self.cookie(ConsoleSessions.signInCookie, csrf, request: request, maxAge: 3600, path: "/console/sign-in"))
            return response
        }
        guard Self.sameOrigin(request), let csrf = form["csrf"], let cookie = request.cookies[ConsoleSessions.signInCookie]?.value,
            ConsoleSessions.same(csrf, cookie)
        else {
            return refuse("The sign-in form had expired or came from elsewhere, so it was refused. Enter your token again.", status: .forbidden)
        }
        guard let presented = form["token"] else { return refuse("Enter your token: the field Token is empty.", status: .badRequest) }
        let started: ConsoleSession?
        do { started = try await sessions.start(presentedToken: presented) } catch {
            return refuse(Self.describe(error), status: .serviceUnavailable)
        }
        guard let session = started else {
            return refuse(
                "That token is not known: it is not one of this service's, or it was removed. Ask an administrator for one (postgate tokens add NAME --role poster).",
                status: .unauthorized)
        }
        var response = Self.redirect(next ?? "/console/invoices")
        response.setCookie(Self.cookie(ConsoleSessions.cookie, session.id, request: request, maxAge: nil, path: "/console"))
        response.setCookie(Self.cookie(ConsoleSessions.signInCookie, "", request: request, maxAge: 0, path: "/console/sign-in"))
        return response
    }

    func signOut(_ request: Request) async -> Response {
        await action(request, needs: .read) { user, _ in
            await sessions.end(user.session.id)
            var response = Self.redirect("/console/sign-in")
            response.setCookie(Self.cookie(ConsoleSessions.cookie, "", request: request, maxAge: 0, path: "/console"))
            return response
        }
    }

    /// A cookie for this console: HttpOnly, SameSite=Strict, and Secure when the request came
    /// over HTTPS (through a proxy that says so).
    static func cookie(_ name: String, _ value: String, request: Request, maxAge: Int?, path: String) -> Cookie {
        let secure = request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https" || request.head.scheme == "https"
        return Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    // MARK: Answers

    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .init("X-Frame-Options")!: "DENY", .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "same-origin",
    ]

    func render(_ template: String, _ model: Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = templates.render(model, withTemplate: template) ?? "<!doctype html><title>Missing page</title><p>The page \(template) is missing."
        return Response(status: status, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func json(_ value: some Encodable) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    struct MessagePage: Sendable {
        var chrome: Chrome?
        var heading: String
        var text: String
    }

    /// What went wrong, in the words the API uses: what happened and what to do.
    static func describe(_ error: Error) -> String {
        if let input = error as? ConsoleInputError { return "\(input.field): \(input.message)." }
        let problem = Problem(error)
        return problem.body.detail ?? problem.body.title
    }

    func errorPage(_ error: Error, user: User?) -> Response {
        let status: HTTPResponse.Status
        let heading: String
        if error is ConsoleInputError {
            status = .badRequest
            heading = "That cannot be shown"
        } else {
            let problem = Problem(error)
            status = .init(code: problem.status)
            heading = problem.status == DomainError.Kind.notFound.status ? "Not found" : problem.body.title
        }
        return render(
            "message", MessagePage(chrome: user?.chrome(heading, flash: nil), heading: heading, text: Self.describe(error)), status: status)
    }
}

struct ConsoleSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

import Crypto
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// A signed-in console user's session: its id (the cookie's value, kept in the database only as
/// its SHA-256) and the CSRF token every form of theirs carries.
struct ConsoleSession: Sendable {
    let id: String
    let csrf: String
}

/// A preview as the console keeps it for its page: its token and what was selected. The
/// verdicts are kept with the preview in the database and read back a page at a time.
struct ConsolePreview: Sendable {
    let token: UUID
    /// What was selected, in words ("3 selected invoices", "all 412 matching customer ACME").
    let selection: String
}

/// The console's sessions, in the database: every instance of the service reads them, so a
/// browser may be sent to any instance and a restart signs nobody out. A session ends on
/// sign-out, when its token is removed, after `idleLimit` without a request, and `lifetime` after
/// sign-in.
struct ConsoleSessions: Sendable {
    static let cookie = "postgate_console"
    /// The double-submit cookie of the sign-in form (there is no session to hold its CSRF token yet).
    static let signInCookie = "postgate_console_signin"
    let pool: PostgresPool
    let idleLimit: Duration
    let lifetime: Duration

    init(pool: PostgresPool, idleLimit: Duration = .seconds(2 * 3600), lifetime: Duration = .seconds(12 * 3600)) {
        self.pool = pool
        self.idleLimit = idleLimit
        self.lifetime = lifetime
    }

    /// 32 random bytes, URL-safe: session ids and CSRF tokens.
    static func randomToken() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether two secrets are equal, in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// How a session or token is named in the database: its SHA-256, never itself.
    static func hash(_ secret: String) -> String { TokenStore.hash(secret) }

    private static func interval(_ duration: Duration) -> String { "\(duration.components.seconds) seconds" }

    /// Signs in with the token presented: a new session, or nil when the token is not known.
    func start(presentedToken: String) async throws -> ConsoleSession? {
        let session = ConsoleSession(id: Self.randomToken(), csrf: Self.randomToken())
        let started = try await pool.query(
            """
            SELECT api.start_console_session(\(Self.hash(presentedToken)), \(Self.hash(session.id)), \(session.csrf),
                                             \(Self.interval(idleLimit))::interval, \(Self.interval(lifetime))::interval) AS started
            """)[0].decode("started", as: Bool.self)
        return started ? session : nil
    }

    /// The live session with this id and its token, touched; nil when unknown, ended, expired, or
    /// its token was removed.
    func session(_ id: String?) async throws -> (ConsoleSession, APIToken)? {
        guard let id, !id.isEmpty, id.utf8.count <= 100 else { return nil }
        guard
            let row = try await pool.query(
                """
                SELECT csrf, token_name, token_role
                FROM api.console_session(\(Self.hash(id)), \(Self.interval(idleLimit))::interval, \(Self.interval(lifetime))::interval)
                """
            ).first
        else { return nil }
        return (
            ConsoleSession(id: id, csrf: try row.decode("csrf")), APIToken(name: try row.decode("token_name"), role: try row.decode("token_role"))
        )
    }

    func end(_ id: String) async { _ = try? await pool.query("SELECT api.end_console_session(\(Self.hash(id)))") }

    func keep(_ preview: ConsolePreview, in id: String) async throws {
        try await pool.query(
            "SELECT api.keep_console_preview(\(Self.hash(id)), \(preview.token), \(PostgresJSON(StoredPreview(selection: preview.selection))))")
    }

    func preview(_ token: UUID, in id: String) async throws -> ConsolePreview? {
        try await pool.query("SELECT api.console_preview(\(Self.hash(id)), \(token)) AS kept")[0]
            .decode("kept", as: PostgresJSON<StoredPreview>?.self)?.value.preview(token)
    }

    /// Leaves a message for the next page (a PRG flash), with its kind: `ok`, `warn` or `error`.
    /// A message the database cannot take is lost; the page it was for says what happened anyway.
    func flash(_ kind: String, _ text: String, in id: String) async {
        _ = try? await pool.query("SELECT api.set_console_flash(\(Self.hash(id)), \(kind), \(text))")
    }

    /// The flash message, once.
    func takeFlash(_ id: String) async -> (kind: String, text: String)? {
        guard let row = try? await pool.query("SELECT kind, message FROM api.take_console_flash(\(Self.hash(id)))").first,
            let kind = try? row.decode("kind", as: String.self), let text = try? row.decode("message", as: String.self)
        else { return nil }
        return (kind, text)
    }
}

/// A console preview as a session keeps it: what was selected (its verdicts are the preview's own
/// rows). Sessions kept before held the items too; they are read and left aside.
struct StoredPreview: Codable, Sendable {
    var selection: String

    func preview(_ token: UUID) -> ConsolePreview {
        ConsolePreview(token: token, selection: selection)
    }
}

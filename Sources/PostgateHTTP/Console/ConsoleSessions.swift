import Crypto
import Foundation
import Postgate

/// A signed-in console user: the token they signed in with (kept in this process only, never in
/// the cookie, and checked again on every request so that a removed token ends the session), the
/// CSRF token every form of theirs carries, and the previews they made.
struct ConsoleSession: Sendable {
    let id: String
    let presentedToken: String
    let csrf: String
    var lastSeen: ContinuousClock.Instant
    let started: ContinuousClock.Instant
    /// Previews by token, newest last: the preview page reads its verdicts from here.
    var previews: [(token: UUID, preview: ConsolePreview)] = []
    /// A message for the next page (a PRG flash), with its kind: `ok`, `warn` or `error`.
    var flash: (kind: String, text: String)?
}

/// A preview as the console keeps it for its page.
struct ConsolePreview: Sendable {
    let preview: Preview
    /// What was selected, in words ("3 selected invoices", "all 412 matching customer ACME").
    let selection: String
}

/// The console's sessions, in memory: a restart signs everyone out. Sessions end after
/// `idleLimit` without a request and `lifetime` after sign-in.
final class ConsoleSessions: @unchecked Sendable {
    static let cookie = "postgate_console"
    /// The double-submit cookie of the sign-in form (there is no session to hold its CSRF token yet).
    static let signInCookie = "postgate_console_signin"
    /// The most sessions kept at once.
    static let most = 10_000
    let idleLimit: Duration
    let lifetime: Duration
    private let lock = NSLock()
    private var sessions: [String: ConsoleSession] = [:]

    init(idleLimit: Duration = .seconds(2 * 3600), lifetime: Duration = .seconds(12 * 3600)) {
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

    func start(presentedToken: String) -> ConsoleSession {
        let now = ContinuousClock.now
        let session = ConsoleSession(id: Self.randomToken(), presentedToken: presentedToken, csrf: Self.randomToken(), lastSeen: now, started: now)
        lock.withLock {
            sessions = sessions.filter { now - $0.value.lastSeen < idleLimit && now - $0.value.started < lifetime }
            // However many times tokens sign in, memory stays bounded: the least recently used go first.
            if sessions.count >= Self.most {
                for id in sessions.sorted(by: { $0.value.lastSeen < $1.value.lastSeen }).prefix(sessions.count - Self.most + 1).map(\.key) {
                    sessions[id] = nil
                }
            }
            sessions[session.id] = session
        }
        return session
    }

    /// The live session with this id, touched; nil when unknown or expired.
    func session(_ id: String?) -> ConsoleSession? {
        guard let id else { return nil }
        let now = ContinuousClock.now
        return lock.withLock {
            guard var session = sessions[id] else { return nil }
            guard now - session.lastSeen < idleLimit, now - session.started < lifetime else {
                sessions[id] = nil
                return nil
            }
            session.lastSeen = now
            sessions[id] = session
            return session
        }
    }

    func end(_ id: String) { _ = lock.withLock { sessions.removeValue(forKey: id) } }

    func keep(_ preview: ConsolePreview, in id: String) {
        lock.withLock {
            sessions[id]?.previews.append((preview.preview.token, preview))
            if let count = sessions[id]?.previews.count, count > 4 { sessions[id]?.previews.removeFirst(count - 4) }
        }
    }

    func preview(_ token: UUID, in id: String) -> ConsolePreview? {
        lock.withLock { sessions[id]?.previews.last { $0.token == token }?.preview }
    }

    func flash(_ kind: String, _ text: String, in id: String) { lock.withLock { sessions[id]?.flash = (kind, text) } }

    /// The flash message, once.
    func takeFlash(_ id: String) -> (kind: String, text: String)? {
        lock.withLock {
            let flash = sessions[id]?.flash
            sessions[id]?.flash = nil
            return flash
        }
    }
}

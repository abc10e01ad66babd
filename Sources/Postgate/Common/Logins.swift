import Foundation
import Postgres

/// The access a login gets: membership in one of Postgate's group roles.
public enum AccessRole: String, Sendable, CaseIterable {
    /// Runs the Postgate service: every `api` function, posting included.
    case service
    /// Other applications: drafts, stock movements, imports; no posting.
    case client
    /// psql users: read the `report` views, write nothing.
    case reporting

    public var groupRole: String { "postgate_" + rawValue }

    /// Session defaults set on each login of this role. Role settings of a group do not reach its
    /// members, so they go on the login itself (`sql/routines/R__0900_rights.sql` sets the same
    /// ones on reporting logins that lack them). Defaults only: what a login may do is its rights.
    public var loginSettings: [(name: String, value: String)] {
        switch self {
        case .reporting: [("default_transaction_read_only", "on"), ("statement_timeout", "5min")]
        case .service, .client: []
        }
    }
}

/// A LOGIN role that belongs to one of Postgate's groups.
public struct Login: Sendable, Hashable {
    public var name: String
    public var roles: [AccessRole]
    public var hasPassword: Bool?
}

/// Why a login could not be changed; each says what to do.
public enum LoginError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidName(String)
    case reservedName(String)
    case exists(String)
    case notFound(String)
    case notPostgateLogin(String)
    case notMigrated

    public var description: String {
        switch self {
        case .invalidName(let name):
            "login name '\(name)' is not valid: use 1 to 63 lowercase letters, digits and '_', starting with a letter"
        case .reservedName(let name):
            "login name '\(name)' is reserved (names starting with postgate_ or pg_ are the system's): choose another"
        case .exists(let name):
            "a role named '\(name)' already exists: choose another name, or remove it first with 'postgate logins remove \(name)'"
        case .notFound(let name):
            "there is no login named '\(name)': 'postgate logins list' shows them"
        case .notPostgateLogin(let name):
            "'\(name)' is not a Postgate login (it belongs to none of the postgate_* groups), so it is left alone"
        case .notMigrated:
            "the database has no Postgate roles yet: run 'postgate migrate' first"
        }
    }
}

/// Creates, lists and removes logins. Needs a connection allowed to create roles (the
/// embedded server's superuser, or an administrator's).
public struct LoginStore: Sendable {
    let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public static func validate(_ name: String) throws(LoginError) {
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard (1...63).contains(name.utf8.count), allowed, let first = name.unicodeScalars.first, ("a"..."z").contains(first) else {
            throw .invalidName(name)
        }
        guard !name.hasPrefix("postgate_"), !name.hasPrefix("pg_") else { throw .reservedName(name) }
    }

    /// Creates LOGIN role `name` in the group of `role`. Without a password it can sign in only
    /// where the server trusts the connection (the embedded server's private socket).
    public func add(_ name: String, role: AccessRole, password: String?) async throws {
        try Self.validate(name)
        try await connection.withTransaction { connection in
            let groups = try await connection.query("SELECT count(*) AS n FROM pg_roles WHERE rolname = \(role.groupRole)")
            guard try groups[0].decode("n", as: Int.self) == 1 else { throw LoginError.notMigrated }
            let existing = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(name)")
            guard existing.isEmpty else { throw LoginError.exists(name) }
            // Identifiers cannot be bind parameters; PostgreSQL's own format(%I) quotes them.
            var statements = [try await format("CREATE ROLE %I LOGIN IN ROLE %I", name, role.groupRole, on: connection)]
            for setting in role.loginSettings {
                statements.append(try await format("ALTER ROLE %I SET %I = %L", name, setting.name, setting.value, on: connection))
            }
            if let password {
                let verifier = try await connection.encryptPassword(password, user: name)
                statements.append(try await format("ALTER ROLE %I PASSWORD %L", name, verifier, on: connection))
            }
            for statement in statements { try await connection.execute(unsafeSQL: statement) }
        }
    }

    /// Every login that belongs to a Postgate group, with its groups. Whether it has a
    /// password is known only to a superuser (`hasPassword` is nil otherwise).
    public func list() async throws -> [Login] {
        let superuser = try await connection.query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0].decode(0, as: Bool.self)
        let password = superuser ? "(SELECT a.rolpassword IS NOT NULL FROM pg_authid a WHERE a.oid = r.oid)" : "NULL::boolean"
        let rows = try await connection.query(
            """
            SELECT r.rolname::text AS name,
                   string_agg(g.rolname::text, ',' ORDER BY g.rolname) AS groups,
                   \(unsafeSQL: password) AS has_password
            FROM pg_roles r
            JOIN pg_auth_members m ON m.member = r.oid
            JOIN pg_roles g ON g.oid = m.roleid
            WHERE g.rolname = ANY (\(PostgresTextArray(AccessRole.allCases.map(\.groupRole))))
              AND r.rolcanlogin
            GROUP BY r.oid, r.rolname
            ORDER BY r.rolname
            """)
        return try rows.map { row in
            let groups = try row.decode("groups", as: String.self).split(separator: ",")
            return Login(
                name: try row.decode("name"),
                roles: groups.compactMap { group in AccessRole.allCases.first { $0.groupRole == group } },
                hasPassword: try row.decode("has_password", as: Bool?.self))
        }
    }

    /// Drops a login made by `add`. Roles outside Postgate's groups are refused.
    public func remove(_ name: String) async throws {
        try Self.validate(name)
        let logins = try await list()
        guard logins.contains(where: { $0.name == name }) else {
            let exists = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(name)")
            throw exists.isEmpty ? LoginError.notFound(name) : LoginError.notPostgateLogin(name)
        }
        try await connection.execute(unsafeSQL: try await format("DROP ROLE %I", name, on: connection))
    }

    private func format(_ template: String, _ values: String..., on connection: PostgresConnection) async throws -> String {
        var query = PostgresQuery(unsafeSQL: "SELECT format(\(PostgresQuery.quoteLiteral(template))")
        for value in values { query.append(", \(value)::text") }
        query.append(")")
        return try await connection.query(query)[0].decode(0, as: String.self)
    }
}

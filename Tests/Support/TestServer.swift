import Foundation
import Postgres
import PostgresServer

/// The PostgreSQL server of one test run: the one `DATABASE_URL` or the `PG*` variables name,
/// else an embedded cluster started once in a temporary folder and stopped when the run ends.
/// A template database is migrated once; each test gets a fresh database cloned from it.
public actor TestServer {
    public static let shared = TestServer()

    struct Prepared: Sendable {
        var admin: ConnectionConfig
        var template: String
        /// Connection settings that lead through the pooler (none when tests connect straight).
        var pooler: [(String, String)]

        /// `config` as the tests use it: through the pooler, if any.
        func pooled(_ config: ConnectionConfig) -> ConnectionConfig {
            pooler.reduce(config) { $0.with($1.0, $1.1) }
        }
    }

    private var preparing: Task<Prepared, any Error>?
    private var counter = 0

    /// The SQL the template is migrated with: `POSTGATE_SQL_DIR`, else the repository's `sql/`.
    public static let sqlDirectory =
        ProcessInfo.processInfo.environment["POSTGATE_SQL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        ?? URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("sql").path

    func prepared() async throws -> Prepared {
        if let preparing { return try await preparing.value }
        let task = Task { try await Self.prepare() }
        preparing = task
        return try await task.value
    }

    /// What `POSTGATE_TEST_POOLER` asks: `pgbouncer` starts a PgBouncer in transaction mode in
    /// front of the server (which must be on this machine); `host=127.0.0.1 port=6432` names one
    /// already running in front of it. Tests then connect through it, with the same user;
    /// databases are made and dropped straight on the server.
    static let poolerSetting = ProcessInfo.processInfo.environment["POSTGATE_TEST_POOLER"] ?? ""

    /// True when the tests run through a pooler.
    public static var throughPooler: Bool { !poolerSetting.isEmpty }

    /// Starts a PgBouncer in front of the server `admin` reaches, and returns how to reach it.
    private static func startPooler(admin: ConnectionConfig, folder: String) async throws -> [(String, String)] {
        let connection = try await PostgresConnection.connect(admin)
        let rows = try await connection.query(
            """
            SELECT split_part(current_setting('unix_socket_directories'), ',', 1) AS socket, current_setting('port')::int AS port,
                   current_user AS login
            FROM pg_roles WHERE rolname = current_user AND rolsuper
            """)
        await connection.close()
        guard let row = rows.first else {
            throw TestServerError("POSTGATE_TEST_POOLER=pgbouncer needs a superuser login of a server on this machine")
        }
        let port = try freeLoopbackPort()
        let bouncer = PgBouncer(folder: folder, port: port)
        try await bouncer.start(
            socketFolder: try row.decode("socket"), serverPort: try row.decode("port"), authUser: try row.decode("login"),
            poolSize: 20, maxClients: 2000)
        poolerToStop = bouncer
        atexit {
            if let bouncer = poolerToStop {
                bouncer.signalStop()
                try? FileManager.default.removeItem(atPath: bouncer.folder)
            }
        }
        return [("host", "127.0.0.1"), ("port", String(port))]
    }

    func nextName() -> String {
        counter += 1
        return "test_\(getpid())_\(counter)"
    }

    private static func prepare() async throws -> Prepared {
        let admin: ConnectionConfig
        if ConnectionConfig.environmentNamesServer() {
            admin = ConnectionConfig.environment()
        } else {
            let folder = NSTemporaryDirectory() + "postgate-test-\(getpid())"
            let cluster = LocalCluster(root: folder)
            try await cluster.start(settings: [
                "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "500",
            ])
            clusterToStop = cluster
            atexit {
                // An exit handler cannot wait for pg_ctl: the server is signalled to stop, and
                // waited for briefly before its folder is removed.
                if let cluster = clusterToStop {
                    cluster.signalStop()
                    for _ in 0..<100 {
                        guard case .running? = try? cluster.status() else { break }
                        usleep(50_000)
                    }
                    try? FileManager.default.removeItem(atPath: cluster.root)
                }
            }
            admin = cluster.connectionConfig(database: "postgres")
        }
        let template = "postgate_template_\(getpid())"
        let connection = try await PostgresConnection.connect(admin)
        try await connection.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(template)) WITH (FORCE)")
        try await connection.execute(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(template)) TEMPLATE template0")
        await connection.close()
        let templateConnection = try await PostgresConnection.connect(admin.with("dbname", template))
        try await Migrator(directory: sqlDirectory).migrate(templateConnection)
        await templateConnection.close()
        var pooler: [(String, String)] = []
        if poolerSetting == "pgbouncer" {
            pooler = try await startPooler(admin: admin, folder: NSTemporaryDirectory() + "postgate-test-pgbouncer-\(getpid())")
        } else if !poolerSetting.isEmpty {
            for pair in poolerSetting.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw TestServerError("POSTGATE_TEST_POOLER: \(pair) is not key=value") }
                pooler.append((parts[0], parts[1]))
            }
        }
        return Prepared(admin: admin, template: template, pooler: pooler)
    }
}

nonisolated(unsafe) private var clusterToStop: LocalCluster?
nonisolated(unsafe) private var poolerToStop: PgBouncer?

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A TCP port on the loopback that nothing listens on now.
func freeLoopbackPort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw TestServerError("no socket for finding a free port") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw TestServerError("cannot bind a loopback port: " + String(cString: strerror(errno))) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A database of its own for one test.
public struct TestDatabase: Sendable {
    public let name: String
    public let config: ConnectionConfig
    /// How to reach the server's maintenance database as an administrator.
    public let admin: ConnectionConfig

    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(config)
    }
}

/// Runs `body` with a fresh database: a copy of the migrated template, or an empty one when
/// `migrated` is false. The database is dropped afterwards.
public func withTestDatabase<T: Sendable>(
    migrated: Bool = true,
    _ body: (TestDatabase) async throws -> T
) async throws -> T {
    let server = try await TestServer.shared.prepared()
    let name = await TestServer.shared.nextName()
    let admin = try await PostgresConnection.connect(server.admin)
    let source = migrated ? server.template : "template0"
    try await admin.execute(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(name)) TEMPLATE \(PostgresQuery.quoteIdentifier(source))")
    if migrated {
        try await copyDatabaseRights(from: source, to: name, on: admin)
    }
    let database = TestDatabase(name: name, config: server.pooled(server.admin).with("dbname", name), admin: server.admin)
    do {
        let value = try await body(database)
        try await admin.execute(unsafeSQL: "DROP DATABASE \(PostgresQuery.quoteIdentifier(name)) WITH (FORCE)")
        await admin.close()
        return value
    } catch {
        _ = try? await admin.execute(unsafeSQL: "DROP DATABASE \(PostgresQuery.quoteIdentifier(name)) WITH (FORCE)")
        await admin.close()
        throw error
    }
}

/// CREATE DATABASE copies a template's contents but not the rights on the database itself
/// (CONNECT, CREATE, TEMPORARY), which the migrations set: the copy is given the template's.
private func copyDatabaseRights(from template: String, to name: String, on admin: PostgresConnection) async throws {
    let grants = try await admin.query(
        """
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee, a.privilege_type AS privilege
        FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
        WHERE d.datname = \(template)
        """)
    var statements = ["REVOKE ALL ON DATABASE \(PostgresQuery.quoteIdentifier(name)) FROM PUBLIC"]
    for grant in grants {
        let privilege = try grant.decode("privilege", as: String.self)
        let grantee = try grant.decode("grantee", as: String.self)
        statements.append("GRANT \(privilege) ON DATABASE \(PostgresQuery.quoteIdentifier(name)) TO \(grantee)")
    }
    try await admin.execute(unsafeSQL: statements.joined(separator: ";\n"))
}

/// Runs `body` with one connection to a fresh database.
public func withTestConnection<T: Sendable>(
    migrated: Bool = true,
    _ body: (PostgresConnection) async throws -> T
) async throws -> T {
    try await withTestDatabase(migrated: migrated) { database in
        let connection = try await database.connect()
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}

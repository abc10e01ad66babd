import Foundation
import Postgres

/// A private PostgreSQL server for one project folder or one test run: `initdb` into a data
/// folder, `pg_ctl` to start and stop it, reachable on a Unix socket in a private folder (TCP
/// only when a port is asked for).
///
/// Layout under `root`: `cluster/` (the data directory), `socket/` (the Unix socket, unless
/// the path is too long for one, then a private folder under /tmp), `server.log`.
///
/// PostgreSQL refuses to run as root. When this process is root, the server runs as the
/// unprivileged `postgres` account (which Debian's package creates): the folders are handed to
/// it, and folders above `root` that it could not pass through get search (`o+x`) permission.
public struct LocalCluster: Sendable {
    public let root: String
    /// The superuser `initdb` creates.
    public let superuser = "postgres"
    /// Port used in the socket name, and for TCP when it is on.
    public let defaultPort = 5432

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    public var dataDirectory: String { root + "/cluster" }
    public var logFile: String { root + "/server.log" }

    /// The socket folder: inside `root` when the socket path fits the kernel's 107-byte limit.
    public var socketDirectory: String {
        let inside = root + "/socket"
        if inside.utf8.count + "/.s.PGSQL.65535".utf8.count < 100 { return inside }
        return "/tmp/postgate-" + String(Checksum.sha256(Array(root.utf8)).prefix(12))
    }

    public enum Status: Sendable, Equatable {
        case notInitialized
        case stopped
        case running(pid: Int, port: Int)
    }

    // MARK: Lifecycle

    /// Creates the cluster if the data folder has none. Returns true when it created one.
    @discardableResult
    public func initialize() async throws(LocalClusterError) -> Bool {
        if FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") { return false }
        let binaries = try await Self.serverBinaries()
        let account = try Self.serverAccount()
        try prepareFolders(for: account)
        let result = try await Self.run(
            binaries + "/initdb",
            [
                "--pgdata=" + dataDirectory, "--username=" + superuser, "--encoding=UTF8", "--locale=C",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions",
            ], as: account, in: root)
        guard result.status == 0 else { throw .commandFailed("initdb", result.output) }
        let settings = """

            # Postgate embedded server: private Unix socket, no TCP unless started with a port.
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory.replacingOccurrences(of: "'", with: "''"))'
            unix_socket_permissions = 0700
            port = \(defaultPort)
            log_min_messages = warning

            """
        try appendToConfiguration(settings)
        return true
    }

    /// The replication slot a standby of this folder streams through, on its primary.
    public var standbySlot: String { "postgate_standby_" + String(Checksum.sha256(Array(root.utf8)).prefix(12)) }

    /// Makes this folder a hot standby of `primary` (which must run): a base backup of it taken
    /// with `pg_basebackup -R`, streaming through a replication slot of its own, so the primary
    /// keeps the WAL the standby has not received yet. Returns false when the folder already
    /// holds a cluster (a standby made before, or any other).
    @discardableResult
    public func initializeStandby(of primary: LocalCluster) async throws(LocalClusterError) -> Bool {
        if FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") { return false }
        guard case .running(_, let primaryPort) = try primary.status() else {
            throw .invalidSetting("the primary in \(primary.root) is not running: start it first (postgate db start --data \(primary.root))")
        }
        guard primary.root != root else { throw .invalidSetting("a server cannot be a standby of itself: give --data another folder") }
        let binaries = try await Self.serverBinaries()
        let account = try Self.serverAccount()
        try prepareFolders(for: account)
        // A slot left by an earlier standby of this folder is reused, not refused.
        let slotExists: Bool
        do {
            let connection = try await PostgresConnection.connect(primary.connectionConfig(database: "postgres"))
            slotExists = !(try await connection.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = \(standbySlot)")).isEmpty
            await connection.close()
        } catch {
            throw .commandFailed("pg_basebackup", "cannot reach the primary in \(primary.root): \(error)")
        }
        let result = try await Self.run(
            binaries + "/pg_basebackup",
            [
                "--pgdata=" + dataDirectory, "--host=" + primary.socketDirectory, "--port=" + String(primaryPort), "--username=" + superuser,
                "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast", "--slot=" + standbySlot,
            ] + (slotExists ? [] : ["--create-slot"]), as: account, in: root)
        guard result.status == 0 else { throw .commandFailed("pg_basebackup", result.output) }
        // The copy carries the primary's settings: this one has a socket of its own, answers
        // read-only queries, and tells the primary which rows its queries still read, so that a
        // long report is not cancelled by the primary's vacuum.
        let settings = """

            # Postgate embedded standby of \(primary.root)
            unix_socket_directories = '\(socketDirectory.replacingOccurrences(of: "'", with: "''"))'
            hot_standby = on
            hot_standby_feedback = on

            """
        try appendToConfiguration(settings)
        try? FileManager.default.removeItem(atPath: portFile)
        return true
    }

    /// True when the folder's cluster is a standby (it has `standby.signal`).
    public var isStandby: Bool { FileManager.default.fileExists(atPath: dataDirectory + "/standby.signal") }

    /// Where a port given to `start` is remembered.
    var portFile: String { root + "/tcp-port" }

    /// The TCP port the server was last started with, if any.
    public var rememberedPort: Int? {
        (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Starts the server (initialising it first if needed) and waits until it accepts
    /// connections. `port` turns TCP on for localhost; `settings` are extra server settings
    /// (for example `fsync=off` for tests).
    /// A port given once is remembered in the cluster's folder, so a later start without one (a
    /// command that starts the server when it finds it stopped) listens on it again.
    public func start(port: Int? = nil, settings: [String: String] = [:]) async throws(LocalClusterError) {
        var options: [String] = []
        let given = port
        if let port = port ?? rememberedPort {
            guard (1...65535).contains(port) else { throw .invalidSetting("port \(port) is not between 1 and 65535") }
            options += ["-p", String(port), "-c", "listen_addresses=localhost"]
        }
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_.-"))
            guard !name.isEmpty, name.unicodeScalars.allSatisfy(allowed.contains), value.unicodeScalars.allSatisfy(allowed.contains) else {
                throw .invalidSetting("\(name)=\(value): setting names and values may use letters, digits, '_', '.' and '-' only")
            }
            options += ["-c", "\(name)=\(value)"]
        }
        try await initialize()
        if let given { try? String(given).write(toFile: portFile, atomically: true, encoding: .utf8) }
        if case .running = try status() { return }
        let binaries = try await Self.serverBinaries()
        let account = try Self.serverAccount()
        try prepareFolders(for: account)
        var arguments = ["start", "--pgdata=" + dataDirectory, "--log=" + logFile, "--wait", "--timeout=60", "--silent"]
        if !options.isEmpty { arguments.append("--options=" + options.joined(separator: " ")) }
        let result = try await Self.run(binaries + "/pg_ctl", arguments, as: account, in: root)
        guard result.status == 0 else {
            throw .commandFailed("pg_ctl start", result.output + "\n" + tail(of: logFile))
        }
    }

    /// Stops the server if it runs ("fast": open transactions are rolled back). `immediately`
    /// stops it as a crash would (no shutdown checkpoint; recovery runs at the next start).
    public func stop(immediately: Bool = false) async throws(LocalClusterError) {
        guard case .running = try status() else { return }
        let result = try await Self.run(
            try await Self.serverBinaries() + "/pg_ctl",
            [
                "stop", "--pgdata=" + dataDirectory, "--mode=" + (immediately ? "immediate" : "fast"), "--wait", "--silent",
            ], as: try Self.serverAccount(), in: root)
        guard result.status == 0 else { throw .commandFailed("pg_ctl stop", result.output) }
    }

    /// Asks a running server to stop ("fast", as `stop` does) by signalling it, without waiting:
    /// for exit handlers, which cannot wait for a program to run.
    public func signalStop() {
        if case .running(let pid, _)? = try? status() { kill(pid_t(pid), SIGINT) }
    }

    /// Whether the cluster exists and runs, read from its `postmaster.pid`.
    public func status() throws(LocalClusterError) -> Status {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") else { return .notInitialized }
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8) else { return .stopped }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 4, let pid = Int(lines[0].trimmingCharacters(in: .whitespaces)),
            let port = Int(lines[3].trimmingCharacters(in: .whitespaces))
        else { return .stopped }
        // A pid file left by a crash names a process that is gone.
        guard kill(pid_t(pid), 0) == 0 || errno == EPERM else { return .stopped }
        return .running(pid: pid, port: port)
    }

    /// How to reach a database of this server over its Unix socket as the superuser.
    public func connectionConfig(database: String) -> ConnectionConfig {
        var port = defaultPort
        if case .running(_, let running)? = try? status() { port = running }
        return ConnectionConfig(parameters: [
            ("host", socketDirectory), ("port", String(port)), ("user", superuser), ("dbname", database),
        ])
    }

    /// A URL for psql and other libpq clients.
    public func url(database: String) -> String {
        var port = defaultPort
        if case .running(_, let running)? = try? status() { port = running }
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: allowed) ?? socketDirectory
        let name = database.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? database
        return "postgresql:///\(name)?host=\(host)&port=\(port)&user=\(superuser)"
    }

    /// Creates `database` if it does not exist. Returns true when it created it.
    @discardableResult
    public func createDatabase(_ database: String) async throws -> Bool {
        let connection = try await PostgresConnection.connect(connectionConfig(database: "postgres"))
        defer { Task { await connection.close() } }
        let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(database)")
        if !exists.isEmpty { return false }
        try await connection.execute(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(database))")
        return true
    }

    // MARK: Folders and accounts

    /// The account the server runs as: this process's own, or `postgres` when this is root.
    struct Account: Sendable {
        var name: String?
        var uid: uid_t
        var gid: gid_t
        var isOtherUser: Bool { name != nil }
    }

    static func serverAccount() throws(LocalClusterError) -> Account {
        guard geteuid() == 0 else { return Account(name: nil, uid: geteuid(), gid: getegid()) }
        guard let entry = getpwnam("postgres") else {
            throw .noServerAccount
        }
        return Account(name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    private func prepareFolders(for account: Account) throws(LocalClusterError) {
        let fileManager = FileManager.default
        for folder in [root, dataDirectory, socketDirectory] {
            do {
                try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .folder(folder, "\(error)")
            }
            if account.isOtherUser {
                var info = stat()
                guard stat(folder, &info) == 0 else { throw .folder(folder, String(cString: strerror(errno))) }
                if info.st_uid != account.uid {
                    guard chown(folder, account.uid, account.gid) == 0 else {
                        throw .folder(folder, "cannot hand it to the postgres account: " + String(cString: strerror(errno)))
                    }
                }
            }
        }
        guard account.isOtherUser else { return }
        // The server account must be able to pass through every folder above its own.
        var ancestor = (root as NSString).deletingLastPathComponent
        while ancestor != "/" && !ancestor.isEmpty {
            var info = stat()
            guard stat(ancestor, &info) == 0 else { throw .folder(ancestor, String(cString: strerror(errno))) }
            let mode = info.st_mode
            let passable =
                (info.st_uid == account.uid && mode & S_IXUSR != 0)
                || (info.st_gid == account.gid && mode & S_IXGRP != 0)
                || mode & S_IXOTH != 0
            if !passable {
                guard chmod(ancestor, (mode & 0o7777) | S_IXOTH) == 0 else {
                    throw .folder(
                        ancestor,
                        "the postgres account cannot reach the data folder through it, and it cannot be made passable: "
                            + String(cString: strerror(errno)))
                }
            }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
    }

    private func tail(of file: String) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(8).joined(separator: "\n")
    }

    // MARK: Server programs

    /// The folder holding `initdb`, `pg_ctl` and `postgres`: `pg_config --bindir`, else the
    /// newest `/usr/lib/postgresql/*/bin`.
    public static func serverBinaries() async throws(LocalClusterError) -> String {
        var candidates: [String] = []
        if let result = try? await run("/usr/bin/env", ["pg_config", "--bindir"], as: Account(name: nil, uid: 0, gid: 0), in: nil),
            result.status == 0
        {
            candidates.append(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin" }
        for folder in candidates
        where FileManager.default.isExecutableFile(atPath: folder + "/initdb")
            && FileManager.default.isExecutableFile(atPath: folder + "/pg_ctl")
        {
            return folder
        }
        throw .serverNotInstalled
    }

    struct CommandResult {
        var status: Int32
        var output: String
    }

    /// Runs a program, as the server account when that is another user.
    static func run(
        _ program: String, _ arguments: [String], as account: Account, in folder: String?
    ) async throws(LocalClusterError) -> CommandResult {
        // `env -C` changes folder as the server account (the server complains when it starts in
        // a folder it cannot read, such as root's home).
        let inFolder = folder.map { ["/usr/bin/env", "-C", $0, program] } ?? [program]
        let command = (account.name.map { ["/usr/sbin/runuser", "-u", $0, "--"] + inFolder } ?? inFolder) + arguments
        do {
            let result = try await Program.run(command, mergeOutput: true)
            return CommandResult(status: result.status, output: result.output)
        } catch {
            throw .commandFailed((program as NSString).lastPathComponent, error.description)
        }
    }
}

/// Why the embedded server could not be set up or run; each says what to do.
public enum LocalClusterError: Error, Sendable, CustomStringConvertible {
    case serverNotInstalled
    case noServerAccount
    case folder(String, String)
    case commandFailed(String, String)
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .serverNotInstalled:
            "PostgreSQL server programs (initdb, pg_ctl) not found: install them with 'apt-get install -y postgresql-15' (Debian package postgresql-15), or set DATABASE_URL to use another server"
        case .noServerAccount:
            "running as root, but there is no 'postgres' account to run the server as (PostgreSQL refuses root): install Debian's postgresql-15 package, which creates it, or run as an ordinary user"
        case .folder(let path, let reason):
            "cannot prepare \(path): \(reason)"
        case .commandFailed(let command, let output):
            "\(command) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines))"
        case .invalidSetting(let reason):
            "invalid server setting: \(reason)"
        }
    }
}

extension LocalCluster {
    /// Appends `settings` to the cluster's postgresql.conf.
    private func appendToConfiguration(_ settings: String) throws(LocalClusterError) {
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(settings.utf8))
            try handle.close()
        } catch {
            throw .folder(dataDirectory + "/postgresql.conf", "\(error)")
        }
    }
}

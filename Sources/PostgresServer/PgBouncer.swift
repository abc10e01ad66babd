import Foundation

/// A PgBouncer in transaction mode in front of a server on this machine, as deployments put it
/// in front of Postgate: many client connections on few server connections. Runs Debian's
/// `pgbouncer` (as the `postgres` account when this process is root), listening on the loopback;
/// it reaches the server through its socket folder, so it logs in as each client's own user
/// without passwords (clients are trusted on the loopback: for tests and benchmarks, not for a
/// deployment, whose pgbouncer.ini docker-compose.yml shows).
public struct PgBouncer: Sendable {
    /// Where its configuration, log and pid file are.
    public let folder: String
    /// The loopback port it listens on.
    public let port: Int

    public init(folder: String, port: Int) {
        self.folder = folder
        self.port = port
    }

    var configFile: String { folder + "/pgbouncer.ini" }
    var logFile: String { folder + "/pgbouncer.log" }
    var pidFile: String { folder + "/pgbouncer.pid" }

    /// How clients reach it: `host=127.0.0.1 port=…`, with the user and database of `server`.
    public func connectionConfig(like server: ConnectionParameters) -> [(String, String)] {
        [("host", "127.0.0.1"), ("port", String(port)), ("user", server.user), ("dbname", server.database)]
    }

    /// The user and database a client names.
    public struct ConnectionParameters: Sendable {
        public var user: String
        public var database: String
        public init(user: String, database: String) {
            self.user = user
            self.database = database
        }
    }

    /// The `pgbouncer` program, or an error saying how to install it.
    public static func program() throws(LocalClusterError) -> String {
        for candidate in ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw .commandFailed("pgbouncer", "PgBouncer is not installed: apt-get install -y pgbouncer (Debian package pgbouncer)")
    }

    /// Starts it in front of the server whose socket folder and port are given; `poolSize` server
    /// connections per database and user, at most `maxClients` client connections; `authUser` (a
    /// superuser of the server) looks up the users clients name.
    public func start(
        socketFolder: String, serverPort: Int, authUser: String, poolSize: Int = 20, maxClients: Int = 1000
    ) async throws(LocalClusterError) {
        let program = try Self.program()
        let account = try LocalCluster.serverAccount()
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .folder(folder, "\(error)")
        }
        if account.isOtherUser, chown(folder, account.uid, account.gid) != 0 {
            throw .folder(folder, "cannot hand it to the postgres account: " + String(cString: strerror(errno)))
        }
        // Transaction pooling: a server connection is a client's for one transaction only, so
        // nothing of a session may outlive a transaction (Postgate keeps none).
        let settings = """
            [databases]
            * = host=\(socketFolder) port=\(serverPort)

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(folder)/users.txt
            auth_user = \(authUser)
            pool_mode = transaction
            default_pool_size = \(poolSize)
            max_client_conn = \(maxClients)
            max_db_connections = 0
            server_reset_query =
            ignore_startup_parameters = extra_float_digits
            logfile = \(logFile)
            pidfile = \(pidFile)
            admin_users = \(authUser)

            """
        let users = "\"\(authUser)\" \"\"\n"
        for (path, text) in [(configFile, settings), (folder + "/users.txt", users)] {
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw .folder(folder, "cannot write \(path)")
            }
            if account.isOtherUser { _ = chown(path, account.uid, account.gid) }
        }
        // Raise the file limit for many clients as far as the hard limit allows.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        let result = try await LocalCluster.run(program, ["-d", configFile], as: account, in: folder)
        guard result.status == 0 else {
            throw .commandFailed("pgbouncer", result.output + "\n" + tail(of: logFile))
        }
        for _ in 0..<100 {
            if Self.accepts(port: port) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw .commandFailed("pgbouncer", "it did not start listening on port \(port):\n" + tail(of: logFile))
    }

    /// Stops it (SIGINT: at once, closing every connection) and waits until it has gone.
    public func stop() async {
        guard let pid = signalStop() else { return }
        for _ in 0..<100 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// Tells it to stop at once without waiting (for exit handlers); returns its process id.
    @discardableResult
    public func signalStop() -> pid_t? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return nil }
        kill(pid, SIGINT)
        return pid
    }

    private func tail(of file: String) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(8).joined(separator: "\n")
    }

    /// Whether something accepts TCP connections on the loopback at `port`.
    static func accepts(port: Int) -> Bool {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

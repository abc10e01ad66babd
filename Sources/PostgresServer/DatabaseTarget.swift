import Foundation
import Logging
import Postgres

/// Which database a command works on, found the same way by every command:
/// `--database URL`, else `DATABASE_URL`, else libpq's `PG*` variables, else the embedded
/// server under `./.postgate/` (or `--data DIR`), started if needed.
public enum DatabaseTarget: Sendable {
    case configured(ConnectionConfig, source: String)
    case embedded(LocalCluster, database: String)

    /// The database the embedded server holds Postgate's data in.
    public static let embeddedDatabase = "postgate"
    /// The embedded server's folder when none is given.
    public static let defaultDataFolder = ".postgate"

    public static func resolve(
        database: String?, dataFolder: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> DatabaseTarget {
        if let database, !database.isEmpty { return .configured(ConnectionConfig(conninfo: database), source: "--database") }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return .configured(ConnectionConfig(conninfo: url), source: "DATABASE_URL") }
        if dataFolder == nil, ConnectionConfig.environmentNamesServer(environment) {
            return .configured(ConnectionConfig(), source: "PG* environment variables")
        }
        let folder = dataFolder ?? FileManager.default.currentDirectoryPath + "/" + defaultDataFolder
        return .embedded(LocalCluster(root: folder), database: embeddedDatabase)
    }

    /// Makes the database reachable (starting the embedded server and creating its database
    /// when needed) and returns how to connect.
    /// Sessions name themselves "postgate" in pg_stat_activity unless the caller names them.
    public func prepare(logger: Logger = .silent) async throws -> ConnectionConfig {
        try await reachable(logger: logger).with("fallback_application_name", "postgate")
    }

    private func reachable(logger: Logger) async throws -> ConnectionConfig {
        switch self {
        case .configured(let config, _):
            return config
        case .embedded(let cluster, let database):
            let status = try cluster.status()
            if status == .notInitialized { logger.info("creating the embedded PostgreSQL server in \(cluster.root)") }
            if case .running = status {
            } else {
                try await cluster.start()
                logger.info("started the embedded PostgreSQL server (socket in \(cluster.socketDirectory))")
            }
            if try await cluster.createDatabase(database) { logger.info("created database \(database)") }
            return cluster.connectionConfig(database: database)
        }
    }

    /// The embedded server: Postgate's own, so it is migrated when a service starts on it.
    public var isEmbedded: Bool {
        if case .embedded = self { return true }
        return false
    }

    /// Where this is, for messages.
    public var summary: String {
        switch self {
        case .configured(let config, let source): "\(config) (from \(source))"
        case .embedded(let cluster, let database): "embedded server in \(cluster.root), database \(database)"
        }
    }
}

import ArgumentParser
import Foundation
import Logging
import Postgate
import Postgres
import PostgresServer

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop and locate the embedded PostgreSQL server.",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Environment.self]
    )

    struct DataFolder: ParsableArguments {
        @Option(name: .customLong("data"), help: ArgumentHelp("The embedded server's folder (default ./.postgate).", valueName: "DIR"))
        var path: String?

        @Flag(help: "Show each SQL statement the command runs, with its duration.") var verbose = false

        /// The command line's logger, with the SQL when --verbose asks for it.
        var logger: Logger { consoleLogger(verbose: verbose) }

        var cluster: LocalCluster {
            LocalCluster(root: path ?? FileManager.default.currentDirectoryPath + "/" + DatabaseTarget.defaultDataFolder)
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (if needed) and start the embedded server.")
        @OptionGroup var data: DataFolder
        @Option(help: "Also listen on TCP on localhost at this port (password logins only; kept for later starts).")
        var port: Int?
        @Flag(help: "Say nothing about what to run next (for scripts that run it next).") var quiet = false
        @Option(
            help: ArgumentHelp(
                "Make --data a hot standby of the embedded server in this folder (which must run): pg_basebackup -R with a replication slot. It serves read-only queries, reports among them.",
                valueName: "PRIMARY_DATA"))
        var standbyOf: String?

        func validate() throws {
            if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535, not \(port)") }
            if let standbyOf, standbyOf.isEmpty { throw ValidationError("--standby-of needs the primary's data folder") }
        }

        func run() async throws {
            let cluster = data.cluster
            if let standbyOf {
                let primary = LocalCluster(root: standbyOf)
                guard case .running = try primary.status() else {
                    throw ValidationError(
                        "the primary in \(primary.root) is not running: start it first (\(CommandLineText.command("db start")) --data \(primary.root))"
                    )
                }
                if try await cluster.initializeStandby(of: primary) {
                    print("Made \(cluster.dataDirectory) a standby of \(primary.root) (replication slot \(cluster.standbySlot)).")
                } else if !cluster.isStandby {
                    throw ValidationError("\(cluster.root) already holds a server that is not a standby: give --data an empty folder")
                }
            }
            let created = try await cluster.initialize()
            if created { print("Created a PostgreSQL cluster in \(cluster.dataDirectory)") }
            if case .running(let pid, _) = try cluster.status() {
                print("The embedded server is already running (pid \(pid)).")
            } else {
                try await cluster.start(port: port)
                print("Started the embedded server; its socket is in \(cluster.socketDirectory).")
            }
            if cluster.isStandby {
                guard !quiet else { return }
                print("Connect:   psql \"\(cluster.url(database: DatabaseTarget.embeddedDatabase))\"  (read-only: reports)")
                print("Lag:       \(CommandLineText.command("db status")) --data \(cluster.root)")
                return
            }
            if try await cluster.createDatabase(DatabaseTarget.embeddedDatabase) {
                print("Created database \(DatabaseTarget.embeddedDatabase).")
            }
            guard !quiet else { return }
            print("Connect:   psql \"\(cluster.url(database: DatabaseTarget.embeddedDatabase))\"")
            print("Next:      \(CommandLineText.command("migrate"))")
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded server.")
        @OptionGroup var data: DataFolder

        func run() async throws {
            let cluster = data.cluster
            guard case .running = try cluster.status() else {
                print("The embedded server in \(cluster.root) is not running.")
                return
            }
            try await cluster.stop()
            print("Stopped the embedded server in \(cluster.root).")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say whether the embedded server runs, where, and how far it is migrated.")
        @OptionGroup var data: DataFolder
        @Option(help: ArgumentHelp("The folder holding migrations/ and routines/.", valueName: "DIR"))
        var sql: String?

        func run() async throws {
            let cluster = data.cluster
            switch try cluster.status() {
            case .notInitialized:
                print("No embedded server in \(cluster.root) yet. Start one: \(CommandLineText.command("db start"))")
            case .stopped:
                print("The embedded server in \(cluster.root) is stopped. Start it: \(CommandLineText.command("db start"))")
            case .running(let pid, let port):
                print("Server:    running (pid \(pid), port \(port)), data in \(cluster.dataDirectory)")
                print("Socket:    \(cluster.socketDirectory)")
                print("Connect:   psql \"\(cluster.url(database: DatabaseTarget.embeddedDatabase))\"")
                try await printReplication(cluster: cluster)
                try await printSchemaState(cluster: cluster, sql: sql)
            }
        }

        /// A standby's lag behind its primary; a primary's standbys and theirs.
        private func printReplication(cluster: LocalCluster) async throws {
            let connection = try await PostgresConnection.connect(cluster.connectionConfig(database: "postgres"), logger: data.logger)
            defer { Task { await connection.close() } }
            let standby = try await connection.query("SELECT pg_is_in_recovery() AS standby")[0].decode("standby", as: Bool.self)
            if standby {
                let row = try await connection.query(
                    """
                    SELECT coalesce(r.status, 'not streaming') AS status, r.sender_host AS primary_host, r.slot_name AS slot,
                           pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint AS unreplayed_bytes,
                           CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                                ELSE round(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::numeric, 3) END AS lag_seconds,
                           to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS replayed_to
                    FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver r ON true
                    """)[0]
                let lag = try row.decode("lag_seconds", as: Decimal?.self).map { "\($0) s" } ?? "unknown"
                print(
                    "Role:      hot standby (read-only), \(try row.decode("status", as: String.self)) from \(try row.decode("primary_host", as: String?.self) ?? "its primary")"
                        + " through slot \(try row.decode("slot", as: String?.self) ?? "none")")
                print(
                    "Lag:       replay \(lag) behind (\(try row.decode("unreplayed_bytes", as: Int64?.self) ?? 0) bytes received, not replayed yet); replayed up to \(try row.decode("replayed_to", as: String?.self) ?? "nothing yet")"
                )
                return
            }
            let standbys = try await connection.query(
                """
                SELECT coalesce(nullif(application_name, ''), client_addr::text, 'standby') AS name, state, sync_state,
                       round(coalesce(extract(epoch FROM replay_lag), 0)::numeric, 3) AS lag_seconds,
                       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS behind_bytes
                FROM pg_stat_replication ORDER BY 1
                """)
            guard !standbys.isEmpty else { return }
            print("Role:      primary, with \(standbys.count) standby\(standbys.count == 1 ? "" : "s")")
            for row in standbys {
                print(
                    "Standby:   \(try row.decode("name", as: String.self)): \(try row.decode("state", as: String.self)) (\(try row.decode("sync_state", as: String.self))), "
                        + "replay lag \(try row.decode("lag_seconds", as: Decimal.self)) s, \(try row.decode("behind_bytes", as: Int64?.self) ?? 0) bytes behind"
                )
            }
        }

        private func printSchemaState(cluster: LocalCluster, sql: String?) async throws {
            let connection = try await PostgresConnection.connect(cluster.connectionConfig(database: "postgres"), logger: data.logger)
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(DatabaseTarget.embeddedDatabase)")
            await connection.close()
            guard !exists.isEmpty else {
                print(
                    "Database:  \(DatabaseTarget.embeddedDatabase) does not exist yet. Create and migrate it: \(CommandLineText.command("migrate"))")
                return
            }
            let database = try await PostgresConnection.connect(
                cluster.connectionConfig(database: DatabaseTarget.embeddedDatabase), logger: data.logger)
            let migrator = Migrator(directory: SQLFiles.locate(explicit: sql))
            let pending = try await migrator.pending(database)
            let version = try await database.query("SELECT max(version) AS v FROM migrations.history")[0].decode("v", as: Int?.self)
            let schemas = try await database.query(
                "SELECT string_agg(nspname, ', ' ORDER BY nspname) AS s FROM pg_namespace WHERE nspname IN ('ar', 'api', 'report')")[0].decode(
                    "s", as: String?.self)
            await database.close()
            print("Database:  \(DatabaseTarget.embeddedDatabase), schema version \(version.map(String.init) ?? "none"), schemas \(schemas ?? "none")")
            if pending.isEmpty {
                print("Migrations: up to date")
            } else {
                print(
                    "Migrations: \(pending.count) pending (\(pending.map(\.file).joined(separator: ", "))). Apply them: \(CommandLineText.command("migrate"))"
                )
            }
        }
    }

    struct URLCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "url", abstract: "Print a URL for psql and other libpq clients.")
        @OptionGroup var data: DataFolder

        func run() async throws {
            try Self.requireRunning(data.cluster)
            print(data.cluster.url(database: DatabaseTarget.embeddedDatabase))
        }

        /// A URL or variables for a server that is not running would only fail later, in psql.
        static func requireRunning(_ cluster: LocalCluster) throws {
            switch try cluster.status() {
            case .running: return
            case .notInitialized:
                throw Failure("there is no embedded server in \(cluster.root) yet: start one with \(CommandLineText.command("db start"))")
            case .stopped:
                throw Failure("the embedded server in \(cluster.root) is stopped: start it with \(CommandLineText.command("db start"))")
            }
        }
    }

    struct Environment: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "env",
            abstract: "Print PG* variables for the embedded server, for eval in a shell.",
            discussion: """
                eval "$(postgate db env)" lets psql, pg_dump and pg_prove connect with no arguments, as the server's \
                administrator (the account that runs it: postgres when postgate runs as root). A reporting login connects \
                with PGUSER set to its name: postgate logins add alice --role reporting, then PGUSER=alice psql.
                """
        )
        @OptionGroup var data: DataFolder

        func run() async throws {
            try URLCommand.requireRunning(data.cluster)
            let config = data.cluster.connectionConfig(database: DatabaseTarget.embeddedDatabase)
            let names = ["host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE"]
            for (key, value) in config.parameters {
                guard let name = names[key] else { continue }
                print("export \(name)='\(value.replacingOccurrences(of: "'", with: "'\\''"))'")
            }
        }
    }
}

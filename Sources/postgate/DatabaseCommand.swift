import ArgumentParser
import Foundation
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

        func validate() throws {
            if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535, not \(port)") }
        }

        func run() async throws {
            let cluster = data.cluster
            let created = try await cluster.initialize()
            if created { print("Created a PostgreSQL cluster in \(cluster.dataDirectory)") }
            if case .running(let pid, _) = try cluster.status() {
                print("The embedded server is already running (pid \(pid)).")
            } else {
                try await cluster.start(port: port)
                print("Started the embedded server; its socket is in \(cluster.socketDirectory).")
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
                try await printSchemaState(cluster: cluster, sql: sql)
            }
        }

        private func printSchemaState(cluster: LocalCluster, sql: String?) async throws {
            let connection = try await PostgresConnection.connect(cluster.connectionConfig(database: "postgres"))
            let exists = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(DatabaseTarget.embeddedDatabase)")
            await connection.close()
            guard !exists.isEmpty else {
                print(
                    "Database:  \(DatabaseTarget.embeddedDatabase) does not exist yet. Create and migrate it: \(CommandLineText.command("migrate"))")
                return
            }
            let database = try await PostgresConnection.connect(cluster.connectionConfig(database: DatabaseTarget.embeddedDatabase))
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

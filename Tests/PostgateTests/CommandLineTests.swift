import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// Drives the built `postgate` executable the way a person would, against its own embedded
/// server in a fresh root-owned temporary folder.
@Suite("postgate command line", .serialized)
struct CommandLineTests {
    static var executable: String { postgateExecutable }

    /// Runs postgate with the environment cleared of any server settings, so the embedded
    /// server is what it finds.
    func postgate(_ arguments: String..., input: String? = nil) async throws -> Program.Result {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw NotBuilt(path: Self.executable)
        }
        var environment = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"] { environment[name] = nil }
        return try await Program.run([Self.executable] + arguments, input: input, environment: environment)
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let path: String
        var description: String { "the postgate executable is not built (\(path)): run 'swift build' first" }
    }

    @Test("start, url, migrate, logins and stop work from a clean folder, and a reporting login can read but not write")
    func fullLifecycle() async throws {
        let parent = NSTemporaryDirectory() + "postgate-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = parent + "/pg"
        defer {
            LocalCluster(root: data).signalStop()
            try? FileManager.default.removeItem(atPath: parent)
        }

        let start = try await postgate("db", "start", "--data", data)
        #expect(start.status == 0, "\(start.error)")
        #expect(start.output.contains("Started the embedded server"))
        #expect(start.output.contains("postgate migrate"))

        let url = try await postgate("db", "url", "--data", data)
        #expect(url.status == 0)
        let lines = url.output.split(separator: "\n")
        #expect(lines.count == 1)
        let conninfo = String(lines.first ?? "")

        let migrate = try await postgate("migrate", "--data", data)
        #expect(migrate.status == 0, "\(migrate.error)")
        #expect(migrate.output.contains("Applied V0001__schemas_and_roles.sql"))
        let again = try await postgate("migrate", "--data", data)
        #expect(again.output.contains("up to date"))

        let admin = try await PostgresConnection.connect(ConnectionConfig(conninfo: conninfo))
        let schemas = try await admin.query(
            "SELECT string_agg(nspname, ',' ORDER BY nspname) AS s FROM pg_namespace WHERE nspname IN ('ar', 'api', 'report')")[0].decode(
                "s", as: String.self)
        #expect(schemas == "api,ar,report")
        await admin.close()

        let add = try await postgate("logins", "add", "alice", "--role", "reporting", "--data", data)
        #expect(add.status == 0, "\(add.error)")
        let duplicate = try await postgate("logins", "add", "alice", "--role", "client", "--data", data)
        #expect(duplicate.status != 0)
        #expect(duplicate.error.contains("already exists"))
        let withPassword = try await postgate(
            "logins", "add", "app", "--role", "client", "--password-stdin", "--data", data, input: "correct horse\n")
        #expect(withPassword.status == 0, "\(withPassword.error)")
        let list = try await postgate("logins", "list", "--data", data)
        #expect(list.output.contains("alice  reporting   no"))
        #expect(list.output.contains("app    client      yes"))

        let alice = try await PostgresConnection.connect(ConnectionConfig(conninfo: conninfo).with("user", "alice"))
        let versions = try await alice.query("SELECT count(*) AS n FROM report.schema_history")[0].decode("n", as: Int.self)
        #expect(versions >= 1)
        let readOnly = await #expect(throws: PostgresError.self) { try await alice.query("CREATE TABLE public.x (id int)") }
        #expect(readOnly?.sqlState == "25006")
        try await alice.execute(unsafeSQL: "SET default_transaction_read_only = off")
        let denied = await #expect(throws: PostgresError.self) { try await alice.query("CREATE TABLE public.x (id int)") }
        #expect(denied?.sqlState == "42501")
        let noTables = await #expect(throws: PostgresError.self) { try await alice.query("SELECT * FROM migrations.history") }
        #expect(noTables?.sqlState == "42501")
        await alice.close()

        let remove = try await postgate("logins", "remove", "alice", "--data", data)
        #expect(remove.status == 0)
        let refuse = try await postgate("logins", "remove", "postgres", "--data", data)
        #expect(refuse.status != 0)
        #expect(refuse.error.contains("not a Postgate login"))

        let status = try await postgate("db", "status", "--data", data)
        let latest = try Migrator(directory: SQLFiles.locate()).scripts().versioned.last?.version
        #expect(status.output.contains("schema version \(latest ?? 0),"))
        #expect(status.output.contains("up to date"))

        let stop = try await postgate("db", "stop", "--data", data)
        #expect(stop.status == 0)
        let stopped = try await postgate("db", "status", "--data", data)
        #expect(stopped.output.contains("is stopped"))
    }

    @Test(
        "bad arguments are refused with a sentence that names the problem",
        arguments: [
            (["logins", "add", "Bad-Name", "--role", "reporting"], "not valid"),
            (["logins", "add", "bob", "--role", "admin"], "role"),
            (["logins", "add", "pg_bob", "--role", "client"], "reserved"),
            (["db", "start", "--port", "70000"], "--port"),
            (["no-such-command"], "no-such-command"),
        ])
    func badArguments(_ arguments: [String], _ mention: String) async throws {
        let folder = NSTemporaryDirectory() + "postgate-unused-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try await Program.run([Self.executable] + arguments + (arguments.count > 1 ? ["--data", folder] : []))
        #expect(result.status != 0)
        #expect(result.error.contains(mention), "stderr was: \(result.error)")
        // Nothing was created for a refused command.
        #expect(!FileManager.default.fileExists(atPath: folder + "/cluster"))
    }

    @Test("--help lists every command")
    func helpListsCommands() async throws {
        let help = try await Program.run([Self.executable, "--help"])
        for command in ["db", "migrate", "logins"] {
            #expect(help.output.contains("  \(command) "), "missing \(command)")
        }
    }
}

@Suite("postgate bench")
struct BenchCommandTests {
    @Test("bench reports every case with its median and its ratio to the baseline")
    func benchReportsEveryCase() async throws {
        try await withTestDatabase(migrated: false) { database in
            let result = try await Program.run([
                CommandLineTests.executable, "bench", "--database", database.config.conninfo,
                "--statements", "50", "--copy-rows", "500", "--runs", "1",
            ])
            #expect(result.status == 0, "\(result.error)")
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 4)
            #expect(lines[1].hasPrefix("insert, one round trip each"))
            #expect(lines[1].hasSuffix("1.0x"))
            #expect(lines[2].hasPrefix("insert, pipeline mode"))
            #expect(lines[3].hasPrefix("COPY FROM STDIN"))
            // Nothing is left behind: the benchmark works in temporary tables.
            let connection = try await database.connect()
            let tables = try await connection.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'bench_line'")[0].decode("n", as: Int.self)
            #expect(tables == 0)
            await connection.close()
        }
    }
}

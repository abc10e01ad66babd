import Foundation
import PostgresServer
import TestSupport
import Testing

@testable import Postgres

@Suite("Migrator")
struct MigratorTests {
    /// A scratch SQL folder with two migrations and a routine.
    struct Scratch {
        let path = NSTemporaryDirectory() + "postgate-sql-\(UUID().uuidString)"

        init() throws {
            try FileManager.default.createDirectory(atPath: path + "/migrations", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path + "/routines", withIntermediateDirectories: true)
            try write("migrations/V0001__ledger.sql", "CREATE TABLE ledger (id int PRIMARY KEY, amount numeric NOT NULL);")
            try write("migrations/V0002__ledger_note.sql", "ALTER TABLE ledger ADD COLUMN note text;")
            try write(
                "routines/R__ledger_total.sql",
                "CREATE OR REPLACE FUNCTION ledger_total() RETURNS numeric LANGUAGE sql AS $$ SELECT coalesce(sum(amount), 0) FROM ledger $$;")
        }

        func write(_ file: String, _ text: String) throws {
            try text.write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
        }

        func remove(_ file: String) throws {
            try FileManager.default.removeItem(atPath: path + "/" + file)
        }

        var migrator: Migrator { Migrator(directory: path) }
    }

    @Test("applies each file once, records checksums, and re-applies a routine only when it changes")
    func appliesOnceAndRecords() async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try await withTestConnection(migrated: false) { connection in
            let first = try await scratch.migrator.migrate(connection)
            #expect(first.applied.map(\.file) == ["V0001__ledger.sql", "V0002__ledger_note.sql", "R__ledger_total.sql"])
            #expect(first.version == 2)
            let again = try await scratch.migrator.migrate(connection)
            #expect(again.applied.isEmpty)
            #expect(again.alreadyApplied == 2)

            try scratch.write(
                "routines/R__ledger_total.sql",
                "CREATE OR REPLACE FUNCTION ledger_total() RETURNS numeric LANGUAGE sql AS $$ SELECT coalesce(sum(amount), 0) + 0 FROM ledger $$;")
            let changed = try await scratch.migrator.migrate(connection)
            #expect(changed.applied.map(\.file) == ["R__ledger_total.sql"])

            let history = try await connection.query("SELECT script, checksum, duration_ms FROM migrations.history ORDER BY id")
            #expect(history.count == 4)
            let recorded = try history[0].decode("checksum", as: String.self)
            let fileChecksum = Checksum.sha256(Array(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/migrations/V0001__ledger.sql"))))
            #expect(recorded == fileChecksum)
            // The server's own SHA-256 agrees with ours.
            let serverChecksum = try await connection.query(
                "SELECT encode(sha256(convert_to(\("CREATE TABLE ledger (id int PRIMARY KEY, amount numeric NOT NULL);"), 'UTF8')), 'hex') AS h")[0]
                .decode("h", as: String.self)
            #expect(serverChecksum == fileChecksum)
        }
    }

    @Test("an applied migration that was edited stops the run and names the file")
    func checksumMismatch() async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try await withTestConnection(migrated: false) { connection in
            try await scratch.migrator.migrate(connection)
            try scratch.write("migrations/V0001__ledger.sql", "CREATE TABLE ledger (id bigint PRIMARY KEY, amount numeric NOT NULL);")
            try scratch.write("migrations/V0003__later.sql", "CREATE TABLE later (id int);")
            let error = await #expect(throws: MigrationError.self) { try await scratch.migrator.migrate(connection) }
            guard case .checksumMismatch(let file, _, _) = error else {
                Issue.record("expected a checksum mismatch, got \(String(describing: error))")
                return
            }
            #expect(file == "V0001__ledger.sql")
            #expect(error?.description.contains("put the change in a new V file") == true)
            // Nothing after the refusal was applied.
            let later = try await connection.query("SELECT to_regclass('later') IS NULL AS missing")[0].decode("missing", as: Bool.self)
            #expect(later)
        }
    }

    @Test("an applied migration whose file is gone stops the run and names the file")
    func missingFile() async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try await withTestConnection(migrated: false) { connection in
            try await scratch.migrator.migrate(connection)
            try scratch.remove("migrations/V0002__ledger_note.sql")
            let error = await #expect(throws: MigrationError.self) { try await scratch.migrator.migrate(connection) }
            guard case .missingFile(let file, let version) = error else {
                Issue.record("expected a missing file, got \(String(describing: error))")
                return
            }
            #expect(file == "V0002__ledger_note.sql")
            #expect(version == 2)
        }
    }

    @Test("a failing migration rolls back whole and is not recorded")
    func failingMigrationRollsBack() async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try scratch.write("migrations/V0003__broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
        try await withTestConnection(migrated: false) { connection in
            let error = await #expect(throws: MigrationError.self) { try await scratch.migrator.migrate(connection) }
            guard case .failed(let file, let cause) = error else {
                Issue.record("expected a failure, got \(String(describing: error))")
                return
            }
            #expect(file == "V0003__broken.sql")
            #expect(cause.sqlState == "42883")
            let state = try await connection.query(
                """
                SELECT to_regclass('half') IS NULL AS no_half, (SELECT max(version) FROM migrations.history) AS version
                """)[0]
            #expect(try state.decode("no_half", as: Bool.self))
            #expect(try state.decode("version", as: Int.self) == 2)
        }
    }

    @Test(
        "badly named files are refused before anything runs",
        arguments: ["migrations/0004_no_prefix.sql", "migrations/V0002__same_version.sql", "routines/view.sql"])
    func badNames(_ file: String) async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try scratch.write(file, "SELECT 1;")
        #expect(throws: MigrationError.self) { try scratch.migrator.scripts() }
    }

    @Test("two migrators at once apply every file exactly once")
    func twoMigratorsAtOnce() async throws {
        try await withTestDatabase(migrated: false) { database in
            // The second waits for the first however long it takes: on a loaded machine a whole
            // migration under the parallel suite outlasts the default wait, and this test is about
            // applying each file once, not about how fast.
            let migrator = Migrator(directory: TestServer.sqlDirectory, lockTimeout: .seconds(3600))
            let one = try await database.connect()
            let two = try await database.connect()
            async let first = migrator.migrate(one)
            async let second = migrator.migrate(two)
            let reports = try await [first, second]
            let versionedFiles = try migrator.scripts().versioned.count
            #expect(reports.map { $0.applied.filter { $0.file.hasPrefix("V") }.count }.sorted() == [0, versionedFiles])
            let counts = try await one.query(
                """
                SELECT count(*) AS rows, count(DISTINCT script) AS scripts FROM migrations.history
                """)[0]
            #expect(try counts.decode("rows", as: Int.self) == counts.decode("scripts", as: Int.self))
            await one.close()
            await two.close()
        }
    }

    @Test("a migrator waits for the lock only so long, then names the session that holds it")
    func lockHeldByAnotherSession() async throws {
        let scratch = try Scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch.path) }
        try await withTestDatabase(migrated: false) { database in
            let holder = try await PostgresConnection.connect(database.config.with("application_name", "lock-holder"))
            let holderPID = try await holder.query("SELECT pg_backend_pid() AS pid")[0].decode("pid", as: Int.self)
            try await holder.query("SELECT pg_advisory_lock(\(Migrator.lockKey))")
            let connection = try await database.connect()
            let migrator = Migrator(directory: scratch.path, lockTimeout: .milliseconds(600))
            let started = ContinuousClock.now
            let error = await #expect(throws: MigrationError.self) { try await migrator.migrate(connection) }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(600) && waited < .seconds(10))
            guard case .lockHeld(let found?, _) = error else {
                Issue.record("expected the lock holder, got \(String(describing: error))")
                return
            }
            #expect(found.pid == holderPID)
            #expect(found.applicationName == "lock-holder")
            #expect(found.clientPort == -1 || found.clientAddress != nil)
            #expect(found.connectedAt != nil)
            let message = error?.description ?? ""
            #expect(message.contains("session \(holderPID)"))
            #expect(message.contains("lock-holder"))
            #expect(message.contains("pg_terminate_backend(\(holderPID))"))
            // Nothing was applied while waiting; once the holder lets go, the run goes through.
            let history = try await connection.query("SELECT to_regclass('migrations.history') IS NULL AS missing")[0].decode(
                "missing", as: Bool.self)
            #expect(history)
            try await holder.query("SELECT pg_advisory_unlock(\(Migrator.lockKey))")
            let report = try await migrator.migrate(connection)
            #expect(report.version == 2)
            await holder.close()
            await connection.close()
        }
    }

    @Test("SHA-256 matches the standard test vectors")
    func sha256Vectors() {
        #expect(Checksum.sha256(Array("".utf8)) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Checksum.sha256(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Checksum.sha256(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}

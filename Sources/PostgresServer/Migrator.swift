import Foundation
import Logging
import Postgres

/// Applies versioned and repeatable SQL files, Flyway-style.
///
/// - `migrations/V####__name.sql` run once each, in version order, each in its own
///   transaction, and are recorded with their SHA-256 checksum. An applied file that was later
///   edited or removed stops the run with an error naming it: applied migrations are never
///   changed; add a new one instead.
/// - `routines/R__name.sql` (functions, views, triggers written as `CREATE OR REPLACE`) are
///   re-applied, in file-name order, whenever their checksum changes.
/// - A session advisory lock serialises migrators, so two processes migrating the same database
///   at once apply each file exactly once. Any login may take that lock, so a migrator waits for it
///   only `lockTimeout`, then fails naming the session that holds it.
public struct Migrator: Sendable {
    /// The folder holding `migrations/` and `routines/`.
    public let directory: String
    /// Schema of the history table.
    public let historySchema: String

    /// How long `migrate` waits for another session's migration lock before failing.
    public let lockTimeout: Duration

    /// Advisory lock key shared by every migrator ("pgmigrat" in ASCII).
    public static let lockKey: Int64 = 0x7067_6D69_6772_6174

    public init(directory: String, historySchema: String = "migrations", lockTimeout: Duration = .seconds(30)) {
        precondition(
            historySchema.allSatisfy { $0.isLetter || $0 == "_" } && !historySchema.isEmpty,
            "history schema must be a plain identifier")
        self.directory = directory
        self.historySchema = historySchema
        self.lockTimeout = lockTimeout
    }

    // MARK: Files

    /// One SQL file.
    public struct Script: Sendable, Hashable {
        public enum Kind: String, Sendable { case versioned, repeatable }
        public let kind: Kind
        /// The version of a `V` file; `nil` for repeatable ones.
        public let version: Int?
        /// The file name, e.g. `V0001__schemas_and_roles.sql`.
        public let file: String
        public let sql: String
        public let checksum: String
    }

    /// Reads every migration and routine file, checking their names.
    public func scripts() throws(MigrationError) -> (versioned: [Script], repeatable: [Script]) {
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw .sqlDirectoryMissing(directory)
        }
        var versioned: [Script] = []
        var seen: [Int: String] = [:]
        for file in try sqlFiles(in: "migrations") {
            guard file.hasPrefix("V"), let separator = file.range(of: "__"),
                let version = Int(file[file.index(after: file.startIndex)..<separator.lowerBound]), version > 0
            else {
                throw .badFileName(file: "migrations/\(file)", expected: "V<number>__<name>.sql, for example V0002__customers.sql")
            }
            if let other = seen[version] { throw .duplicateVersion(version, first: other, second: file) }
            seen[version] = file
            versioned.append(try load("migrations", file, kind: .versioned, version: version))
        }
        var repeatable: [Script] = []
        for file in try sqlFiles(in: "routines") {
            guard file.hasPrefix("R__") else {
                throw .badFileName(file: "routines/\(file)", expected: "R__<name>.sql, for example R__0300_post_invoices.sql")
            }
            repeatable.append(try load("routines", file, kind: .repeatable, version: nil))
        }
        return (versioned.sorted { $0.version! < $1.version! }, repeatable.sorted { $0.file < $1.file })
    }

    private func sqlFiles(in folder: String) throws(MigrationError) -> [String] {
        let path = (directory as NSString).appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".sql") }.sorted()
        } catch {
            throw .unreadable(path, "\(error)")
        }
    }

    private func load(_ folder: String, _ file: String, kind: Script.Kind, version: Int?) throws(MigrationError) -> Script {
        let path = (directory as NSString).appendingPathComponent(folder + "/" + file)
        guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
            throw .unreadable(path, "not readable as UTF-8 text")
        }
        return Script(kind: kind, version: version, file: file, sql: sql, checksum: Checksum.sha256(data))
    }

    // MARK: Running

    /// What one run did.
    public struct Report: Sendable {
        /// Files applied by this run, in order, with how long each took.
        public var applied: [(file: String, milliseconds: Double)] = []
        /// Versioned files that were already applied.
        public var alreadyApplied = 0
        /// The highest applied version after the run.
        public var version: Int?
    }

    /// Applies what is pending. Waits up to `lockTimeout` for any other migrator working on the
    /// same database, then throws `MigrationError.lockHeld`.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, logger: Logger = .silent) async throws -> Report {
        let (versioned, repeatable) = try scripts()
        try await lock(connection)
        do {
            let report = try await migrateLocked(connection, versioned: versioned, repeatable: repeatable, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            return report
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))")
            throw error
        }
    }

    /// Takes the migration lock without blocking on the server: a session that holds it and never
    /// ends (an idle psql, a stuck process) must not make `migrate` hang.
    private func lock(_ connection: PostgresConnection) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: lockTimeout)
        while true {
            let taken = try await connection.query("SELECT pg_try_advisory_lock(\(Self.lockKey)) AS taken")[0].decode("taken", as: Bool.self)
            if taken { return }
            let left = deadline - clock.now
            guard left > .zero else { break }
            try await Task.sleep(for: min(left, .milliseconds(200)))
        }
        throw MigrationError.lockHeld(holder: try await lockHolder(connection), waited: lockTimeout)
    }

    /// The session holding the migration lock in this database, if it still does.
    func lockHolder(_ connection: PostgresConnection) async throws -> LockHolder? {
        // A bigint advisory key is stored as its high and low 32 bits, with objsubid 1.
        let high = Self.lockKey >> 32
        let low = Self.lockKey & 0xFFFF_FFFF
        let rows = try await connection.query(
            """
            SELECT a.pid, a.usename::text AS usename, a.application_name, host(a.client_addr) AS client_addr, a.client_port,
                   a.backend_start, a.state, a.state_change
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid::bigint = \(high) AND l.objid::bigint = \(low) AND l.pid <> pg_backend_pid()
            LIMIT 1
            """)
        guard let row = rows.first else { return nil }
        return LockHolder(
            pid: try row.decode("pid"), user: try row.decode("usename"), applicationName: try row.decode("application_name"),
            clientAddress: try row.decode("client_addr"), clientPort: try row.decode("client_port"),
            connectedAt: try row.decode("backend_start"), state: try row.decode("state"), stateSince: try row.decode("state_change"))
    }

    /// Versioned files not yet applied (the database is read, not changed, apart from creating
    /// the history table if it is missing).
    public func pending(_ connection: PostgresConnection) async throws -> [Script] {
        let (versioned, _) = try scripts()
        try await ensureHistory(connection)
        let applied = try await appliedVersions(connection)
        return versioned.filter { applied[$0.version!] == nil }
    }

    private var history: String { "\(historySchema).history" }

    private func ensureHistory(_ connection: PostgresConnection) async throws {
        try await connection.execute(
            unsafeSQL: """
                CREATE SCHEMA IF NOT EXISTS \(historySchema);
                REVOKE ALL ON SCHEMA \(historySchema) FROM PUBLIC;
                CREATE TABLE IF NOT EXISTS \(history) (
                    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    kind        text NOT NULL CONSTRAINT history_kind_check CHECK (kind IN ('versioned', 'repeatable')),
                    version     integer CONSTRAINT history_version_key UNIQUE,
                    script      text NOT NULL,
                    checksum    text NOT NULL,
                    applied_at  timestamptz NOT NULL DEFAULT now(),
                    applied_by  text NOT NULL DEFAULT session_user,
                    duration_ms numeric(12, 3) NOT NULL,
                    CONSTRAINT history_version_kind_check CHECK ((kind = 'versioned') = (version IS NOT NULL))
                );
                COMMENT ON TABLE \(history) IS 'Every SQL file applied to this database: versioned migrations once, routines at each change.';
                """)
    }

    private func appliedVersions(_ connection: PostgresConnection) async throws -> [Int: (file: String, checksum: String)] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT version, script, checksum FROM \(history) WHERE kind = 'versioned'"))
        var applied: [Int: (String, String)] = [:]
        for row in rows {
            applied[try row.decode("version", as: Int.self)] = (try row.decode("script"), try row.decode("checksum"))
        }
        return applied
    }

    private func migrateLocked(
        _ connection: PostgresConnection, versioned: [Script], repeatable: [Script], logger: Logger
    ) async throws -> Report {
        try await ensureHistory(connection)
        let applied = try await appliedVersions(connection)
        let onDisk = Dictionary(uniqueKeysWithValues: versioned.map { ($0.version!, $0) })

        // Refuse before changing anything: history must match the files.
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let script = onDisk[version] else { throw MigrationError.missingFile(file: record.file, version: version) }
            guard script.checksum == record.checksum else {
                throw MigrationError.checksumMismatch(file: script.file, recorded: record.checksum, actual: script.checksum)
            }
        }
        let highest = applied.keys.max() ?? 0
        if let late = versioned.first(where: { applied[$0.version!] == nil && $0.version! < highest }) {
            throw MigrationError.outOfOrder(file: late.file, highestApplied: highest)
        }

        var report = Report(alreadyApplied: applied.count, version: applied.keys.max())
        for script in versioned where applied[script.version!] == nil {
            logger.debug("applying \(script.file)")
            let milliseconds = try await apply(script, on: connection)
            report.applied.append((script.file, milliseconds))
            report.version = script.version
        }

        let latestRoutineChecksums = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT DISTINCT ON (script) script, checksum FROM \(history)
                    WHERE kind = 'repeatable' ORDER BY script, id DESC
                    """))
        var recorded: [String: String] = [:]
        for row in latestRoutineChecksums { recorded[try row.decode("script")] = try row.decode("checksum") }
        // A changed routine file may drop and re-create objects that later files build on (a view
        // over a function whose result changed), and a migration may drop what routines made: so
        // from the first changed file on, every later one is applied again too, in order.
        var fromHereOn = !report.applied.isEmpty
        for script in repeatable {
            fromHereOn = fromHereOn || recorded[script.file] != script.checksum
            guard fromHereOn else { continue }
            logger.debug("applying \(script.file)")
            let milliseconds = try await apply(script, on: connection)
            report.applied.append((script.file, milliseconds))
        }
        return report
    }

    private func apply(_ script: Script, on connection: PostgresConnection) async throws -> Double {
        let started = ContinuousClock.now
        do {
            try await connection.withTransaction { connection in
                try await connection.execute(unsafeSQL: script.sql)
                // A script may switch roles (SET LOCAL ROLE postgate_owner); the history is
                // written by the migrating user.
                try await connection.execute(unsafeSQL: "RESET ROLE")
                let elapsed = ContinuousClock.now - started
                let milliseconds = Decimal(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                let rounded = (milliseconds as NSDecimalNumber).rounding(
                    accordingToBehavior: NSDecimalNumberHandler(
                        roundingMode: .plain, scale: 3, raiseOnExactness: false, raiseOnOverflow: false,
                        raiseOnUnderflow: false, raiseOnDivideByZero: false)
                ).decimalValue
                var insert = PostgresQuery(unsafeSQL: "INSERT INTO \(history) (kind, version, script, checksum, duration_ms) VALUES ")
                insert.append("(\(script.kind.rawValue), \(script.version), \(script.file), \(script.checksum), \(rounded))")
                try await connection.query(insert)
            }
        } catch let error as PostgresError {
            throw MigrationError.failed(file: script.file, error)
        }
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    }
}

/// A session holding the migration lock, as `pg_stat_activity` shows it to the migrating login
/// (fields another login's session hides are nil).
public struct LockHolder: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int
    public var user: String?
    public var applicationName: String?
    /// The client's IP address; nil for a Unix socket or when hidden.
    public var clientAddress: String?
    /// The client's port; -1 for a Unix socket.
    public var clientPort: Int?
    public var connectedAt: Date?
    public var state: String?
    public var stateSince: Date?

    public var description: String {
        let client =
            switch (clientAddress, clientPort) {
            case (let address?, let port?): "from \(address) port \(port)"
            case (nil, -1): "over the local socket"
            default: "from a client this login may not see"
            }
        var text = "session \(pid) of user \(user ?? "(hidden)")"
        if let applicationName, !applicationName.isEmpty { text += " (application '\(applicationName)')" }
        text += " " + client
        if let connectedAt { text += ", connected since \(Self.timestamp(connectedAt))" }
        if let state { text += ", \(state)" + (stateSince.map { " since \(Self.timestamp($0))" } ?? "") }
        return text
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Why migrating stopped. Each case names the file and says what to do.
public enum MigrationError: Error, Sendable, CustomStringConvertible {
    case sqlDirectoryMissing(String)
    case unreadable(String, String)
    case badFileName(file: String, expected: String)
    case duplicateVersion(Int, first: String, second: String)
    case checksumMismatch(file: String, recorded: String, actual: String)
    case missingFile(file: String, version: Int)
    case outOfOrder(file: String, highestApplied: Int)
    case failed(file: String, PostgresError)
    /// Another session held the migration lock for all of `waited`; nil when it let go meanwhile.
    case lockHeld(holder: LockHolder?, waited: Duration)

    public var description: String {
        switch self {
        case .sqlDirectoryMissing(let path):
            "SQL folder \(path) not found: pass --sql DIR or set POSTGATE_SQL_DIR to the folder holding migrations/ and routines/"
        case .unreadable(let path, let reason):
            "cannot read \(path): \(reason)"
        case .badFileName(let file, let expected):
            "\(file) is not named as a migration: expected \(expected)"
        case .duplicateVersion(let version, let first, let second):
            "version \(version) is used by both \(first) and \(second): give one of them the next free number"
        case .checksumMismatch(let file, let recorded, let actual):
            "\(file) was edited after it was applied (checksum \(actual.prefix(12))…, applied as \(recorded.prefix(12))…): restore the applied text and put the change in a new V file"
        case .missingFile(let file, let version):
            "\(file) (version \(version)) was applied to this database but is missing from the SQL folder: restore it; applied migrations are never removed"
        case .outOfOrder(let file, let highest):
            "\(file) is older than version \(highest), which is already applied: renumber it after \(highest)"
        case .failed(let file, let error):
            "\(file) failed and was rolled back: \(error)"
        case .lockHeld(let holder?, let waited):
            "another session has held the migration lock for over \(Self.seconds(waited)): \(holder). "
                + "Let it finish and migrate again; if it is stuck, end it as an administrator with SELECT pg_terminate_backend(\(holder.pid))"
        case .lockHeld(nil, let waited):
            "another session held the migration lock for over \(Self.seconds(waited)) and has just let it go: migrate again"
        }
    }

    private static func seconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

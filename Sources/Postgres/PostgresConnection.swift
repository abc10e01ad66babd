import CLibPQ
import Foundation
import Logging

/// A connection to PostgreSQL with an async API. Its blocking libpq calls run on a thread of
/// its own, never on the Swift concurrency pool. One statement runs at a time; calls from
/// several tasks queue up in order.
public final class PostgresConnection: @unchecked Sendable {
    private let raw: RawConnection
    private let executor: BlockingExecutor
    /// The server process serving this connection (`pg_backend_pid()`).
    public let backendPID: Int32
    /// Each statement is logged at debug level with how long it took.
    public let logger: Logger

    private init(raw: RawConnection, executor: BlockingExecutor, logger: Logger) {
        self.raw = raw
        self.executor = executor
        var logger = logger
        logger[metadataKey: "backend"] = "\(raw.backendPID)"
        self.logger = logger
        backendPID = raw.backendPID
    }

    /// Runs `work` on the connection's thread, logging `sql` with its duration at debug level.
    /// The logger is the work's (`PostgresLogging.logger`, an HTTP request's with its request id)
    /// when there is one, else the connection's; either way with the backend's pid.
    private func timed<T: Sendable>(_ sql: String, _ work: @escaping @Sendable () throws(PostgresError) -> T) async throws(PostgresError) -> T {
        var logger = self.logger
        if let current = PostgresLogging.logger {
            logger = current
            logger[metadataKey: "backend"] = "\(backendPID)"
        }
        guard logger.logLevel <= .debug else { return try await executor.run(work) }
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            logger.debug(
                "\(String(format: "%8.2f ms", milliseconds))  \(sql.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))"
            )
        }
        return try await executor.run(work)
    }

    deinit { executor.shutdown() }

    /// Opens a connection.
    public static func connect(_ config: ConnectionConfig, logger: Logger = .silent) async throws(PostgresError) -> PostgresConnection {
        let executor = BlockingExecutor(name: "postgres-connection")
        do {
            let raw = try await executor.run { () throws(PostgresError) in try RawConnection.connect(config) }
            return PostgresConnection(raw: raw, executor: executor, logger: logger)
        } catch {
            executor.shutdown()
            throw error
        }
    }

    /// Closes the connection; later calls fail with `.connectionLost`.
    public func close() async {
        let raw = self.raw
        _ = try? await executor.run { raw.close() }
    }

    /// Runs one statement; every interpolated value is a bind parameter.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws(PostgresError) -> PostgresResult {
        let raw = self.raw
        return try await timed(query.sql) { () throws(PostgresError) in try raw.query(query) }
    }

    /// Runs SQL text with no parameters, possibly several statements (migration files, DDL
    /// whose identifiers the program chose). Never pass it text that holds user input.
    @discardableResult
    public func execute(unsafeSQL sql: String) async throws(PostgresError) -> PostgresResult? {
        let raw = self.raw
        return try await timed(sql) { () throws(PostgresError) in try raw.simpleQuery(sql) }
    }

    /// Sends all statements at once and reads every result in order (one round trip per
    /// batch of about 32 KiB of statements). See `RawConnection.pipeline`.
    public func pipeline(_ queries: [PostgresQuery]) async throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        let raw = self.raw
        return try await timed("pipeline of \(queries.count) statements") { () throws(PostgresError) in try raw.pipeline(queries) }
    }

    /// Begins a transaction block with `sql` (a BEGIN of the program's) and gives it the
    /// connection's `transactionSettings`, in one round trip.
    func begin(_ sql: String = "BEGIN") async throws(PostgresError) {
        let raw = self.raw
        try await timed(sql) { () throws(PostgresError) in try raw.begin(sql) }
    }

    // The two checks below never block (libpq's own state, and a poll that does not wait), and a
    // connection is used by one task at a time, which awaits each statement: they run on the
    // caller's thread. A hop to the connection's thread and back cost more than either, and the
    // pool makes two of them for every transaction.

    /// True when the connection can be handed to another user (see `RawConnection.isReusable`).
    public func isReusable() async -> Bool { raw.isReusable() }

    /// True while inside a transaction block (including a failed one).
    public func inTransaction() async -> Bool { raw.transactionStatus != PQTRANS_IDLE }

    /// A SCRAM-SHA-256 verifier for `password`, to set a login's password without sending it.
    public func encryptPassword(_ password: String, user: String) async throws(PostgresError) -> String {
        let raw = self.raw
        return try await executor.run { () throws(PostgresError) in try raw.encryptPassword(password, user: user) }
    }

    // MARK: COPY

    /// `COPY … FROM STDIN` fed by an async sequence of byte chunks; each chunk is sent as it
    /// comes, so a file of any size streams through. Returns the number of rows copied.
    @discardableResult
    public func copyIn<Chunks: AsyncSequence & Sendable>(_ statement: PostgresQuery, chunks: Chunks) async throws -> Int
    where Chunks.Element: Collection & Sendable, Chunks.Element.Element == UInt8 {
        try Self.refuseBinds(statement)
        let raw = self.raw
        let writer = try await executor.run { () throws(PostgresError) in try raw.beginCopyIn(statement.sql) }
        do {
            for try await chunk in chunks {
                try await executor.run { () throws(PostgresError) in try writer.write(bytes: chunk) }
            }
        } catch {
            let reason = "\(error)"
            _ = try? await executor.run { () throws(PostgresError) in try raw.endCopyIn(writer, abandoning: reason) }
            throw error
        }
        return try await executor.run { () throws(PostgresError) in try raw.endCopyIn(writer, abandoning: nil) }
    }

    /// `COPY … FROM STDIN` from a file, read 64 KiB at a time.
    @discardableResult
    public func copyIn(_ statement: PostgresQuery, fromFile path: String) async throws -> Int {
        try Self.refuseBinds(statement)
        let raw = self.raw
        return try await runCopy {
            guard let file = FileHandle(forReadingAtPath: path) else {
                throw PostgresError(kind: .clientMisuse, message: "cannot read \(path): no such file or no permission")
            }
            defer { try? file.close() }
            return try raw.copyIn(statement.sql) { writer in
                while let data = try file.read(upToCount: 64 * 1024), !data.isEmpty {
                    try writer.write(bytes: data)
                }
            }
        }
    }

    /// `COPY … TO STDOUT`: `consume` receives each chunk (normally one row) on the
    /// connection's thread as it arrives. Returns the number of rows copied.
    @discardableResult
    public func copyOut(_ statement: PostgresQuery, consume: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void) async throws -> Int {
        try Self.refuseBinds(statement)
        let raw = self.raw
        return try await runCopy { try raw.copyOut(statement.sql, consume: consume) }
    }

    /// `COPY … TO STDOUT` into a file, written as the rows arrive.
    @discardableResult
    public func copyOut(_ statement: PostgresQuery, toFile path: String) async throws -> Int {
        try Self.refuseBinds(statement)
        let raw = self.raw
        return try await runCopy {
            guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
                throw PostgresError(kind: .clientMisuse, message: "cannot write \(path): check the folder exists and is writable")
            }
            defer { try? file.close() }
            return try raw.copyOut(statement.sql) { chunk in try file.write(contentsOf: Data(chunk)) }
        }
    }

    private func runCopy(_ body: @escaping @Sendable () throws -> Int) async throws -> Int {
        let outcome: Result<Int, PostgresError> = await {
            do {
                return .success(
                    try await executor.run { () throws(PostgresError) -> Result<Int, WrappedError> in
                        do { return .success(try body()) } catch { return .failure(WrappedError(error)) }
                    }.get())
            } catch let error as PostgresError {
                return .failure(error)
            } catch let wrapped as WrappedError {
                return .failure(PostgresError(kind: .clientMisuse, message: "\(wrapped.error)"))
            } catch {
                return .failure(PostgresError(kind: .clientMisuse, message: "\(error)"))
            }
        }()
        return try outcome.get()
    }

    private static func refuseBinds(_ statement: PostgresQuery) throws(PostgresError) {
        guard statement.binds.isEmpty else {
            throw PostgresError(
                kind: .clientMisuse, message: "COPY statements take no bind parameters; filter with a view or a query inside COPY (…) instead")
        }
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws (the
    /// error is rethrown). A failed COMMIT is thrown as the server reported it.
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        // Inside a transaction already (an enclosing one of the caller's): a savepoint, so that
        // this part is undone alone when it fails.
        if await inTransaction() { return try await withSavepoint(body) }
        try await begin("BEGIN ISOLATION LEVEL \(isolation.sql)\(readOnly ? " READ ONLY" : "")")
        let value: T
        do {
            value = try await body(self)
        } catch {
            throw await rolledBack(after: error, "ROLLBACK")
        }
        try await execute(unsafeSQL: "COMMIT")
        return value
    }

    /// Runs `body` inside a savepoint of the transaction in progress: released when it returns,
    /// rolled back to when it throws (the transaction goes on).
    public func withSavepoint<T: Sendable>(
        isolation actor: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await execute(unsafeSQL: "SAVEPOINT postgate_part")
        let value: T
        do {
            value = try await body(self)
        } catch {
            throw await rolledBack(after: error, "ROLLBACK TO SAVEPOINT postgate_part; RELEASE SAVEPOINT postgate_part")
        }
        try await execute(unsafeSQL: "RELEASE SAVEPOINT postgate_part")
        return value
    }
}

extension PostgresConnection {
    /// Rolls back with `sql` after `error`, and returns what to throw: `error`, or both errors
    /// when the rollback failed too (a broken connection cannot roll back; the pool discards it
    /// and the server rolls back when it notices).
    public func rolledBack(after error: any Error, _ sql: String = "ROLLBACK") async -> any Error {
        let rollback: Result<Void, any Error>
        do {
            try await execute(unsafeSQL: sql)
            rollback = .success(())
        } catch let failure {
            rollback = .failure(failure)
            // Said even when the body's error is what is thrown (the connection is gone, and the
            // server rolls the transaction back itself).
            logger.warning("rolling back after \(error) failed: \(failure)")
        }
        return PostgresTransactionError.after(error, rollback: rollback)
    }
}

/// The logger of the work in progress, for the statements it runs on any connection: set by
/// whoever starts the work (the HTTP service sets a request's, carrying its `request_id`), so
/// every SQL log line says which request it served, whichever pooled connection ran it.
public enum PostgresLogging {
    @TaskLocal public static var logger: Logger?
}

/// Transaction isolation levels.
public enum IsolationLevel: String, Sendable, CaseIterable {
    case readCommitted, repeatableRead, serializable

    var sql: String {
        switch self {
        case .readCommitted: "READ COMMITTED"
        case .repeatableRead: "REPEATABLE READ"
        case .serializable: "SERIALIZABLE"
        }
    }
}

/// Carries a non-Sendable-typed error across the executor boundary as text-free payload.
struct WrappedError: Error, @unchecked Sendable {
    let error: any Error
    init(_ error: any Error) { self.error = error }
}

extension Logger {
    /// A logger that says nothing: the default wherever a caller passes none.
    public static let silent = Logger(label: "silent") { _ in SwiftLogNoOpLogHandler() }
}

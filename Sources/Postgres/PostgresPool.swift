import Foundation
import Logging

/// A bounded pool of connections.
///
/// - At most `maxConnections` are open at once; a caller that finds none free waits up to
///   `acquireTimeout`, then gets `.poolTimeout` with a sentence saying what to do.
/// - A connection is checked before it is handed out: one whose server process has gone
///   (a restart, `pg_terminate_backend`) is closed and replaced by a new one.
/// - A connection given back inside a transaction or broken is closed, not reused.
public final class PostgresPool: Sendable {
    public let config: ConnectionConfig
    public let maxConnections: Int
    public let acquireTimeout: Duration
    private let state: PoolState

    /// `logger` is given to every connection the pool opens.
    public init(config: ConnectionConfig, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10), logger: Logger = .silent) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.config = config
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        state = PoolState(config: config, maxConnections: maxConnections, acquireTimeout: acquireTimeout, logger: logger)
    }

    /// The transaction a task works in, when it is inside `withOneTransaction` of this pool.
    struct Ambient: Sendable {
        let pool: ObjectIdentifier
        let connection: PostgresConnection
    }

    @TaskLocal static var ambient: Ambient?

    /// Runs `body` in one transaction, and everything the pool does for this task meanwhile in it
    /// too: `withConnection`, `withTransaction` and `query` run on its connection, each inside a
    /// savepoint. Committed when `body` returns, rolled back when it throws. (Tasks `body` starts
    /// with `Task.detached` use the pool as usual.)
    @discardableResult
    public func withOneTransaction<T: Sendable>(
        isolation actor: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await state.acquire()
        do {
            try await connection.begin()
            let value = try await Self.$ambient.withValue(
                Ambient(pool: ObjectIdentifier(self), connection: connection), operation: { try await body(connection) }, isolation: actor)
            try await connection.execute(unsafeSQL: "COMMIT")
            await state.release(connection)
            return value
        } catch {
            let failure = await connection.rolledBack(after: error)
            await state.release(connection)
            throw failure
        }
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    @discardableResult
    public func withConnection<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        if let ambient = Self.ambient, ambient.pool == ObjectIdentifier(self) {
            return try await ambient.connection.withSavepoint(body)
        }
        let connection = try await state.acquire()
        do {
            let value = try await body(connection)
            await state.release(connection)
            return value
        } catch {
            await state.release(connection)
            throw error
        }
    }

    /// Lends `body` a second connection when one is free now (idle, or room to open one), and
    /// `nil` when none is, inside `withOneTransaction`, or when another caller waits: for work that
    /// goes faster with a second connection and must never wait for one (a caller holding a
    /// connection and waiting for another could wait for its own kind forever).
    @discardableResult
    public func withSpareConnection<T: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection?) async throws -> T
    ) async throws -> T {
        let spare = Self.ambient?.pool == ObjectIdentifier(self) ? nil : await state.acquireIfFree()
        guard let spare else { return try await body(nil) }
        do {
            let value = try await body(spare)
            await state.release(spare)
            return value
        } catch {
            await state.release(spare)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection (see `PostgresConnection.withTransaction`).
    @discardableResult
    public func withTransaction<T: Sendable>(
        isolation actor: isolated (any Actor)? = #isolation,
        level: IsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.withTransaction(isolation: level, readOnly: readOnly, body)
        }
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await withConnection { try await $0.query(query) }
    }

    /// Connections open now (lent out or idle).
    public var openConnections: Int { get async { await state.openCount } }

    /// Connections lent out, idle, and callers waiting for one, now.
    public var usage: (inUse: Int, idle: Int, waiting: Int) { get async { await state.usage } }

    /// Closes idle connections and refuses new work; waiting callers get `.poolClosed`.
    public func shutdown() async { await state.shutdown() }
}

actor PoolState {
    let config: ConnectionConfig
    let maxConnections: Int
    let acquireTimeout: Duration

    private var idle: [PostgresConnection] = []
    private(set) var openCount = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiterID: UInt64 = 0
    private var closed = false

    var usage: (inUse: Int, idle: Int, waiting: Int) { (openCount - idle.count, idle.count, waiters.count) }

    private let logger: Logger

    init(config: ConnectionConfig, maxConnections: Int, acquireTimeout: Duration, logger: Logger) {
        self.config = config
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.logger = logger
    }

    func shutdown() async {
        closed = true
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, message: "the connection pool was shut down"))
        }
        let connections = idle
        idle.removeAll()
        openCount -= connections.count
        for connection in connections { await connection.close() }
    }

    // MARK: Lending

    func acquire() async throws -> PostgresConnection {
        while true {
            guard !closed else { throw PostgresError(kind: .poolClosed, message: "the connection pool was shut down") }
            if let connection = idle.popLast() {
                if await connection.isReusable() { return connection }
                openCount -= 1
                await connection.close()
                continue
            }
            if openCount < maxConnections {
                return try await open()
            }
            return try await wait()
        }
    }

    /// A connection without waiting: an idle one, or a new one while below the limit; `nil`
    /// when there is none or others already wait. (A new one that fails to open is `nil` too.)
    func acquireIfFree() async -> PostgresConnection? {
        while !closed, waiters.isEmpty {
            if let connection = idle.popLast() {
                if await connection.isReusable() { return connection }
                openCount -= 1
                await connection.close()
                continue
            }
            guard openCount < maxConnections else { return nil }
            return try? await open()
        }
        return nil
    }

    private func open() async throws -> PostgresConnection {
        openCount += 1
        do {
            return try await PostgresConnection.connect(config, logger: logger)
        } catch {
            openCount -= 1
            throw error
        }
    }

    private func wait() async throws -> PostgresConnection {
        nextWaiterID += 1
        let id = nextWaiterID
        let timeout = acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
        }
    }

    private func expire(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(
            throwing: PostgresError(
                kind: .poolTimeout,
                message: "no database connection became free within \(acquireTimeout) (all \(maxConnections) are in use)",
                hint: "Raise the pool size or the wait time, or look for work that holds connections for long (psql: SELECT * FROM pg_stat_activity)."
            ))
    }

    func release(_ connection: PostgresConnection) async {
        let reusable = closed ? false : await connection.isReusable()
        guard reusable else {
            openCount -= 1
            await connection.close()
            // A waiter may now open a connection in the freed place.
            if !waiters.isEmpty, !closed {
                let waiter = waiters.removeFirst()
                do {
                    waiter.continuation.resume(returning: try await open())
                } catch {
                    waiter.continuation.resume(throwing: error)
                }
            }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }
}

import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Connection pool")
struct PoolTests {
    @Test("callers wait for a free connection, then time out with a clear error")
    func exhaustionWaitsThenTimesOut() async throws {
        try await withTestDatabase(migrated: false) { database in
            let pool = PostgresPool(config: database.config, maxConnections: 2, acquireTimeout: .milliseconds(300))
            // Two long holders take every connection; each says when it has its connection.
            let (held, signal) = AsyncStream<Void>.makeStream()
            async let first: Void = pool.withConnection { connection in
                signal.yield()
                try await connection.query("SELECT pg_sleep(1.5)")
            }
            async let second: Void = pool.withConnection { connection in
                signal.yield()
                try await connection.query("SELECT pg_sleep(1.5)")
            }
            var holding = 0
            for await _ in held {
                holding += 1
                if holding == 2 { break }
            }
            let started = ContinuousClock.now
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try await $0.query("SELECT 1") }
            }
            let waited = ContinuousClock.now - started
            #expect(error?.kind == .poolTimeout)
            #expect(error?.message.contains("all 2 are in use") == true)
            #expect(error?.hint != nil)
            #expect(waited >= .milliseconds(250))
            try await first
            try await second
            // A waiter that is served in time gets a connection given back by another.
            let served = try await pool.withConnection { try await $0.query("SELECT 42 AS n")[0].decode("n", as: Int.self) }
            #expect(served == 42)
            #expect(await pool.openConnections <= 2)
            await pool.shutdown()
        }
    }

    @Test("a waiter gets the connection another caller gives back")
    func waiterIsServed() async throws {
        try await withTestDatabase(migrated: false) { database in
            // Served in turn, however busy the machine: the wait allowed is long.
            let pool = PostgresPool(config: database.config, maxConnections: 1, acquireTimeout: .seconds(120))
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for value in 1...20 {
                    group.addTask { try await pool.withConnection { try await $0.query("SELECT \(value) AS v")[0].decode("v", as: Int.self) } }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(results.sorted() == Array(1...20))
            #expect(await pool.openConnections == 1)
            await pool.shutdown()
        }
    }

    @Test("a backend killed by pg_terminate_backend is replaced by a new connection")
    func killedBackendIsReplaced() async throws {
        try await withTestDatabase(migrated: false) { database in
            let pool = PostgresPool(config: database.config, maxConnections: 1)
            let victim = try await pool.withConnection { $0.backendPID }
            let admin = try await database.connect()
            let terminated = try await admin.query("SELECT pg_terminate_backend(\(victim)) AS ok")[0].decode("ok", as: Bool.self)
            #expect(terminated)
            // Wait until the server has let the process go.
            for _ in 0..<100 {
                let alive = try await admin.query("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = \(victim)")[0].decode("n", as: Int.self)
                if alive == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            await admin.close()
            let replacement = try await pool.withConnection { connection in
                (connection.backendPID, try await connection.query("SELECT 1 AS one")[0].decode("one", as: Int.self))
            }
            #expect(replacement.0 != victim)
            #expect(replacement.1 == 1)
            #expect(await pool.openConnections == 1)
            await pool.shutdown()
        }
    }

    @Test("a connection given back inside a transaction is not reused")
    func openTransactionIsDiscarded() async throws {
        try await withTestDatabase(migrated: false) { database in
            let pool = PostgresPool(config: database.config, maxConnections: 1)
            let first = try await pool.withConnection { connection in
                try await connection.execute(unsafeSQL: "BEGIN")
                return connection.backendPID
            }
            let second = try await pool.withConnection { connection in
                (connection.backendPID, await connection.inTransaction())
            }
            #expect(second.0 != first)
            #expect(second.1 == false)
            await pool.shutdown()
        }
    }

    @Test("a pool transaction commits or rolls back as a whole")
    func poolTransaction() async throws {
        try await withTestDatabase(migrated: false) { database in
            let pool = PostgresPool(config: database.config, maxConnections: 2)
            try await pool.query("CREATE TABLE t (n int)")
            struct Stop: Error {}
            await #expect(throws: Stop.self) {
                try await pool.withTransaction { connection in
                    try await connection.query("INSERT INTO t VALUES (\(1))")
                    throw Stop()
                }
            }
            try await pool.withTransaction(level: .serializable) { try await $0.query("INSERT INTO t VALUES (\(2))") }
            let values = try await pool.query("SELECT array_agg(n)::bigint[] AS ns FROM t")[0].decode("ns", as: [Int64].self)
            #expect(values == [2])
            await pool.shutdown()
        }
    }
}

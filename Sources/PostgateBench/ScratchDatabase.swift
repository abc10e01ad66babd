import Foundation
import Postgate
import Postgres
import PostgresServer

/// Runs `body` in a scratch database `postgate_bench_<pid><suffix>` on `server`: created,
/// migrated, handed over, dropped (also when `body` throws). The login needs CREATEDB.
public func withScratchDatabase<T>(
    server: ConnectionConfig, sql: String?, suffix: String = "", _ body: (ConnectionConfig) async throws -> T
) async throws -> T {
    let name = "postgate_bench_\(getpid())\(suffix)"
    let admin = try await PostgresConnection.connect(server)
    try await admin.execute(unsafeSQL: "CREATE DATABASE \(PostgresQuery.quoteIdentifier(name))")
    let scratch = server.with("dbname", name)
    do {
        let database = try await PostgresConnection.connect(scratch)
        try await Migrator(directory: SQLFiles.locate(explicit: sql)).migrate(database)
        await database.close()
        let value = try await body(scratch)
        _ = try? await admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(name)) WITH (FORCE)")
        await admin.close()
        return value
    } catch {
        _ = try? await admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(PostgresQuery.quoteIdentifier(name)) WITH (FORCE)")
        await admin.close()
        throw error
    }
}

import ArgumentParser
import Foundation
import Postgate
import Postgres

@main
struct PostgateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgate",
        abstract: "Postgate: the receivables core of a small-business ERP, on PostgreSQL.",
        discussion: """
            Every command that uses the database finds it the same way: --database URL, else
            DATABASE_URL, else the PG* environment variables, else the embedded server under
            ./.postgate (or --data DIR), which is started when needed.
            """,
        version: "0.1.0",
        subcommands: [
            DatabaseCommand.self, MigrateCommand.self, CustomersCommand.self, ReferenceCommand.self, ProductsCommand.self,
            StockCommand.self, SerialsCommand.self, InvoicesCommand.self, PostCommand.self, PostAndPayCommand.self, PaymentsCommand.self,
            POSCommand.self, ItemsCommand.self, AdjustmentsCommand.self, LoginsCommand.self, DemoCommand.self, BenchCommand.self,
        ]
    )
}

/// Where the database is: shared by every command that touches it.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database"), help: ArgumentHelp("A libpq conninfo string or postgresql:// URL.", valueName: "URL"))
    var database: String?

    @Option(name: .customLong("data"), help: ArgumentHelp("The embedded server's folder (default ./.postgate).", valueName: "DIR"))
    var dataFolder: String?

    var target: DatabaseTarget { DatabaseTarget.resolve(database: database, dataFolder: dataFolder) }

    /// Opens a connection, starting the embedded server if that is the target.
    func connect() async throws -> PostgresConnection {
        let config = try await target.prepare(log: note)
        return try await PostgresConnection.connect(config)
    }

    /// A small pool for the domain stores, starting the embedded server if that is the target.
    func pool() async throws -> PostgresPool {
        PostgresPool(config: try await target.prepare(log: note), maxConnections: 2)
    }
}

/// Runs `body` with a pool on the chosen database, closing it afterwards.
@discardableResult
func withPool<T>(_ connection: ConnectionOptions, _ body: (PostgresPool) async throws -> T) async throws -> T {
    let pool = try await connection.pool()
    do {
        let value = try await body(pool)
        await pool.shutdown()
        return value
    } catch {
        await pool.shutdown()
        throw error
    }
}

/// A line for the person at the terminal, on standard error so that standard output stays
/// clean for scripts (`postgate db url`).
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

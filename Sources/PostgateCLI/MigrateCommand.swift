import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostgresServer

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending SQL migrations and changed routines.",
        discussion: "Versioned files (sql/migrations/V####__name.sql) run once; routines (sql/routines/R__name.sql) run again whenever they change."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: ArgumentHelp("The folder holding migrations/ and routines/ (default: the installed or source copy).", valueName: "DIR"))
    var sql: String?

    func run() async throws {
        let migrator = Migrator(directory: SQLFiles.locate(explicit: sql))
        let database = try await connection.connect()
        let report = try await migrator.migrate(database, logger: connection.logger)
        await database.close()
        for (file, milliseconds) in report.applied {
            print("Applied \(file) in \(String(format: "%.0f", milliseconds)) ms")
        }
        let version = report.version.map { "version \($0)" } ?? "no version"
        if report.applied.isEmpty {
            print("Database is up to date (\(version)): \(connection.target.summary)")
        } else {
            print("Migrated to \(version): \(connection.target.summary)")
        }
    }
}

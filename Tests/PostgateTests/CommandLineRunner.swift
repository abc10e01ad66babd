import Foundation
import PostgresServer
import TestSupport

/// Runs the `postgate` command line as a process against a test database, as a user would.
func run(_ database: TestDatabase, _ arguments: [String], input: String? = nil) async throws -> Program.Result {
    try await Program.run([CommandLineTests.executable] + arguments + ["--database", database.config.conninfo], input: input)
}

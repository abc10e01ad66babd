import ArgumentParser
import Foundation
import Postgate
import Postgres

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the database client: round trips, pipeline mode and COPY.",
        discussion: "Each case runs --runs times; the median is reported, with its speed as a ratio to one statement per round trip measured in the same run. Uses temporary tables only."
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Statements in the round-trip and pipeline cases.") var statements = 5_000
    @Option(help: "Rows in the COPY case.") var copyRows = 100_000
    @Option(help: "Runs of each case.") var runs = 3

    func validate() throws {
        guard statements > 0 else { throw ValidationError("--statements must be at least 1, not \(statements)") }
        guard copyRows > 0 else { throw ValidationError("--copy-rows must be at least 1, not \(copyRows)") }
        guard (1...50).contains(runs) else { throw ValidationError("--runs must be between 1 and 50, not \(runs)") }
    }

    func run() async throws {
        let database = try await connection.connect()
        let report = try await ClientBenchmark(statements: statements, copyRows: copyRows, runs: runs).run(on: database)
        await database.close()
        print(report.table)
    }
}

import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Pipeline mode")
struct PipelineTests {
    @Test("results come back in the order the statements were sent")
    func resultsInOrder() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE seq (n int PRIMARY KEY)")
            let statements: [PostgresQuery] = (1...5000).map { "INSERT INTO seq VALUES (\($0)) RETURNING n * 2 AS doubled" }
            let results = try await connection.pipeline(statements)
            #expect(results.count == 5000)
            for (index, result) in results.enumerated() {
                #expect(try result.get()[0].decode("doubled", as: Int.self) == (index + 1) * 2)
            }
            let count = try await connection.query("SELECT count(*) AS n FROM seq")[0].decode("n", as: Int.self)
            #expect(count == 5000)
        }
    }

    @Test("an error in the middle fails that statement, aborts the rest, and rolls back the earlier ones")
    func errorInTheMiddle() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE seq (n int PRIMARY KEY)")
            let results = try await connection.pipeline([
                "INSERT INTO seq VALUES (\(1))",
                "INSERT INTO seq VALUES (\(2))",
                "INSERT INTO seq VALUES (\(1))",
                "INSERT INTO seq VALUES (\(3))",
                "SELECT \(4) AS n",
            ])
            #expect(results.count == 5)
            #expect((try? results[0].get()) != nil)
            #expect((try? results[1].get()) != nil)
            guard case .failure(let error) = results[2] else {
                Issue.record("statement 3 should fail")
                return
            }
            #expect(error.sqlState == "23505")
            #expect(error.constraint == "seq_pkey")
            for later in results[3...] {
                guard case .failure(let aborted) = later else {
                    Issue.record("later statements should be aborted")
                    continue
                }
                #expect(aborted.kind == .pipelineAborted)
            }
            let count = try await connection.query("SELECT count(*) AS n FROM seq")[0].decode("n", as: Int.self)
            #expect(count == 0)
            // The connection left pipeline mode and works as before.
            let after = try await connection.pipeline(["SELECT \(7) AS n"])
            #expect(try after[0].get()[0].decode("n", as: Int.self) == 7)
        }
    }

    @Test("an empty pipeline returns no results")
    func emptyPipeline() async throws {
        try await withTestConnection(migrated: false) { connection in
            #expect(try await connection.pipeline([]).isEmpty)
            let one = try await connection.query("SELECT 1 AS one")[0].decode("one", as: Int.self)
            #expect(one == 1)
        }
    }
}

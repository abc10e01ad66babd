import Foundation
import TestSupport
import Testing

@testable import Postgres

@Suite("Errors and transactions")
struct ErrorAndTransactionTests {
    @Test(
        "settings of each transaction hold in every statement, transaction and pipeline, and never stay in the session (as a pooler in transaction mode needs)"
    )
    func transactionSettings() async throws {
        try await withTestDatabase(migrated: false) { database in
            let connection = try await PostgresConnection.connect(database.config.settingEachTransaction("lock_timeout", "1234ms"))
            func setting(_ query: PostgresQuery = "SELECT current_setting('lock_timeout') AS value") async throws -> String {
                try await connection.query(query)[0].decode("value", as: String.self)
            }
            #expect(try await setting() == "1234ms", "a statement on its own")
            let inTransaction = try await connection.withTransaction { connection in
                try await connection.query("SELECT current_setting('lock_timeout') AS value")[0].decode(0, as: String.self)
            }
            #expect(inTransaction == "1234ms")
            let piped = try await connection.pipeline(["SELECT current_setting('lock_timeout') AS value", "SELECT 2 AS value"])
            #expect(piped.count == 2, "the settings' own results are not returned")
            #expect(try piped[0].get()[0].decode(0, as: String.self) == "1234ms")
            // The session itself keeps the server's default: another client of the same server
            // connection (behind a pooler) would not inherit it.
            let session = try await connection.execute(unsafeSQL: "SELECT current_setting('lock_timeout')")
            #expect(try session?[0].decode(0, as: String.self) == "0")
            // A failing statement fails as itself.
            let failure = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1/0") }
            #expect(failure?.sqlState == "22012")
            #expect(try await setting() == "1234ms", "the connection goes on")
            await connection.close()
        }
    }

    @Test("a constraint violation carries SQLSTATE, constraint, table, column and detail")
    func constraintViolationCarriesEveryField() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(
                unsafeSQL: """
                    CREATE TABLE item (code text CONSTRAINT item_code_key UNIQUE, qty int NOT NULL CONSTRAINT item_qty_positive CHECK (qty > 0))
                    """)
            try await connection.query("INSERT INTO item VALUES (\("A"), \(1))")
            let duplicate = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO item VALUES (\("A"), \(2))")
            }
            #expect(duplicate?.kind == .server)
            #expect(duplicate?.sqlState == "23505")
            #expect(duplicate?.constraint == "item_code_key")
            #expect(duplicate?.table == "item")
            #expect(duplicate?.detail == "Key (code)=(A) already exists.")
            #expect(duplicate?.isConstraintViolation == true)

            let check = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO item VALUES (\("B"), \(0))")
            }
            #expect(check?.sqlState == "23514")
            #expect(check?.constraint == "item_qty_positive")

            let notNull = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO item (code) VALUES (\("C"))")
            }
            #expect(notNull?.sqlState == "23502")
            #expect(notNull?.column == "qty")
            #expect(String(reflecting: notNull!).contains("column: \"qty\""))
        }
    }

    @Test("a raised error keeps its own SQLSTATE, detail and hint")
    func raisedErrorKeepsDetailAndHint() async throws {
        try await withTestConnection(migrated: false) { connection in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute(
                    unsafeSQL: """
                        DO $$ BEGIN RAISE EXCEPTION 'credit limit exceeded' USING ERRCODE = 'PG001', DETAIL = 'over by 10.00', HINT = 'take a payment first'; END $$
                        """)
            }
            #expect(error?.sqlState == "PG001")
            #expect(error?.message == "credit limit exceeded")
            #expect(error?.detail == "over by 10.00")
            #expect(error?.hint == "take a payment first")
            #expect(error?.description == "credit limit exceeded (SQLSTATE PG001) Hint: take a payment first")
            // The connection is still usable after an error.
            let one = try await connection.query("SELECT 1 AS one")[0].decode("one", as: Int.self)
            #expect(one == 1)
        }
    }

    @Test("a syntax error reports its position")
    func syntaxErrorHasPosition() async throws {
        try await withTestConnection(migrated: false) { connection in
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELEC 1") }
            #expect(error?.sqlState == "42601")
            #expect(error?.position == "1")
        }
    }

    struct Abandon: Error {}

    @Test("a transaction rolls back when its body throws, and commits when it returns")
    func transactionRollsBackOnThrow() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE entry (amount numeric NOT NULL)")
            await #expect(throws: Abandon.self) {
                try await connection.withTransaction { transaction in
                    try await transaction.query("INSERT INTO entry VALUES (\(Decimal(10)))")
                    throw Abandon()
                }
            }
            #expect(await connection.inTransaction() == false)
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction(isolation: .serializable) { transaction in
                    try await transaction.query("INSERT INTO entry VALUES (\(Decimal(20)))")
                    try await transaction.query("INSERT INTO entry VALUES (\(nil as Decimal?))")
                }
            }
            let committed = try await connection.withTransaction(isolation: .repeatableRead) { transaction in
                try await transaction.query("INSERT INTO entry VALUES (\(Decimal(string: "30.05")!)) RETURNING amount")[0].decode(
                    "amount", as: Decimal.self)
            }
            #expect(committed == Decimal(string: "30.05"))
            let rows = try await connection.query("SELECT coalesce(sum(amount), 0) AS total, count(*) AS n FROM entry")[0]
            #expect(try rows.decode("total", as: Decimal.self) == Decimal(string: "30.05"))
            #expect(try rows.decode("n", as: Int.self) == 1)
        }
    }

    @Test("a read-only transaction refuses writes")
    func readOnlyTransactionRefusesWrites() async throws {
        try await withTestConnection(migrated: false) { connection in
            try await connection.execute(unsafeSQL: "CREATE TABLE note (body text)")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.withTransaction(readOnly: true) { try await $0.query("INSERT INTO note VALUES (\("x"))") }
            }
            #expect(error?.sqlState == "25006")
        }
    }

    @Test("connecting to a server that is not there says so")
    func connectionFailureIsClear() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(ConnectionConfig(parameters: [("host", "/nonexistent-socket-folder"), ("dbname", "x")]))
        }
        #expect(error?.kind == .connectionFailed)
        #expect(error?.message.contains("could not connect") == true)
    }
}

@Suite("A transaction whose rollback fails too")
struct FailedRollbackTests {
    struct Refused: Error {}

    @Test("both errors are reported when the rollback failed on a live connection; a connection that is gone keeps the body's error")
    func bothErrors() {
        let lost = PostgresError(kind: .connectionLost, message: "gone")
        let rollback = PostgresError(kind: .server, message: "another command is already in progress")
        // A body that broke the connection is the error: no rollback can work then.
        #expect(PostgresTransactionError.after(lost, rollback: .failure(rollback)) as? PostgresError == lost)
        // A connection that broke during the rollback: the server rolls back, the body's error stands
        // (a client's own answer, thrown to end the transaction, keeps its type).
        #expect(PostgresTransactionError.after(Refused(), rollback: .failure(lost)) is Refused)
        // A rollback that worked leaves the body's error alone.
        #expect(PostgresTransactionError.after(Refused(), rollback: .success(())) is Refused)
        // Otherwise both are kept; failures are classified by the body's.
        let both = PostgresTransactionError.after(Refused(), rollback: .failure(rollback)) as? PostgresTransactionError
        #expect(both?.bodyError is Refused && both?.underlyingTransactionError is Refused)
        #expect(both?.description.contains("rolling the transaction back failed too: ") == true)
    }
}

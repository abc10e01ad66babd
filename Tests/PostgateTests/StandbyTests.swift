import Foundation
import Postgres
import PostgresServer
import TestSupport
import Testing

@Suite("A hot standby of the embedded server, for psql reporting")
struct StandbyTests {
    @Test(
        "db start --standby-of streams the primary through a slot; db status shows the lag; every report view reads on it as a reporting login; writes are refused saying why"
    )
    func standby() async throws {
        let folder = NSTemporaryDirectory() + "postgate-standby-\(UUID().uuidString)"
        let (primary, standby) = (LocalCluster(root: folder + "/primary"), LocalCluster(root: folder + "/standby"))
        defer {
            standby.signalStop()
            primary.signalStop()
            try? FileManager.default.removeItem(atPath: folder)
        }
        func postgate(_ arguments: [String]) async throws -> Program.Result {
            try await Program.run([postgateExecutable] + arguments, mergeOutput: true)
        }
        for command in [["db", "start", "--quiet"], ["migrate"], ["demo"], ["logins", "add", "reports", "--role", "reporting"]] {
            let result = try await postgate(command + ["--data", primary.root])
            try #require(result.status == 0, "\(command): \(result.output)")
        }
        let refused = try await postgate(["db", "start", "--standby-of", folder + "/nowhere", "--data", standby.root])
        #expect(refused.status != 0 && refused.output.contains("not running"), "\(refused.output)")
        let made = try await postgate(["db", "start", "--standby-of", primary.root, "--data", standby.root])
        try #require(made.status == 0, "\(made.output)")
        #expect(made.output.contains("standby of \(primary.root)") && made.output.contains(standby.standbySlot), "\(made.output)")

        // What the primary wrote after the copy arrives too: a customer made now is read there.
        let later = try await postgate([
            "customers", "add", "LATER", "--name", "Made later", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--data", primary.root,
        ])
        try #require(later.status == 0, "\(later.output)")
        let primaryConnection = try await PostgresConnection.connect(primary.connectionConfig(database: "postgate"))
        let written = try await primaryConnection.query("SELECT pg_current_wal_lsn()::text AS lsn")[0].decode("lsn", as: String.self)
        let slot = try await primaryConnection.query("SELECT active FROM pg_replication_slots WHERE slot_name = \(standby.standbySlot)")
        #expect(try slot.first?.decode("active", as: Bool.self) == true, "the standby streams through its slot")
        let superuser = try await PostgresConnection.connect(standby.connectionConfig(database: "postgate"))
        var caughtUp = false
        for _ in 0..<200 where !caughtUp {
            caughtUp = try await superuser.query("SELECT pg_last_wal_replay_lsn() >= \(written)::pg_lsn AS done")[0].decode("done", as: Bool.self)
            if !caughtUp { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(caughtUp, "the standby replays what the primary wrote")
        await superuser.close()

        let status = try await postgate(["db", "status", "--data", standby.root])
        #expect(status.output.contains("hot standby") && status.output.contains("Lag:") && status.output.contains("streaming"), "\(status.output)")
        let primaryStatus = try await postgate(["db", "status", "--data", primary.root])
        #expect(
            primaryStatus.output.contains("Role:      primary, with 1 standby") && primaryStatus.output.contains("replay lag"),
            "\(primaryStatus.output)")

        // Every report view, as the reporting login, on the standby.
        var config = standby.connectionConfig(database: "postgate")
        config = config.with("user", "reports")
        let reports = try await PostgresConnection.connect(config)
        let views = try await reports.query("SELECT viewname FROM pg_views WHERE schemaname = 'report' ORDER BY viewname").map {
            try $0.decode("viewname", as: String.self)
        }
        #expect(views.count >= 20, "\(views)")
        for view in views {
            do {
                _ = try await reports.query(PostgresQuery(unsafeSQL: "SELECT * FROM report.\(PostgresQuery.quoteIdentifier(view)) LIMIT 5"))
            } catch {
                Issue.record("report.\(view) cannot be read on the standby: \(error)")
            }
        }
        let customers = try await reports.query("SELECT count(*) AS n FROM report.customers WHERE code = 'LATER'")[0].decode("n", as: Int.self)
        #expect(customers == 1)
        await reports.close()
        await primaryConnection.close()

        // Writes on the standby are refused, saying where to write.
        let write = try await postgate([
            "customers", "add", "NOPE", "--name", "No", "--price-list", "DEMO-SALES", "--terms", "DEMO-NET30", "--data", standby.root,
        ])
        #expect(write.status != 0)
        #expect(write.output.contains("only reads") && write.output.contains("primary"), "\(write.output)")
    }
}

import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// The serial tracking article's flows, from the command line alone; psql reads the result.
@Suite("postgate products, stock and serials")
struct StockCommandTests {

    @Test("configure, receive, transfer, write off, correct a serial and find its history from the CLI")
    func serialTrackingFromTheCommandLine() async throws {
        try await withTestDatabase { database in
            let steps: [([String], Bool)] = [
                (["stock", "locations", "add", "MAIN", "--name", "Main store"], true),
                (["stock", "locations", "add", "VAN", "--name", "Van"], true),
                (["products", "item-types", "add", "TV", "--name", "Television", "--warranty-months", "24", "--service-months", "12"], true),
                (["products", "add", "TV55", "--name", "TV 55 inch", "--item-type", "TV"], true),
                (["stock", "receive", "--location", "MAIN", "--line", "TV55:1"], true),
                (["products", "update", "TV55", "--version", "1", "--serials", "unique"], false),  // stock on hand
                (["stock", "write-off", "--location", "MAIN", "--line", "TV55:1"], true),
                (["products", "update", "TV55", "--version", "1", "--serials", "unique"], true),
                (["products", "add", "CARPET", "--name", "Carpet roll", "--unit", "m", "--serials", "batch", "--expiry", "true"], true),
                (
                    [
                        "stock", "receive", "--location", "MAIN", "--reference", "PO-1", "--line", "TV55:2:SN-1,SN-2",
                        "--line", "CARPET:100:ROLL-A=60@2027-01-31,ROLL-B=40@2026-12-31",
                    ], true
                ),
                (["stock", "transfer", "--from", "MAIN", "--to", "VAN", "--line", "TV55:1:SN-2"], true),
                (["stock", "write-off", "--location", "MAIN", "--line", "TV55:1:SN-1", "--reference", "typo"], true),
                (["stock", "receive", "--location", "MAIN", "--line", "TV55:1:SN-10", "--reference", "typo"], true),
                (["stock", "write-off", "--location", "VAN", "--line", "CARPET:1:ROLL-A=1"], false),  // none at VAN
            ]
            for (arguments, succeeds) in steps {
                let result = try await run(database, arguments)
                #expect((result.status == 0) == succeeds, "\(arguments.joined(separator: " ")): \(result.output) \(result.error)")
            }
            let onHand = try await run(database, ["stock", "on-hand"])
            #expect(onHand.output.contains("CARPET   Carpet roll  MAIN      100"))
            let found = try await run(database, ["serials", "find", "SN-1"])
            #expect(found.output.contains("SN-1    TV55     written off"))
            #expect(found.output.contains("SN-10   TV55     in stock"))
            let history = try await run(database, ["serials", "history", "SN-2"])
            #expect(history.output.contains("receipt"))
            #expect(history.output.contains("PO-1"))
            #expect(history.output.contains("VAN"))
            let refused = try await run(database, ["stock", "write-off", "--location", "VAN", "--line", "CARPET:1:ROLL-A=1"])
            #expect(refused.error.contains("0 on hand at VAN"))

            let connection = try await database.connect()
            let serials = try await connection.query("SELECT serial, status, location FROM report.serial_numbers ORDER BY serial")
            #expect(
                try serials.map { "\(try $0.decode("serial", as: String.self)) \(try $0.decode("status", as: String.self))" }
                    == ["ROLL-A in stock", "ROLL-B in stock", "SN-1 written off", "SN-10 in stock", "SN-2 in stock"])
            let expiring = try await connection.query("SELECT serial FROM report.expiring_serials")
            #expect(try expiring.map { try $0.decode("serial", as: String.self) } == ["ROLL-B", "ROLL-A"])
            let drift = try await connection.query("SELECT count(*) AS n FROM report.stock_discrepancies")[0].decode("n", as: Int.self)
            #expect(drift == 0)
            await connection.close()
        }
    }

    @Test("a malformed --line is refused before anything is sent", arguments: ["TV55", "TV55:two", "CARPET:5:R1=x", "CARPET:5:R1@31-12-2027"])
    func malformedLines(_ bad: String) async throws {
        try await withTestDatabase { database in
            let result = try await run(database, ["stock", "receive", "--location", "MAIN", "--line", bad])
            #expect(result.status != 0)
            #expect(result.error.contains("--line"))
        }
    }
}

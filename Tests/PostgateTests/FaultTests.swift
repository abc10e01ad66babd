import Foundation
import Postgate
import Postgres
import PostgresServer
import PostingPolicy
import TestSupport
import Testing

/// Faults a shared database meets: clients racing for one customer's credit, a hold switched on
/// while postings are in flight, and hostile arguments to every api function.
@Suite("Faults")
struct FaultTests {
    /// A customer with `limit` in block mode and a balance `headroom` under it; cables of 12.10 each.
    func customer(_ company: Company, code: String, limit: Decimal, headroom: Decimal) async throws {
        var customer = NewCustomer(code: code, name: code, priceList: "SALES", paymentTerms: "NET30")
        customer.creditLimit = limit
        try await company.customers.create(customer)
        try await AdjustmentStore(pool: company.pool).add(customer: code, amount: limit - headroom, date: LocalDate("2026-03-01"))
    }

    @Test("credit race: 64 postings at once for a customer just under its limit, 10 times (FAULT_ROUNDS): never over, exactly as many as fit")
    func creditRace() async throws {
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            try await StockStore(pool: company.pool).post(
                StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: 1000)]))
            let limit: Decimal = 1000
            let headroom: Decimal = 100
            let amount = Decimal(string: "12.10")!
            try await customer(company, code: "RACE", limit: limit, headroom: headroom)
            var fits = 0
            while Decimal(fits + 1) * amount <= headroom { fits += 1 }
            let rounds = faultSize("FAULT_ROUNDS", 10)
            for round in 1...rounds {
                var ids: [Int64] = []
                for _ in 0..<64 { ids.append(try await company.draft("RACE", [cable(1)])) }
                let accepted = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for id in ids {
                        group.addTask {
                            do {
                                _ = try await company.posting.post([id])
                                return true
                            } catch is PostingRefused {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                let balance = try await company.balance("RACE")
                #expect(accepted == fits, "round \(round): \(accepted) accepted, \(fits) fit")
                #expect(balance <= limit, "round \(round): balance \(balance) over \(limit)")
                // Back to the same headroom for the next round; the refused drafts go.
                try await AdjustmentStore(pool: company.pool).add(
                    customer: "RACE", amount: -(Decimal(accepted) * amount), date: LocalDate("2026-03-01"))
                for id in try await company.invoices.unposted(UnpostedFilter(customer: "RACE")).map(\.invoiceID) {
                    try await company.invoices.delete(id)
                }
            }
            print("Credit race: \(rounds) rounds of 64 postings, \(fits) accepted in each")
            let connection = try await company.database.connect()
            let problems = try await bookProblems(connection)
            await connection.close()
            #expect(problems.isEmpty, "\(problems.prefix(10))")
        }
    }

    @Test("policy flip: a hold committed while postings are in flight: no posting commits after it")
    func holdInFlight() async throws {
        try await withCompany { company in
            try await company.customers.create(NewCustomer(code: "FLIP", name: "Flip", priceList: "SALES", paymentTerms: "NET30"))
            var ids: [Int64] = []
            for _ in 0..<40 { ids.append(try await company.draft("FLIP", [cable(1)])) }
            let posted = { @Sendable () async throws -> Int in
                try await company.pool.query(
                    "SELECT count(*) FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id WHERE c.code = 'FLIP' AND i.number IS NOT NULL")[
                        0
                    ]
                    .decode(0, as: Int.self)
            }
            let (atHold, refusedByHold) = try await withThrowingTaskGroup(of: Int.self) { group in
                for id in ids {
                    group.addTask {
                        do {
                            _ = try await company.posting.post([id])
                            return 0
                        } catch let refused as PostingRefused {
                            return refused.decisions.contains { $0.decision.blockers.contains { $0.rule == "on-hold" } } ? 1 : 0
                        }
                    }
                }
                // Once some have committed, the hold; then what is posted at that moment.
                while try await posted() < 3 { try await Task.sleep(for: .milliseconds(5)) }
                try await company.customers.hold("FLIP")
                let atHold = try await posted()
                let refused = try await group.reduce(0, +)
                return (atHold, refused)
            }
            let final = try await posted()
            #expect(final == atHold, "\(final - atHold) postings committed after the hold")
            #expect(final + refusedByHold == 40, "every other draft was refused by the hold")
        }
    }
}

/// Every api function called with hostile arguments, each in a savepoint rolled back afterwards.
@Suite("Hostile arguments to every api function")
struct HostileArgumentTests {
    /// Values of each type that a careless or hostile client sends. Text binds, cast by the server.
    static func values(for type: String) -> [String?] {
        let huge = String(repeating: "x", count: 1 << 20)
        switch type {
        case "text":
            return [nil, "", " ", "ACME", "nope", "'; DROP TABLE ar.invoices; --", "\u{202E}evil", String(repeating: "é", count: 300), huge]
        case "jsonb", "json":
            return [
                nil, "null", "[]", "{}", "\"text\"", "1e400", "-1", "true", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                #"{"customer": null, "amount": null, "lines": null}"#, #"{"customer": "ACME", "amount": "1.001"}"#,
                #"{"customer": "ACME", "amount": 1e100, "date": "2026-02-30"}"#, #"{"customer": "ACME", "lines": "x", "serials": {}}"#,
                #"{"customer": "ACME", "lines": [{"product": "CABLE", "quantity": -1e30}]}"#,
                #"{"code": "\u0000", "name": "nul"}"#, #"{"customer": {"nested": [1, 2]}, "amount": [1]}"#,
                "{\"customer\": \"\(huge)\"}", #"{"date": "99999-01-01", "valid_from": "0000-00-00", "warranty_start": "yesterday"}"#,
            ]
        case "numeric":
            return [nil, "NaN", "Infinity", "-Infinity", "1e100", "-1", "0", "0.00001", "99999999999999999999999.99"]
        case "integer", "bigint", "smallint":
            return [nil, "-1", "0", "2147483647", type == "bigint" ? "9223372036854775807" : "-2147483648"]
        case "date":
            return [nil, "0001-01-01", "9999-12-31", "infinity", "-infinity"]
        case "uuid":
            return [nil, "00000000-0000-0000-0000-000000000000", UUID().uuidString]
        case "boolean":
            return [nil, "true", "false"]
        case "text[]":
            return [nil, "{}", "{NULL}", "{\"\"}", "{ACME,ACME}"]
        case "bigint[]", "integer[]":
            return [nil, "{}", "{NULL}", "{-1,0,9223372036854775807}"]
        case "interval":
            return [nil, "-1 day", "1000 years", "0"]
        default:
            return [nil]
        }
    }

    /// A plausible value, so that the others are reached.
    static func plausible(_ type: String) -> String? {
        switch type {
        case "text": "ACME"
        case "jsonb", "json": #"{"customer": "ACME", "location": "MAIN", "amount": "1"}"#
        case "numeric": "1"
        case "integer", "bigint", "smallint": "1"
        case "date": "2026-03-02"
        case "uuid": UUID().uuidString
        case "boolean": "false"
        case "text[]": "{CABLE}"
        case "bigint[]", "integer[]": "{1}"
        case "interval": "1 hour"
        default: nil
        }
    }

    /// Refusals a client may get: the project's (PGxxx), data exceptions (22), integrity (23, but
    /// not a bare NOT NULL: a missing value is refused naming its field), and the retryable ones
    /// (40, 55P03).
    static func acceptable(_ state: String) -> Bool {
        state.hasPrefix("PG") || state.hasPrefix("22") || (state.hasPrefix("23") && state != "23502") || state.hasPrefix("40")
            || state == "55P03"
    }

    static func describe(_ name: String, _ types: String, _ position: Int, _ value: String?, _ error: PostgresError) -> String {
        let shown = value.map { String($0.prefix(40)) } ?? "NULL"
        return "api.\(name)(\(types)) argument \(position + 1) = \(shown): \(error.sqlState ?? "none") \(error.message.prefix(160))"
    }

    @Test("only refusals that say what is wrong: never an internal error, an undefined column or a crash")
    func everyFunction() async throws {
        try await withCompany { company in
            let connection = try await company.database.connect()
            let functions = try await connection.query(
                """
                SELECT p.proname AS name, array_to_string(ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t), ',') AS types
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'api' AND p.prokind = 'f' ORDER BY 1, 2
                """
            ).map { (try $0.decode("name", as: String.self), try $0.decode("types", as: String.self)) }
            #expect(functions.count > 60)
            var calls = 0
            var states: [String: Int] = [:]
            var bad: [String] = []
            try await connection.execute(unsafeSQL: "BEGIN; SET LOCAL lock_timeout = '2s'; SET LOCAL statement_timeout = '20s'")
            for (name, typeList) in functions {
                let types = typeList.isEmpty ? [] : typeList.split(separator: ",").map(String.init)
                let casts = types.enumerated().map { "$\($0.offset + 1)::\($0.element)" }.joined(separator: ", ")
                let sql = "SELECT * FROM api.\(PostgresQuery.quoteIdentifier(name))(\(casts))"
                for position in types.indices {
                    for value in Self.values(for: types[position]) {
                        var arguments = types.map(Self.plausible)
                        arguments[position] = value
                        calls += 1
                        try await connection.execute(unsafeSQL: "SAVEPOINT call")
                        do {
                            _ = try await connection.query(
                                PostgresQuery(unsafeSQL: sql, binds: arguments.map { PostgresBind(type: .text, text: $0) }))
                        } catch let error as PostgresError {
                            let state = error.sqlState ?? "none"
                            states[state, default: 0] += 1
                            if !Self.acceptable(state) || error.message.isEmpty {
                                bad.append(Self.describe(name, typeList, position, value, error))
                            }
                        }
                        try await connection.execute(unsafeSQL: "ROLLBACK TO SAVEPOINT call")
                    }
                }
            }
            try await connection.execute(unsafeSQL: "ROLLBACK")
            await connection.close()
            #expect(calls > 500)
            let summary = states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("Hostile arguments: \(calls) calls of \(functions.count) api functions; refused: \(summary)")
            let report = bad.prefix(40).joined(separator: "\n")
            #expect(bad.isEmpty, "\(bad.count) calls of \(calls) failed badly:\n\(report)")
        }
    }
}

extension FaultTests {
    static let crashDrafts = 3000

    @Test(
        "crash: the posting process killed (SIGKILL) at 20 seeded points of a mass posting: nothing half-posted, no gap, the rerun posts exactly the rest"
    )
    func killedMidPosting() async throws {
        try await withCompany { company in
            try await StockStore(pool: company.pool).post(
                StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: 1000)]))
            try await company.customers.create(NewCustomer(code: "MANY", name: "Many", priceList: "SALES", paymentTerms: "NET30"))
            try await company.pool.query(
                """
                SELECT api.add_invoice_line((api.create_invoice('{"customer": "MANY", "location": "MAIN", "date": "2026-03-02"}') ->> 'invoice_id')::bigint,
                                            '{"product": "CABLE", "quantity": "0.25"}')
                FROM generate_series(1, \(Self.crashDrafts))
                """)
            var generator = SeededGenerator(seed: 20_261_126)
            let connection = try await company.database.connect()
            func posted() async throws -> Int {
                try await connection.query("SELECT count(*) FROM ar.invoices WHERE number IS NOT NULL")[0].decode(0, as: Int.self)
            }
            var kills = 0
            for _ in 0..<20 {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: postgateExecutable)
                process.arguments = ["post", "--unposted", "--yes", "--chunk", "1", "--database", company.database.config.conninfo]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...700, using: &generator)))
                if process.isRunning {
                    kill(process.processIdentifier, SIGKILL)
                    kills += 1
                }
                process.waitUntilExit()
                let problems = try await bookProblems(connection)
                #expect(problems.isEmpty, "after a kill: \(problems.prefix(10))")
                if try await posted() == Self.crashDrafts { break }
            }
            let beforeRerun = try await posted()
            let rerun = try await Program.run([postgateExecutable, "post", "--unposted", "--yes", "--database", company.database.config.conninfo])
            #expect(rerun.status == 0 || beforeRerun == Self.crashDrafts, "\(rerun.error)")
            let numbers = try await connection.query("SELECT number FROM ar.invoices WHERE number IS NOT NULL ORDER BY number").map {
                try $0.decode(0, as: Int64.self)
            }
            #expect(numbers == Array(1...Int64(Self.crashDrafts)), "every draft posted once, numbers gapless")
            #expect(try await bookProblems(connection).isEmpty)
            await connection.close()
            #expect(kills >= 10, "most runs were killed part of the way")
            print(
                "Crash: \(kills) kills of the posting process; \(beforeRerun) of \(Self.crashDrafts) posted before the rerun, which posted the rest")
        }
    }
}

/// A small seeded generator (SplitMix64), so that a failing run can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

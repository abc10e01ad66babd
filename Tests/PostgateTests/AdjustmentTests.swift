import Foundation
import Postgate
import Postgres
import TestSupport
import Testing

/// Customers ACME and BETA in euros, and an inactive OLD; a second reason code.
func withAdjustments<T: Sendable>(_ body: (PostgresPool, AdjustmentStore, String) async throws -> T) async throws -> T {
    try await withTestDatabase { database in
        let pool = PostgresPool(config: database.config, maxConnections: 2)
        let reference = ReferenceStore(pool: pool)
        try await reference.saveCurrency("EUR", name: "Euro")
        try await reference.saveCurrency("USD", name: "US Dollar")
        try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.9")!, validFrom: LocalDate("2026-01-01")!)
        try await reference.savePriceList("SALES", name: "Sales", currency: "EUR")
        try await reference.savePaymentTerms("NET30", name: "30 days", netDays: 30)
        let customers = CustomerStore(pool: pool)
        for code in ["ACME", "BETA", "OLD"] {
            try await customers.create(NewCustomer(code: code, name: "\(code) Ltd", priceList: "SALES", paymentTerms: "NET30"))
        }
        var inactive = CustomerChanges()
        inactive.set(.active, false)
        try await customers.update("OLD", version: 1, changes: inactive)
        try await pool.query("SELECT api.save_adjustment_reason('REBATE', 'Rebate')")
        let folder = NSTemporaryDirectory() + "postgate-adjustments-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            let value = try await body(pool, AdjustmentStore(pool: pool), folder)
            try? FileManager.default.removeItem(atPath: folder)
            await pool.shutdown()
            return value
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            await pool.shutdown()
            throw error
        }
    }
}

func write(_ folder: String, _ name: String, _ bytes: [UInt8]) throws -> String {
    let path = folder + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func write(_ folder: String, _ name: String, _ text: String) throws -> String { try write(folder, name, Array(text.utf8)) }

func balances(_ pool: PostgresPool) async throws -> [String: Decimal] {
    var result: [String: Decimal] = [:]
    for row in try await pool.query("SELECT code, balance FROM report.customer_balances") {
        result[try row.decode("code")] = try row.decode("balance")
    }
    return result
}

@Suite("Adjustments")
struct AdjustmentTests {
    @Test(
        "files refused for their headings or contents, with what is wrong",
        arguments: [
            ("unknown.csv", "Customer Code,Date,Amount\nACME,2026-11-01,5\n", "unknown headings: Date"),
            ("missing.csv", "Customer Code,Adjustment Date\nACME,2026-11-01\n", "mandatory headings missing: Amount"),
            ("twice.csv", "Customer Code,Adjustment Date,Amount,Amount\nACME,2026-11-01,5,6\n", "headings given twice: Amount"),
            ("empty.csv", "", "the file is empty"),
            ("headings.csv", "Customer Code,Adjustment Date,Amount\n", "headings but no rows"),
            ("short.csv", "Customer Code,Adjustment Date,Amount,Notes\nACME,2026-11-01,5\n", "row 2: missing data"),
        ])
    func refusedFiles(_ name: String, _ content: String, _ expected: String) async throws {
        try await withAdjustments { pool, store, folder in
            let path = try write(folder, name, content)
            let error = await #expect(throws: ImportRefused.self) { try await store.importFile(path) }
            #expect(error?.reason.contains(expected) == true, "\(String(describing: error))")
            #expect(try await pool.query("SELECT count(*) FROM report.adjustments")[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test("a binary file is refused")
    func binaryFile() async throws {
        try await withAdjustments { _, store, folder in
            let path = try write(folder, "binary.csv", [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x00, 0xFF, 0x10])
            let error = await #expect(throws: ImportRefused.self) { try await store.importFile(path) }
            #expect(error?.reason.contains("not CSV text") == true)
            // One that starts as a zip archive is read as a workbook, and refused as a broken one.
            let zip = try write(folder, "binary.xlsx", [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00, 0xFF, 0x10])
            let broken = await #expect(throws: ImportRefused.self) { try await store.importFile(zip) }
            #expect(broken?.reason.contains("cannot be read as one") == true)
        }
    }

    @Test("every bad row is reported with its row, column, value and reason, and nothing is imported")
    func badRows() async throws {
        try await withAdjustments { pool, store, folder in
            let path = try write(
                folder, "bad.csv",
                """
                Customer Code,Adjustment Date,Amount,Currency,Reason
                ACME,2026-11-01,10.00,,
                NOPE,2026-11-01,1,,
                ACME,01/11/2026,1,,
                ACME,2026-11-01,ten,,
                ACME,2026-11-01,1.005,,
                OLD,2026-11-01,1,,
                ACME,2026-11-01,1,XXX,
                ACME,2026-11-01,1,,NOREASON
                ,2026-11-01,,,
                ACME,2026-11-01,0,,
                ACME,2026-02-30,1,,

                """)
            let result = try await store.importFile(path)
            #expect(!result.imported)
            let found = result.problems.map { "\($0.line) \($0.column): \($0.reason)" }
            for expected in [
                "3 Customer Code: there is no customer with this code",
                "4 Adjustment Date: dates written like 11/01/2026 are read only when the order is given: date order MDY (month first) or DMY (day first)",
                "12 Adjustment Date: not a date: write YYYY-MM-DD, such as 2026-11-01",
                "5 Amount: not an amount: write digits with a point for decimals, such as -125.50", "6 Amount: more decimals than EUR has (2)",
                "7 Customer Code: the customer is inactive", "8 Currency: there is no such currency", "9 Reason: there is no such reason code",
                "10 Amount: Amount is mandatory", "10 Customer Code: Customer Code is mandatory", "11 Amount: an adjustment of zero changes nothing",
            ] {
                #expect(found.contains(expected), "missing: \(expected) in \(found)")
            }
            #expect(result.problems.allSatisfy { $0.line != 2 })
            #expect(try await pool.query("SELECT count(*) FROM report.adjustments")[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test("what spreadsheets write imports: a byte-order mark, CRLF, quoted commas, quotes and line breaks, blank lines at the end")
    func spreadsheetFile() async throws {
        try await withAdjustments { pool, store, folder in
            let text =
                "Customer Code,Adjustment Date,Amount,Currency,Reason,Reference,Notes\r\n"
                + "acme,2026-11-01,-125.50,,REBATE,CN-1,\"Goodwill, per \"\"call\"\"\r\nsecond line\"\r\n"
                + "BETA,2026-11-02,100,USD,,,\r\n\r\n\r\n"
            let path = try write(folder, "excel.csv", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
            let before = try await balances(pool)
            let result = try await store.importFile(path)
            #expect(result.imported)
            #expect(result.rows == 2)
            let after = try await balances(pool)
            #expect(after["ACME"]! - before["ACME"]! == Decimal(string: "-125.50"))
            #expect(after["BETA"]! - before["BETA"]! == Decimal(90), "100 USD at 0.9")
            let notes = try await pool.query("SELECT notes, reason FROM report.adjustments WHERE customer = 'ACME'")[0]
            #expect(try notes.decode("notes", as: String.self) == "Goodwill, per \"call\"\r\nsecond line")
            #expect(try notes.decode("reason", as: String.self) == "REBATE")
            // The same file again is refused, unless that is intended.
            let twice = await #expect(throws: DomainError.self) { try await store.importFile(path) }
            #expect(twice?.kind == .duplicate)
            #expect(try await store.importFile(path, allowDuplicate: true).imported)
        }
    }

    @Test("export, then import the export: the new adjustments equal the old ones, and balances move by the file's sums")
    func roundTrip() async throws {
        try await withAdjustments { pool, store, folder in
            try await store.add(
                customer: "ACME", amount: Decimal(string: "12.34")!, date: LocalDate("2026-10-01"), reference: "R1", notes: "a, \"b\"")
            try await store.add(customer: "BETA", amount: Decimal(string: "-0.01")!, date: LocalDate("2026-10-02"), currency: "USD", reason: "REBATE")
            let path = folder + "/export.csv"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = SendableFile(handle: FileHandle(forWritingAtPath: path)!)
            let exported = try await store.export { try handle.handle.write(contentsOf: Data($0)) }
            try handle.handle.close()
            #expect(exported == 2)
            let before = try await balances(pool)
            let result = try await store.importFile(path)
            #expect(result.imported)
            let after = try await balances(pool)
            #expect(after["ACME"]! - before["ACME"]! == Decimal(string: "12.34"))
            #expect(after["BETA"]! - before["BETA"]! == Decimal(string: "-0.01"), "-0.01 USD × 0.9, rounded to cents")
            let rows = try await pool.query(
                """
                SELECT count(DISTINCT (customer, adjustment_date, amount, currency, reason, reference, notes)) AS kinds, count(*) AS n FROM report.adjustments
                """)[0]
            #expect(try rows.decode("kinds", as: Int.self) == 2)
            #expect(try rows.decode("n", as: Int.self) == 4)
            let filtered = SendableBuffer()
            try await store.export(AdjustmentFilter(customer: "BETA")) { filtered.append($0) }
            #expect(filtered.text.split(separator: "\n").count == 3)
        }
    }

    @Test("a 50 MB file streams through without being held whole", .timeLimit(.minutes(3)))
    func largeFile() async throws {
        try await withAdjustments { _, store, folder in
            let path = folder + "/large.csv"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            let handle = FileHandle(forWritingAtPath: path)!
            try handle.write(contentsOf: Data("Customer Code,Adjustment Date,Amount,Reference,Notes\n".utf8))
            var rows = 0
            var size = 0
            while size < 50_000_000 {
                var chunk = ""
                for _ in 0..<10_000 {
                    rows += 1
                    chunk +=
                        "\(rows % 2 == 0 ? "ACME" : "BETA"),2026-11-\(String(format: "%02d", 1 + rows % 28)),\(rows % 1000).25,REF-\(rows),\"a note that is long enough to make the file large, row \(rows)\"\n"
                }
                let data = Data(chunk.utf8)
                try handle.write(contentsOf: data)
                size += data.count
            }
            try handle.close()
            let result = try await store.importFile(path, dryRun: true)
            #expect(result.rows == rows)
            #expect(result.problems.isEmpty)
        }
    }
}

struct SendableFile: @unchecked Sendable { let handle: FileHandle }

final class SendableBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func append(_ chunk: UnsafeRawBufferPointer) {
        lock.lock()
        bytes += chunk
        lock.unlock()
    }
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

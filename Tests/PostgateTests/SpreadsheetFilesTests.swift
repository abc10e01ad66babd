import Foundation
import Postgate
import Postgres
import PostgresServer
import TestSupport
import Testing

/// Text as a Western spreadsheet saves it: Windows-1252 (the characters these files use).
func windows1252(_ text: String) -> [UInt8] {
    let special: [Character: UInt8] = ["€": 0x80, "–": 0x96, "—": 0x97, "é": 0xE9, "è": 0xE8, "ü": 0xFC, "Ü": 0xDC, "ß": 0xDF, "’": 0x92]
    return text.flatMap { character -> [UInt8] in
        if let byte = special[character] { return [byte] }
        precondition(character.isASCII, "no Windows-1252 byte for \(character) in this test")
        return Array(character.utf8)
    }
}

/// The adjustments imported, in file order: customer, date, amount, notes.
func imported(_ pool: PostgresPool) async throws -> [String] {
    try await pool.query("SELECT customer, adjustment_date::text AS d, amount::text AS a, notes FROM report.adjustments ORDER BY adjustment_id").map {
        row in
        "\(try row.decode("customer", as: String.self)) \(try row.decode("d", as: String.self)) \(try row.decode("a", as: String.self)) \(try row.decode("notes", as: String.self))"
    }
}

@Suite("Adjustment files as spreadsheets save them")
struct SpreadsheetFilesTests {
    static let heading = "Customer Code,Adjustment Date,Amount,Reason,Notes"

    @Test("Excel's CSV on a US system: Windows-1252, CRLF, month-first dates, a note over two lines; read as Windows-1252 with --date-order MDY")
    func excelUS() async throws {
        try await withAdjustments { pool, store, folder in
            let text = [
                Self.heading, "ACME,11/1/2026,-125.50,,\"Credit — café order\"", "BETA,12/31/2026,99.99,,\"Two lines\r\nsecond — line\"",
                "acme,1/2/2027,0.01,REBATE,Rebate ’26", "",
            ].joined(separator: "\r\n")
            let path = try write(folder, "excel-us.csv", windows1252(text))
            let refused = try await store.importFile(path, options: ImportOptions())
            #expect(!refused.imported)
            #expect(refused.encoding == .windows1252 && refused.encodingGuessed)
            #expect(refused.rowsWithProblems == 3)
            #expect(refused.problems.map(\.line) == [2, 3, 4], "rows as the spreadsheet numbers them, the two-line note counting once")
            #expect(refused.problems.allSatisfy { $0.reason.contains("date order MDY (month first) or DMY (day first)") })
            let result = try await store.importFile(path, options: ImportOptions(dateOrder: .mdy))
            #expect(result.imported, "\(result.problems)")
            #expect(result.encodingGuessed)
            #expect(
                try await imported(pool) == [
                    "ACME 2026-11-01 -125.5000 Credit — café order", "BETA 2026-12-31 99.9900 Two lines\r\nsecond — line",
                    "ACME 2027-01-02 0.0100 Rebate ’26",
                ])
        }
    }

    @Test("LibreOffice's CSV on a European system: Windows-1252, LF, day-first dates with dots and slashes; --date-order DMY")
    func libreOfficeEurope() async throws {
        try await withAdjustments { pool, store, folder in
            let text = [
                Self.heading, "ACME,01.11.2026,-20,,Überweisung – Rabatt 5 €", "BETA,31/12/2026,7.5,,\"Grüße,\nzweite Zeile\"",
                "ACME,2026-11-03,1,,ISO dates read in any order", "",
            ].joined(separator: "\n")
            let path = try write(folder, "libreoffice-eu.csv", windows1252(text))
            let result = try await store.importFile(path, options: ImportOptions(dateOrder: .dmy))
            #expect(result.imported, "\(result.problems)")
            #expect(
                try await imported(pool) == [
                    "ACME 2026-11-01 -20.0000 Überweisung – Rabatt 5 €", "BETA 2026-12-31 7.5000 Grüße,\nzweite Zeile",
                    "ACME 2026-11-03 1.0000 ISO dates read in any order",
                ])
        }
    }

    @Test("CSV UTF-8 with a byte-order mark and CRLF imports exactly, read as UTF-8")
    func utf8WithBOM() async throws {
        try await withAdjustments { pool, store, folder in
            let text = [Self.heading, "ACME,2026-11-01,-0.10,,naïve — “quoted”", "BETA,2026-11-02,1234.56,REBATE,\"multi\r\nline\"", ""].joined(
                separator: "\r\n")
            let path = try write(folder, "utf8.csv", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
            let result = try await store.importFile(path, options: ImportOptions())
            #expect(result.imported, "\(result.problems)")
            #expect(result.encoding == .utf8 && !result.encodingGuessed)
            #expect(try await imported(pool) == ["ACME 2026-11-01 -0.1000 naïve — “quoted”", "BETA 2026-11-02 1234.5600 multi\r\nline"])
        }
    }

    @Test("rows are numbered as the spreadsheet numbers them, whatever line breaks the notes above hold")
    func rowNumbers() async throws {
        try await withAdjustments { _, store, folder in
            let text = [
                Self.heading, "ACME,2026-11-01,1,,\"one\ntwo\nthree\nfour\"", "ACME,2026-11-01,1,,\"a\nb\"", "ACME,2026-11-31,1,,bad day",
                "ACME,11/01/26,1,,two-digit year", "",
            ].joined(separator: "\n")
            let path = try write(folder, "notes.csv", text)
            let result = try await store.importFile(path, options: ImportOptions(dateOrder: .mdy))
            #expect(
                result.problems.map { "\($0.line) \($0.reason)" } == [
                    "4 not a date: write MM/DD/YYYY (month first, such as 11/01/2026) or YYYY-MM-DD",
                    "5 a two-digit year is not read: write the year in full, such as 2026",
                ])
            // A byte that is neither UTF-8 nor Windows-1252 is found in its row, below the same notes.
            let broken = try write(
                folder, "broken.csv", Array((Self.heading + "\nACME,2026-11-01,1,,\"x\ny\"\nACME,2026-11-01,1,,bad ").utf8) + [0x81, 0xC3, 0x0A])
            await #expect {
                try await store.importFile(broken, options: ImportOptions())
            } throws: { error in
                "\(error)".contains("row 3 is neither UTF-8 nor Windows-1252 text")
            }
        }
    }

    @Test("--encoding is honoured: UTF-8 asked of a Windows-1252 file is refused naming the row; Latin-1 reads every byte")
    func encodingAsked() async throws {
        try await withAdjustments { pool, store, folder in
            let path = try write(
                folder, "latin.csv", windows1252([Self.heading, "ACME,2026-11-01,1,,plain", "ACME,2026-11-02,2,,café", ""].joined(separator: "\n")))
            await #expect {
                try await store.importFile(path, options: ImportOptions(encoding: .utf8))
            } throws: { error in
                "\(error)".contains("row 3 is not UTF-8 text")
            }
            #expect(try await pool.query("SELECT count(*) FROM report.adjustments")[0].decode(0, as: Int.self) == 0)
            let result = try await store.importFile(path, options: ImportOptions(encoding: .latin1))
            #expect(result.imported && !result.encodingGuessed)
            #expect(try await imported(pool) == ["ACME 2026-11-01 1.0000 plain", "ACME 2026-11-02 2.0000 café"])
        }
    }

    @Test("a file where every row is wrong lists the first problems and counts them all, by kind")
    func everyRowWrong() async throws {
        try await withAdjustments { _, store, folder in
            var text = Self.heading + "\n"
            for n in 1...3000 { text += "NOPE\(n % 7),2026-13-01,x,,\n" }
            let path = try write(folder, "wrong.csv", text)
            var options = ImportOptions()
            options.problemLimit = 100
            let result = try await store.importFile(path, options: options)
            #expect(result.problems.count == 100)
            #expect(result.totalProblems == 9000)
            #expect(result.rowsWithProblems == 3000)
            #expect(Set(result.problemCounts.map(\.column)) == ["Customer Code", "Adjustment Date", "Amount"])
            #expect(result.problemCounts.allSatisfy { $0.problems == 3000 && $0.firstLine == 2 })
        }
    }

    @Test("from the command line: the refusal says which option to pass, and the options import the file")
    func commandLine() async throws {
        try await withTestDatabase { database in
            let connection = try await database.connect()
            try await connection.execute(
                unsafeSQL: """
                    SELECT api.save_currency('EUR', 'Euro');
                    SELECT api.save_price_list('SALES', 'Sales', 'EUR');
                    SELECT api.save_payment_terms('NET30', '30 days', 30);
                    SELECT api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30"}');
                    """)
            let folder = NSTemporaryDirectory() + "postgate-cli-import-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = try write(
                folder, "excel.csv", windows1252([Self.heading, "ACME,11/1/2026,-125.50,,Crédit — remise", ""].joined(separator: "\r\n")))
            func importing(_ options: [String]) async throws -> Program.Result {
                try await Program.run(
                    [CommandLineTests.executable, "adjustments", "import", path] + options + ["--database", database.config.conninfo])
            }
            let refused = try await importing([])
            #expect(refused.status == 1)
            #expect(refused.output.contains("read as Windows-1252"))
            #expect(refused.output.contains("row 2 (cell B2), Adjustment Date '11/1/2026'"))
            #expect(refused.output.contains("pass --date-order MDY (month first) or --date-order DMY (day first)"))
            let done = try await importing(["--date-order", "mdy"])
            #expect(done.status == 0, "\(done.error)")
            #expect(done.output.contains("Imported 1 adjustments"))
            let note = try await connection.query("SELECT notes, adjustment_date::text AS d FROM report.adjustments")[0]
            #expect(try note.decode("notes", as: String.self) == "Crédit — remise")
            #expect(try note.decode("d", as: String.self) == "2026-11-01")
            await connection.close()
        }
    }
}

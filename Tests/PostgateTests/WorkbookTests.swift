import Foundation
import Postgres
import TestSupport
import Testing

@testable import Postgate

/// The Python of the test environment, with openpyxl (scripts/test installs it in .build/venv).
func workbookPython() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let python = root + "/.build/venv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
        throw TestFailure("no \(python): scripts/test makes it (python3 -m venv .build/venv && .build/venv/bin/pip install openpyxl)")
    }
    return python
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs the Python of the test environment; its standard output.
@discardableResult
func runPython(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try workbookPython())
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let text = output.fileHandleForReading.readDataToEndOfFile()
    let problem = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("python \(arguments.first ?? "") failed: \(String(decoding: problem, as: UTF8.self))")
    }
    return String(decoding: text, as: UTF8.self)
}

/// Workbooks written by openpyxl (Tests/workbooks/make_workbooks.py) into `folder`.
func makeWorkbooks(_ folder: String) throws {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path + "/workbooks/make_workbooks.py"
    try runPython([script, folder])
}

/// The adjustments, with everything an import carries over.
func adjustmentRows(_ pool: PostgresPool) async throws -> [String] {
    try await pool.query(
        """
        SELECT customer, adjustment_date::text AS d, amount::text AS a, currency, reason, coalesce(reference, '') AS r, coalesce(notes, '') AS n
        FROM report.adjustments ORDER BY adjustment_id
        """
    ).map { row in
        try ["customer", "d", "a", "currency", "reason", "r", "n"].map { try row.decode($0, as: String.self) }.joined(separator: "|")
    }
}

@Suite("Adjustments from and to .xlsx workbooks")
struct WorkbookTests {
    static let expected = [
        "ACME|2026-11-01|-125.5000|EUR|GENERAL||Goodwill, per call", "00123|2026-12-31|99.2500|EUR|REBATE||Rich bold text",
        "BETA|2027-01-02|1.0000|EUR|GENERAL||a date typed as text", "ACME|2026-11-03|251.0000|EUR|GENERAL||formula",
    ]

    /// The adjustments fixture with a customer whose code has leading zeros.
    func withWorkbooks(_ body: (PostgresPool, AdjustmentStore, String) async throws -> Void) async throws {
        try await withAdjustments { pool, store, folder in
            try await CustomerStore(pool: pool).create(NewCustomer(code: "00123", name: "Zeros Ltd", priceList: "SALES", paymentTerms: "NET30"))
            try makeWorkbooks(folder)
            try await body(pool, store, folder)
        }
    }

    @Test(
        "openpyxl's workbook imports: date cells, a date typed as text, shared strings with rich text, an inline string, a formula's value, a code's leading zeros, an empty row skipped, headings in any order"
    )
    func goodWorkbook() async throws {
        try await withWorkbooks { pool, store, folder in
            let result = try await store.importFile(folder + "/good.xlsx", options: ImportOptions())
            #expect(result.imported, "\(result.problems)")
            #expect(result.rows == 4 && result.sheet == "Sheet")
            #expect(try await adjustmentRows(pool) == Self.expected)
            #expect(try await pool.withConnection { try await bookProblems($0) }.isEmpty)
        }
    }

    @Test("the 1904 date system gives the same dates; another sheet is read by its name")
    func dateSystemsAndSheets() async throws {
        try await withWorkbooks { pool, store, folder in
            #expect(try await store.importFile(folder + "/dates1904.xlsx", options: ImportOptions()).imported)
            #expect(try await adjustmentRows(pool) == Self.expected)
            await #expect {
                try await store.importFile(folder + "/second-sheet.xlsx", options: ImportOptions(allowDuplicate: true))
            } throws: { error in
                "\(error)".contains("unknown headings: These are notes, not adjustments")
            }
            var options = ImportOptions()
            options.sheet = "november"
            let result = try await store.importFile(folder + "/second-sheet.xlsx", options: options)
            #expect(result.imported && result.sheet == "November")
            options.sheet = "December"
            await #expect {
                try await store.importFile(folder + "/second-sheet.xlsx", options: options)
            } throws: { error in
                "\(error)".contains("the workbook has no sheet 'December': its sheets are 'Notes', 'November'")
            }
        }
    }

    @Test("problems name the sheet's rows and cells, past skipped empty rows; a number is read from its text, never rounded")
    func problemsNameCells() async throws {
        try await withWorkbooks { pool, store, folder in
            let result = try await store.importFile(folder + "/bad-rows.xlsx", options: ImportOptions())
            #expect(!result.imported)
            #expect(result.problems.map { "\($0.cell ?? "-") \($0.line) \($0.column)" } == ["A5 5 Amount", "A6 6 Amount", "B7 7 Customer Code"])
            #expect(result.problems[1].value == "99.98999999999999", "the text openpyxl stored for 99.99, read as it is, not rounded")
            #expect(result.problemCounts.map(\.firstLine).min() == 5)
            #expect(try await adjustmentRows(pool).isEmpty)
        }
    }

    @Test(
        "refused, changing nothing: a formula without its value, an error cell, a zip that is no workbook, too many parts, a broken zip, .xls, an encrypted workbook"
    )
    func badWorkbooks() async throws {
        try await withWorkbooks { pool, store, folder in
            let cases: [(String, String)] = [
                (folder + "/no-value.xlsx", "cell A6 has a formula without its calculated value"),
                (folder + "/error.xlsx", "cell A3 holds the error #DIV/0!"),
                (folder + "/not-workbook.zip", "the zip archive is not an Excel workbook"),
                (folder + "/many-parts.zip", "more than 10000 parts"),
                (try write(folder, "broken.xlsx", Array("PK\u{3}\u{4}not really a zip".utf8)), "cannot be read as one"),
                (try write(folder, "old.xls", Self.compoundFile(stream: "Workbook")), "Excel 97–2003 workbook (.xls)"),
                (try write(folder, "locked.xlsx", Self.compoundFile(stream: "EncryptedPackage")), "the workbook is encrypted"),
            ]
            for (path, message) in cases {
                await #expect(Comment(rawValue: path)) {
                    try await store.importFile(path, options: ImportOptions())
                } throws: { error in
                    "\(error)".contains(message)
                }
            }
            #expect(try await adjustmentRows(pool).isEmpty)
            #expect(try await pool.query("SELECT count(*) FROM staging.adjustment_import")[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test("a zip bomb: a part that inflates past the limit whatever its header declares, and a sheet past the row limit, are refused")
    func limits() async throws {
        let folder = NSTemporaryDirectory() + "postgate-bomb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try makeWorkbooks(folder)
        // A sheet of 8 MiB of spaces, its sizes in the archive patched to say 100 bytes.
        try runPython([
            "-c",
            """
            import struct, sys, zipfile
            path = sys.argv[1]
            with zipfile.ZipFile(sys.argv[2]) as good, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
                for name in good.namelist():
                    data = good.read(name)
                    if name == "xl/worksheets/sheet1.xml":
                        data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (8 << 20))
                    bomb.writestr(name, data)
            blob = bytearray(open(path, "rb").read())
            for signature, offset in ((b"PK\\x03\\x04", 22), (b"PK\\x01\\x02", 24)):
                at = 0
                while (at := blob.find(signature, at)) >= 0:
                    name_length = struct.unpack_from("<H", blob, at + (26 if signature == b"PK\\x03\\x04" else 28))[0]
                    name = bytes(blob[at + (30 if signature == b"PK\\x03\\x04" else 46):][:name_length])
                    if name == b"xl/worksheets/sheet1.xml":
                        struct.pack_into("<I", blob, at + offset, 100)
                    at += 4
            open(path, "wb").write(bytes(blob))
            """,
            folder + "/bomb.xlsx", folder + "/good.xlsx",
        ])
        let output = FileHandle(forWritingAtPath: "/dev/null")!
        var reader = WorkbookReader(path: folder + "/bomb.xlsx")
        reader.limits.partBytes = 1 << 20
        #expect {
            try reader.convert(sheet: nil, to: output)
        } throws: { error in
            "\(error)".contains("inflates to more than 1 MiB")
        }
        var rows = WorkbookReader(path: folder + "/good.xlsx")
        rows.limits.rows = 3
        #expect {
            try rows.convert(sheet: nil, to: output)
        } throws: { error in
            "\(error)".contains("more than 3 rows")
        }
    }

    @Test(
        "export → import: what is exported as a workbook imports back unchanged; openpyxl reads date and number cells, text codes, bold frozen headings"
    )
    func roundTrip() async throws {
        try await withWorkbooks { pool, store, folder in
            try await store.add(customer: "ACME", amount: Decimal(string: "-125.50")!, date: LocalDate("2026-11-01"), notes: "Goodwill, per call")
            try await store.add(
                customer: "00123", amount: Decimal(string: "1234.56")!, date: LocalDate("2026-12-31"), currency: "USD", reason: "REBATE",
                reference: "CN-1", notes: "a \"quoted\" <tag> & more\nsecond line")
            try await store.add(customer: "BETA", amount: 7, date: LocalDate("2027-01-02"))
            let before = try await adjustmentRows(pool)
            let path = folder + "/export.xlsx"
            #expect(try await store.exportWorkbook(to: path) == 3)
            let read = try runPython([
                "-c",
                """
                import sys, openpyxl
                sheet = openpyxl.load_workbook(sys.argv[1]).active
                print(sheet.title, sheet.freeze_panes, sheet["A1"].font.b)
                for row in sheet.iter_rows(min_row=2):
                    print("|".join(f"{type(c.value).__name__}:{c.value}:{c.number_format}" for c in row[:5]))
                """,
                path,
            ])
            #expect(
                read.split(separator: "\n").map(String.init) == [
                    "Adjustments A2 True",
                    "str:ACME:@|str:ACME Ltd:@|datetime:2026-11-01 00:00:00:yyyy-mm-dd|float:-125.5:#,##0.00|str:EUR:@",
                    "str:00123:@|str:Zeros Ltd:@|datetime:2026-12-31 00:00:00:yyyy-mm-dd|float:1234.56:#,##0.00|str:USD:@",
                    "str:BETA:@|str:BETA Ltd:@|datetime:2027-01-02 00:00:00:yyyy-mm-dd|int:7:#,##0.00|str:EUR:@",
                ])
            let result = try await store.importFile(path, options: ImportOptions(allowDuplicate: true))
            #expect(result.imported, "\(result.problems)")
            #expect(try await adjustmentRows(pool) == before + before)
            // The template: headings only (refused as such), the rules on a second sheet.
            let template = folder + "/template.xlsx"
            try AdjustmentStore.writeTemplateWorkbook(to: template)
            await #expect {
                try await store.importFile(template, options: ImportOptions())
            } throws: { error in
                "\(error)".contains("the file has headings but no rows")
            }
            let sheets = try runPython(["-c", "import sys, openpyxl; print(openpyxl.load_workbook(sys.argv[1]).sheetnames)", template])
            #expect(sheets == "['Adjustments', 'Rules']\n")
        }
    }

    /// The first bytes of an OLE2 compound file holding a stream of this name.
    static func compoundFile(stream: String) -> [UInt8] {
        var bytes: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)
        bytes += stream.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [UInt8](repeating: 0, count: 64)
        return bytes
    }
}

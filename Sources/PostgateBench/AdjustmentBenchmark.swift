import Foundation
import Logging
import Postgate
import Postgres

/// Importing adjustments at scale against the floor of the same work, measured side by side in
/// one run on one file: the floor stages the file with COPY and makes the import's own inserts
/// (batch, adjustments, ledger entries, into the real tables with their keys and triggers) with
/// no checks; a raw COPY into a table of text columns is shown for reference.
public struct AdjustmentBenchmark: Sendable {
    public var rows: Int
    public var folder: String

    public init(rows: Int = 1_000_000, folder: String = NSTemporaryDirectory()) {
        self.rows = rows
        self.folder = folder
    }

    public struct Figures: Sendable {
        public var rows: Int
        public var fileBytes: Int
        public var rawCopy: Double
        public var floor: Double
        public var importFile: Double
        /// The process's peak resident memory during the import, in bytes.
        public var peakMemory: Int
        /// The same rows imported from an .xlsx workbook, in a database of their own.
        public var workbook: WorkbookFigures?

        public var ratio: Double { importFile / floor }

        public var table: String {
            func line(_ label: String, _ seconds: Double) -> String {
                String(
                    format: "%@ %9.2f s %12.0f rows/s %7.2fx", label.padding(toLength: 62, withPad: " ", startingAt: 0), seconds,
                    Double(rows) / seconds,
                    seconds / floor)
            }
            return [
                "R4: import of \(rows) adjustments (\(fileBytes / 1_000_000) MB of CSV)",
                line("reference: raw COPY into a table of text columns", rawCopy),
                line("floor: COPY into staging + the import's inserts, no checks", floor),
                line("import: stage, check every row, insert with ledger", importFile),
                "import / floor: " + String(format: "%.2f", ratio) + " (goal: at most 1.3)",
                "peak resident memory of this process during the import: \(peakMemory / 1_048_576) MiB",
            ].joined(separator: "\n") + (workbook.map { "\n" + $0.table(csvImport: importFile, csvPeak: peakMemory) } ?? "")
        }
    }

    /// The import of the same rows from a workbook.
    public struct WorkbookFigures: Sendable {
        public var fileBytes: Int
        public var importFile: Double
        public var peakMemory: Int

        func table(csvImport: Double, csvPeak: Int) -> String {
            [
                String(
                    format: "%@ %9.2f s",
                    "workbook import (\(fileBytes / 1_000_000) MB of .xlsx): read, stage, check, insert".padding(
                        toLength: 62, withPad: " ", startingAt: 0), importFile),
                "workbook / CSV import: " + String(format: "%.2f", importFile / csvImport) + " (goal: at most 2)",
                "peak resident memory during the workbook import: \(peakMemory / 1_048_576) MiB (CSV: \(csvPeak / 1_048_576) MiB)",
            ].joined(separator: "\n")
        }
    }

    /// Runs in a freshly migrated database that holds nothing else.
    public func run(on config: ConnectionConfig, logger: Logger = .silent) async throws -> Figures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        try await Self.referenceData(pool)
        let path = folder + "/postgate-bench-adjustments-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        logger.info("writing \(rows) rows to \(path)")
        let bytes = try writeFile(path)

        logger.info("raw COPY")
        let raw = try await seconds {
            try await pool.withConnection { connection in
                try await connection.execute(
                    unsafeSQL: """
                        CREATE TEMPORARY TABLE raw_adjustments (customer_code text, adjustment_date text, amount text, reason text, reference text, notes text)
                        """)
                try await connection.copyIn("COPY raw_adjustments FROM STDIN WITH (FORMAT csv, HEADER true)", fromFile: path)
                try await connection.execute(unsafeSQL: "DROP TABLE raw_adjustments")
            }
        }
        logger.info("floor")
        let floor = try await pool.withConnection { connection in
            // Rolled back, so that the import then starts from the same empty tables.
            let elapsed = try await seconds {
                try await connection.execute(unsafeSQL: "BEGIN")
                let id = try await connection.query("SELECT api.begin_adjustment_import()")[0].decode(0, as: Int64.self)
                try await connection.copyIn(
                    "COPY staging.adjustment_import (customer_code, adjustment_date, amount, reason, reference, notes) FROM STDIN WITH (FORMAT csv, HEADER true)",
                    fromFile: path)
                try await connection.query(Self.floorSQL(id))
            }
            try await connection.execute(unsafeSQL: "ROLLBACK")
            return elapsed
        }
        try await pool.withConnection { try await $0.execute(unsafeSQL: "VACUUM ar.adjustments, ar.ledger_entries, ar.adjustment_batches") }
        logger.info("import")
        ResidentMemory.resetPeak()
        let imported = try await seconds {
            let result = try await AdjustmentStore(pool: pool).importFile(path)
            guard result.rows == rows, result.imported else {
                throw BenchmarkFailure("the generated file should import whole, but: \(result.problems.prefix(3))")
            }
        }
        return Figures(rows: rows, fileBytes: bytes, rawCopy: raw, floor: floor, importFile: imported, peakMemory: ResidentMemory.peak)
    }

    /// The same rows as an .xlsx workbook, imported in a freshly migrated database of their own.
    public func runWorkbook(on config: ConnectionConfig, logger: Logger = .silent) async throws -> WorkbookFigures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        try await Self.referenceData(pool)
        let path = folder + "/postgate-bench-adjustments-\(getpid()).xlsx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        logger.info("writing \(rows) rows to \(path)")
        let writer = try WorkbookWriter()
        try writer.addSheet(
            "Adjustments", headings: ["Customer Code", "Adjustment Date", "Amount", "Reason", "Reference", "Notes"], widths: [14, 16, 16, 14, 20, 32])
        for n in 1...rows {
            let row = Self.row(n)
            try writer.row([
                .text(row.code), .date(LocalDate(row.date)!), .number(Decimal(string: row.amount)!, decimals: 2),
                row.reason.isEmpty ? .empty : .text(row.reason), .text(row.reference), .text(row.notes),
            ])
        }
        try writer.finish(to: path)
        let bytes = Int((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        logger.info("workbook import")
        ResidentMemory.resetPeak()
        let imported = try await seconds {
            let result = try await AdjustmentStore(pool: pool).importFile(path)
            guard result.rows == rows, result.imported else {
                throw BenchmarkFailure("the generated workbook should import whole, but: \(result.problems.prefix(3))")
            }
        }
        return WorkbookFigures(fileBytes: bytes, importFile: imported, peakMemory: ResidentMemory.peak)
    }

    /// The customers and reasons the generated rows name.
    static func referenceData(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try await connection.execute(
                unsafeSQL: """
                    SELECT api.save_currency('EUR', 'Euro');
                    SELECT api.save_price_list('SALES', 'Sales', 'EUR');
                    SELECT api.save_payment_terms('NET30', '30 days', 30);
                    SELECT api.save_adjustment_reason('REBATE', 'Rebate');
                    SELECT api.create_customer(jsonb_build_object('code', 'C' || lpad(k::text, 5, '0'), 'name', 'Customer ' || k,
                                                                  'price_list', 'SALES', 'payment_terms', 'NET30'))
                    FROM generate_series(1, 1000) k;
                    """)
        }
    }

    /// Row n of the generated file: customer code, date, amount, reason, reference, notes.
    static func row(_ n: Int) -> (code: String, date: String, amount: String, reason: String, reference: String, notes: String) {
        let cents = (n * 7919) % 100_000 - 50_000
        let amount = cents == 0 ? "0.01" : "\(cents < 0 ? "-" : "")\(abs(cents) / 100).\(String(format: "%02d", abs(cents) % 100))"
        return (
            "C\(String(format: "%05d", 1 + n % 1000))", "2026-\(String(format: "%02d", 1 + n % 12))-\(String(format: "%02d", 1 + n % 28))", amount,
            n % 3 == 0 ? "REBATE" : "", "REF-\(n)", "note \(n), checked"
        )
    }

    /// The import's writes for every staged row, as plain SQL without a single check.
    static func floorSQL(_ importID: Int64) -> PostgresQuery {
        """
        WITH batch AS (
            INSERT INTO ar.adjustment_batches (file_name, checksum, rows) VALUES ('floor', NULL, 0) RETURNING id
        ),
        staged AS MATERIALIZED (
            SELECT nextval(pg_get_serial_sequence('ar.adjustments', 'id')) AS id, c.id AS customer_id, c.currency, c.currency_epoch,
                   s.adjustment_date::date AS adjustment_date, s.amount::numeric AS amount, r.id AS reason_id,
                   coalesce(s.reference, '') AS reference, coalesce(s.notes, '') AS notes
            FROM staging.adjustment_import s
            JOIN ar.customers c ON lower(c.code) = lower(s.customer_code)
            JOIN ar.adjustment_reasons r ON lower(r.code) = lower(coalesce(nullif(s.reason, ''), 'GENERAL'))
            WHERE s.import_id = \(importID)
        ),
        adjustments AS (
            INSERT INTO ar.adjustments (id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, batch_id)
            OVERRIDING SYSTEM VALUE
            SELECT id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, (SELECT id FROM batch) FROM staged
        )
        INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                       amount_customer)
        SELECT customer_id, 'adjustment', id, adjustment_date, currency, amount, 1, currency, currency_epoch, amount FROM staged
        """
    }

    private func writeFile(_ path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw BenchmarkFailure("cannot write \(path)")
        }
        defer { try? handle.close() }
        var buffer = "Customer Code,Adjustment Date,Amount,Reason,Reference,Notes\n"
        var written = 0
        for n in 1...rows {
            let row = Self.row(n)
            buffer += "\(row.code),\(row.date),\(row.amount),\(row.reason),\(row.reference),\"\(row.notes)\"\n"
            if buffer.utf8.count > 1 << 20 {
                let data = Data(buffer.utf8)
                try handle.write(contentsOf: data)
                written += data.count
                buffer = ""
            }
        }
        let data = Data(buffer.utf8)
        try handle.write(contentsOf: data)
        return written + data.count
    }

}

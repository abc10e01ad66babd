import Foundation
import Postgres

/// Importing adjustments at scale, against a raw COPY of the same file into an unindexed table
/// of text columns, measured side by side in one run.
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
        public var importFile: Double

        public var ratio: Double { importFile / rawCopy }

        public var table: String {
            [
                "import of \(rows) adjustments (\(fileBytes / 1_000_000) MB of CSV)",
                String(format: "%@ %9.2f s %12.0f rows/s %7.2fx", "baseline: raw COPY into a table of text columns".padding(toLength: 50, withPad: " ", startingAt: 0), rawCopy, Double(rows) / rawCopy, 1.0),
                String(format: "%@ %9.2f s %12.0f rows/s %7.2fx", "import: stage, check every row, insert with ledger".padding(toLength: 50, withPad: " ", startingAt: 0), importFile, Double(rows) / importFile, ratio),
            ].joined(separator: "\n")
        }
    }

    /// Runs in a freshly migrated database that holds nothing else.
    public func run(on config: ConnectionConfig, progress: @Sendable (String) -> Void = { _ in }) async throws -> Figures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        try await pool.withConnection { connection in
            try await connection.execute(unsafeSQL: """
                SELECT api.save_currency('EUR', 'Euro');
                SELECT api.save_price_list('SALES', 'Sales', 'EUR');
                SELECT api.save_payment_terms('NET30', '30 days', 30);
                SELECT api.save_adjustment_reason('REBATE', 'Rebate');
                INSERT INTO ar.customers (code, name, currency, price_list_id, payment_terms_id)
                SELECT 'C' || lpad(k::text, 5, '0'), 'Customer ' || k, 'EUR', (SELECT id FROM ar.price_lists), (SELECT id FROM ar.payment_terms)
                FROM generate_series(1, 1000) k;
                """)
        }
        let path = folder + "/postgate-bench-adjustments-\(getpid()).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        progress("writing \(rows) rows to \(path)")
        let bytes = try writeFile(path)

        progress("raw COPY")
        let raw = try await seconds {
            try await pool.withConnection { connection in
                try await connection.execute(unsafeSQL: """
                    CREATE TEMPORARY TABLE raw_adjustments (customer_code text, adjustment_date text, amount text, reason text, reference text, notes text)
                    """)
                try await connection.copyIn("COPY raw_adjustments FROM STDIN WITH (FORMAT csv, HEADER true)", fromFile: path)
                try await connection.execute(unsafeSQL: "DROP TABLE raw_adjustments")
            }
        }
        progress("import")
        let imported = try await seconds {
            let result = try await AdjustmentStore(pool: pool).importFile(path)
            guard result.rows == rows, result.imported else {
                throw ImportRefused(reason: "the generated file should import whole, but: \(result.problems.prefix(3))")
            }
        }
        return Figures(rows: rows, fileBytes: bytes, rawCopy: raw, importFile: imported)
    }

    private func writeFile(_ path: String) throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ImportRefused(reason: "cannot write \(path)")
        }
        defer { try? handle.close() }
        var buffer = "Customer Code,Adjustment Date,Amount,Reason,Reference,Notes\n"
        var written = 0
        for n in 1...rows {
            let cents = (n * 7919) % 100_000 - 50_000
            let amount = cents == 0 ? "0.01" : "\(cents < 0 ? "-" : "")\(abs(cents) / 100).\(String(format: "%02d", abs(cents) % 100))"
            buffer += "C\(String(format: "%05d", 1 + n % 1000)),2026-\(String(format: "%02d", 1 + n % 12))-\(String(format: "%02d", 1 + n % 28)),\(amount),\(n % 3 == 0 ? "REBATE" : ""),REF-\(n),\"note \(n), checked\"\n"
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

    private func seconds(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

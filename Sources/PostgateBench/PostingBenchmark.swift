import Foundation
import Logging
import Postgate
import Postgres
import PostingPolicy

/// Mass posting at scale (R2) against its floor (R3): generates drafts in a scratch database
/// (three lines each: an untracked product, one that creates a customer item, and every third
/// invoice a unique-serial TV), then times the preview and the confirmed posting of all of them.
/// The floor is `sql/bench/posting_floor.sql`, the same writes as plain SQL with no checks, run
/// in chunks of the same size over the same drafts generated in a second scratch database.
public struct PostingBenchmark: Sendable {
    public var invoices: Int
    public var chunkSize: Int
    /// Invoices the preview evaluates and keeps at a time.
    public var previewChunk: Int

    public init(invoices: Int = 100_000, chunkSize: Int = 1000, previewChunk: Int = PostingService.previewChunk) {
        self.invoices = invoices
        self.chunkSize = chunkSize
        self.previewChunk = previewChunk
    }

    public struct Figures: Sendable {
        public var invoices: Int
        public var generate: Double
        /// R3: the same writes as the confirm, as plain SQL with no checks.
        public var floor: Double
        public var preview: Double
        public var post: Double
        public var posted: Int
        /// The process's peak resident memory during the preview and the confirm, in bytes.
        public var peakMemory: Int { max(previewPeakMemory, confirmPeakMemory) }
        /// The process's peak resident memory during the preview, in bytes.
        public var previewPeakMemory: Int
        /// The process's peak resident memory during the confirm, in bytes.
        public var confirmPeakMemory: Int

        public var table: String {
            func line(_ name: String, _ seconds: Double) -> String {
                name.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f s %12.0f invoices/s %8.2fx floor", seconds, Double(invoices) / seconds, seconds / floor)
            }
            return [
                "R2 and R3: mass posting of \(invoices) draft invoices (3 lines each)",
                line("fixture: generate the drafts (set-based)", generate),
                line("floor (R3): the same writes, no checks", floor),
                line("preview: facts + policy for every invoice", preview),
                line("confirm: post, move stock, create items", post),
                line("preview + confirm", preview + post),
                "posted \(posted) invoices; goals: confirm at most 1.5x the floor, preview at most 0.3x",
                "peak resident memory of this process: preview \(previewPeakMemory / 1_048_576) MiB, "
                    + "confirm \(confirmPeakMemory / 1_048_576) MiB",
            ].joined(separator: "\n")
        }
    }

    /// Runs in two scratch databases on `server`: one for the floor, one for the posting.
    public func run(server: ConnectionConfig, sql: String?, logger: Logger = .silent) async throws -> Figures {
        let floor = try await withScratchDatabase(server: server, sql: sql, suffix: "_floor") { config in
            try await measureFloor(on: config, sql: sql, logger: logger)
        }
        var figures = try await withScratchDatabase(server: server, sql: sql) { try await run(on: $0, logger: logger) }
        figures.floor = floor
        return figures
    }

    /// R3 alone: generates the drafts in `config` and makes the confirm's writes for them with
    /// `bench.post_floor`, chunk by chunk, one transaction each.
    func measureFloor(on config: ConnectionConfig, sql: String?, logger: Logger) async throws -> Double {
        let connection = try await PostgresConnection.connect(config)
        defer { Task { await connection.close() } }
        logger.info("floor: generating \(invoices) draft invoices")
        try await Self.generateDrafts(connection, invoices: invoices)
        let script = SQLFiles.locate(explicit: sql) + "/bench/posting_floor.sql"
        guard let text = try? String(contentsOfFile: script, encoding: .utf8) else { throw BenchmarkFailure("cannot read \(script)") }
        try await connection.execute(unsafeSQL: text)
        let ids = try await connection.query("SELECT id FROM ar.invoices WHERE status = 'draft' ORDER BY id").map { try $0.decode(0, as: Int64.self) }
        logger.info("floor: posting")
        let batch = UUID()
        return try await seconds {
            for start in stride(from: 0, to: ids.count, by: chunkSize) {
                let chunk = Array(ids[start..<min(start + chunkSize, ids.count)])
                try await connection.withTransaction { try await $0.query("SELECT bench.post_floor(\(chunk), 'bench', \(batch))") }
            }
        }
    }

    /// R2 in `config` (which must be freshly migrated and hold nothing else); the floor is left 0.
    public func run(on config: ConnectionConfig, logger: Logger = .silent) async throws -> Figures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        logger.info("generating \(invoices) draft invoices")
        let generate = try await seconds { try await pool.withConnection { try await Self.generateDrafts($0, invoices: invoices) } }
        let service = PostingService(pool: pool, actor: "bench")
        logger.info("previewing")
        ResidentMemory.resetPeak()
        var preview: PreviewSummary?
        let previewTime = try await seconds { preview = try await service.previewSummary(UnpostedFilter(), chunkSize: previewChunk) }
        let previewPeak = ResidentMemory.peak
        guard let preview, preview.canPost else {
            throw BenchmarkFailure("the generated invoices should all be postable, but \(preview?.blocked ?? -1) are blocked")
        }
        logger.info("posting")
        ResidentMemory.resetPeak()
        var posted = 0
        let postTime = try await seconds { posted = try await service.confirm(preview.token, chunkSize: chunkSize).posted.count }
        return Figures(
            invoices: invoices, generate: generate, floor: 0, preview: previewTime, post: postTime, posted: posted,
            previewPeakMemory: previewPeak, confirmPeakMemory: ResidentMemory.peak)
    }

    /// Preview and confirm (no floor) at each size, each in a scratch database of its own: the
    /// time and the peak memory as the selection grows.
    public static func memoryBySize(
        _ sizes: [Int], chunkSize: Int, previewChunk: Int = PostingService.previewChunk, server: ConnectionConfig, sql: String?,
        logger: Logger = .silent
    ) async throws -> [Figures] {
        var figures: [Figures] = []
        for size in sizes {
            figures.append(
                try await withScratchDatabase(server: server, sql: sql) {
                    try await PostingBenchmark(invoices: size, chunkSize: chunkSize, previewChunk: previewChunk).run(on: $0, logger: logger)
                })
        }
        return figures
    }

    /// The table of `memoryBySize`.
    public static func memoryTable(_ figures: [Figures]) -> String {
        var lines = ["Mass posting by size: time and the process's peak resident memory"]
        lines.append("invoices      preview s   confirm s   preview MiB   confirm MiB")
        for item in figures {
            lines.append(
                String(item.invoices).padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(
                        format: "%10.2f  %10.2f  %12d  %12d", item.preview, item.post, item.previewPeakMemory / 1_048_576,
                        item.confirmPeakMemory / 1_048_576))
        }
        return lines.joined(separator: "\n")
    }

    /// The currency, price list, payment terms and tax rate every fixture uses, through the api.
    static let companyData = """
        SELECT api.save_currency('EUR', 'Euro');
        SELECT api.save_price_list('SALES', 'Sales', 'EUR');
        SELECT api.save_payment_terms('NET30', '30 days', 30);
        SELECT api.save_tax_rate('VAT', 'VAT 21%', 21);
        """

    /// The reference data and products the benchmarks' fixtures use, through the api.
    static let referenceData =
        companyData + """
            SELECT api.save_item_type('TVTYPE', 'Television', 24, 12);
            SELECT api.save_item_type('GEAR', 'Gear', 12);
            SELECT api.save_location('MAIN', 'Main store');
            SELECT api.save_product('{"code": "TV", "name": "TV", "serial_tracking": "unique", "customer_item_type": "TVTYPE", "default_tax_rate": "VAT"}');
            SELECT api.save_product('{"code": "CABLE", "name": "Cable", "default_tax_rate": "VAT"}');
            SELECT api.save_product('{"code": "ROUTER", "name": "Router", "customer_item_type": "GEAR", "default_tax_rate": "VAT"}');
            """

    /// Declarations, for a DO block, of the ids of the reference data's codes the fixtures use.
    static let referenceIDs = """
        v_cable bigint := (SELECT id FROM ar.products WHERE code = 'CABLE');
        v_router bigint := (SELECT id FROM ar.products WHERE code = 'ROUTER');
        v_main bigint := (SELECT id FROM ar.locations WHERE code = 'MAIN');
        v_vat bigint := (SELECT id FROM ar.tax_rates WHERE code = 'VAT');
        v_list bigint := (SELECT id FROM ar.price_lists WHERE code = 'SALES');
        """

    /// Reference data through the api, then drafts, lines, serials, stock and pending items with
    /// set-based inserts (the fixture, not the work measured), for `customers` customers in turn.
    static func generateDrafts(_ connection: PostgresConnection, invoices: Int, customers: Int = 1000) async throws {
        try await connection.execute(unsafeSQL: referenceData)
        try await connection.query("SELECT set_config('postgate.bench_invoices', \(String(invoices)), false)")
        try await connection.query("SELECT set_config('postgate.bench_customers', \(String(customers)), false)")
        try await connection.execute(
            unsafeSQL: """
                DO $$
                DECLARE
                    n integer := current_setting('postgate.bench_invoices')::integer;
                    m integer := current_setting('postgate.bench_customers')::integer;
                    v_tv bigint := (SELECT id FROM ar.products WHERE code = 'TV');
                    \(referenceIDs)
                BEGIN
                    -- Customers and stock through the api, as any client would enter them.
                    PERFORM api.create_customer(jsonb_build_object('code', 'C' || lpad(k::text, 5, '0'), 'name', 'Customer ' || k,
                        'price_list', 'SALES', 'payment_terms', 'NET30', 'credit_limit', CASE WHEN k % 2 = 0 THEN 100000000 END))
                    FROM generate_series(1, 1000) k;
                    PERFORM api.post_receipt(jsonb_build_object('location', 'MAIN', 'date', '2026-01-01', 'reference', 'bench', 'lines', jsonb_build_array(
                        jsonb_build_object('product', 'CABLE', 'quantity', 10 * n),
                        jsonb_build_object('product', 'ROUTER', 'quantity', n))));
                    -- The TVs in receipts of 10,000 serials, as deliveries come (a line checks each of its
                    -- serials against those before it, so one line of 333,334 would take hours).
                    PERFORM api.post_receipt(jsonb_build_object('location', 'MAIN', 'date', '2026-01-01', 'reference', 'bench TVs ' || b,
                        'lines', jsonb_build_array(jsonb_build_object('product', 'TV', 'quantity', least(b + 10000, n / 3 + 1) - b,
                            'serials', (SELECT jsonb_agg(jsonb_build_object('serial', 'TV-' || k))
                                        FROM generate_series(b + 1, least(b + 10000, n / 3 + 1)) k)))))
                    FROM generate_series(0, n / 3, 10000) b;

                    -- The drafts are the fixture, not the work measured: no api writes drafts set-based, and
                    -- 300,000 api calls would take minutes, so they are inserted as the api would leave them.
                    INSERT INTO ar.invoices (customer_id, invoice_date, currency, price_list_id, location_id, reference)
                    SELECT c.id, DATE '2026-03-01' + (k % 28), 'EUR', v_list, v_main, 'bench ' || k
                    FROM generate_series(1, n) k JOIN ar.customers c ON c.code = 'C' || lpad((1 + k % m)::text, 5, '0')
                    -- In k's order, so that consecutive drafts (the ones posted at the same time) have different
                    -- customers: without it the join handed out the ids a customer at a time.
                    ORDER BY k;
                    INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent, net_amount, tax_amount)
                    SELECT i.id, l.line_no, l.product, v_main, l.qty, l.price, v_vat, 21, round(l.qty * l.price, 2), round(round(l.qty * l.price, 2) * 0.21, 2)
                    FROM ar.invoices i
                    CROSS JOIN LATERAL (VALUES
                        (1, v_cable, 2::numeric, 9.99::numeric),
                        (2, v_router, 1::numeric, 79::numeric),
                        (3, CASE WHEN i.id % 3 = 0 THEN v_tv ELSE v_cable END, 1::numeric, CASE WHEN i.id % 3 = 0 THEN 499 ELSE 9.99 END::numeric)
                    ) AS l(line_no, product, qty, price);
                    INSERT INTO ar.invoice_line_serials (line_id, serial)
                    SELECT l.id, 'TV-' || (l.invoice_id / 3) FROM ar.invoice_lines l WHERE l.product_id = v_tv;
                    INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, serial, warranty_start)
                    SELECT l.invoice_id, l.id, l.product_id, p.customer_item_type_id, 1, s.serial, i.invoice_date
                    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id JOIN ar.invoices i ON i.id = l.invoice_id
                    LEFT JOIN ar.invoice_line_serials s ON s.line_id = l.id
                    WHERE p.customer_item_type_id IS NOT NULL;
                    UPDATE ar.invoices i SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax
                    FROM (SELECT invoice_id, sum(net_amount) AS net, sum(tax_amount) AS tax FROM ar.invoice_lines GROUP BY invoice_id) t
                    WHERE t.invoice_id = i.id;
                END
                $$;
                ANALYZE;
                """)
    }
}

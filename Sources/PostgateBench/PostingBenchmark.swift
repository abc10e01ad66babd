import Foundation
import Logging
import Postgate
import Postgres
import PostingPolicy

/// Mass posting at scale: generates drafts in a scratch database (three lines each: an untracked
/// product, one that creates a customer item, and every third invoice a unique-serial TV), then
/// times the preview and the confirmed posting of all of them, against a baseline measured in
/// the same run (one set-based INSERT of as many ledger rows).
public struct PostingBenchmark: Sendable {
    public var invoices: Int
    public var chunkSize: Int

    public init(invoices: Int = 100_000, chunkSize: Int = 1000) {
        self.invoices = invoices
        self.chunkSize = chunkSize
    }

    public struct Figures: Sendable {
        public var invoices: Int
        public var generate: Double
        public var baseline: Double
        public var preview: Double
        public var post: Double
        public var posted: Int

        public var table: String {
            func line(_ name: String, _ seconds: Double) -> String {
                name.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f s %12.0f invoices/s %8.1fx baseline", seconds, Double(invoices) / seconds, seconds / baseline)
            }
            return [
                "mass posting of \(invoices) draft invoices (3 lines each)",
                line("fixture: generate the drafts (set-based)", generate),
                line("baseline: INSERT as many ledger rows", baseline),
                line("preview: facts + policy for every invoice", preview),
                line("confirm: post, move stock, create items", post),
                line("preview + confirm", preview + post),
                "posted \(posted) invoices",
            ].joined(separator: "\n")
        }
    }

    /// Runs in `database` (which must be freshly migrated and hold nothing else).
    public func run(on config: ConnectionConfig, logger: Logger = .silent) async throws -> Figures {
        let pool = PostgresPool(config: config, maxConnections: 2, acquireTimeout: .seconds(600))
        defer { Task { await pool.shutdown() } }
        logger.info("generating \(invoices) draft invoices")
        let generate = try await seconds { try await pool.withConnection { try await Self.generateDrafts($0, invoices: invoices) } }
        let baseline = try await seconds {
            try await pool.withConnection { connection in
                try await connection.execute(unsafeSQL: "CREATE TEMPORARY TABLE bench_ledger (LIKE ar.ledger_entries)")
                try await connection.query(
                    """
                    INSERT INTO bench_ledger (id, customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer, created_at)
                    SELECT n, 1 + n % 1000, 'invoice', n, DATE '2026-03-01', 'EUR', 100, 1, 'EUR', 1, 100, now() FROM generate_series(1, \(Int64(invoices))) n
                    """)
                try await connection.execute(unsafeSQL: "DROP TABLE bench_ledger")
            }
        }
        let service = PostingService(pool: pool, actor: "bench")
        let ids = try await InvoiceStore(pool: pool).unposted().map(\.invoiceID)
        logger.info("previewing")
        var preview: Preview?
        let previewTime = try await seconds { preview = try await service.preview(ids) }
        guard let preview, preview.canPost else {
            throw BenchmarkFailure("the generated invoices should all be postable, but \(preview?.blocked.count ?? -1) are blocked")
        }
        logger.info("posting")
        var posted = 0
        let postTime = try await seconds { posted = try await service.confirm(preview.token, chunkSize: chunkSize).posted.count }
        return Figures(invoices: invoices, generate: generate, baseline: baseline, preview: previewTime, post: postTime, posted: posted)
    }

    /// Reference data through the api, then drafts, lines, serials, stock and pending items with
    /// set-based inserts (the fixture, not the work measured), for `customers` customers in turn.
    static func generateDrafts(_ connection: PostgresConnection, invoices: Int, customers: Int = 1000) async throws {
        try await connection.execute(
            unsafeSQL: """
                SELECT api.save_currency('EUR', 'Euro');
                SELECT api.save_price_list('SALES', 'Sales', 'EUR');
                SELECT api.save_payment_terms('NET30', '30 days', 30);
                SELECT api.save_tax_rate('VAT', 'VAT 21%', 21);
                SELECT api.save_item_type('TVTYPE', 'Television', 24, 12);
                SELECT api.save_item_type('GEAR', 'Gear', 12);
                SELECT api.save_location('MAIN', 'Main store');
                SELECT api.save_product('{"code": "TV", "name": "TV", "serial_tracking": "unique", "customer_item_type": "TVTYPE", "default_tax_rate": "VAT"}');
                SELECT api.save_product('{"code": "CABLE", "name": "Cable", "default_tax_rate": "VAT"}');
                SELECT api.save_product('{"code": "ROUTER", "name": "Router", "customer_item_type": "GEAR", "default_tax_rate": "VAT"}');
                """)
        try await connection.query("SELECT set_config('postgate.bench_invoices', \(String(invoices)), false)")
        try await connection.query("SELECT set_config('postgate.bench_customers', \(String(customers)), false)")
        try await connection.execute(
            unsafeSQL: """
                DO $$
                DECLARE
                    n integer := current_setting('postgate.bench_invoices')::integer;
                    m integer := current_setting('postgate.bench_customers')::integer;
                    v_tv bigint := (SELECT id FROM ar.products WHERE code = 'TV');
                    v_cable bigint := (SELECT id FROM ar.products WHERE code = 'CABLE');
                    v_router bigint := (SELECT id FROM ar.products WHERE code = 'ROUTER');
                    v_main bigint := (SELECT id FROM ar.locations WHERE code = 'MAIN');
                    v_vat bigint := (SELECT id FROM ar.tax_rates WHERE code = 'VAT');
                    v_list bigint := (SELECT id FROM ar.price_lists WHERE code = 'SALES');
                BEGIN
                    -- Customers and stock through the api, as any client would enter them.
                    PERFORM api.create_customer(jsonb_build_object('code', 'C' || lpad(k::text, 5, '0'), 'name', 'Customer ' || k,
                        'price_list', 'SALES', 'payment_terms', 'NET30', 'credit_limit', CASE WHEN k % 2 = 0 THEN 100000000 END))
                    FROM generate_series(1, 1000) k;
                    PERFORM api.post_receipt(jsonb_build_object('location', 'MAIN', 'date', '2026-01-01', 'reference', 'bench', 'lines', jsonb_build_array(
                        jsonb_build_object('product', 'TV', 'quantity', n / 3 + 1,
                                           'serials', (SELECT jsonb_agg(jsonb_build_object('serial', 'TV-' || k)) FROM generate_series(1, n / 3 + 1) k)),
                        jsonb_build_object('product', 'CABLE', 'quantity', 10 * n),
                        jsonb_build_object('product', 'ROUTER', 'quantity', n))));

                    -- The drafts are the fixture, not the work measured: no api writes drafts set-based, and
                    -- 300,000 api calls would take minutes, so they are inserted as the api would leave them.
                    INSERT INTO ar.invoices (customer_id, invoice_date, currency, price_list_id, location_id, reference)
                    SELECT c.id, DATE '2026-03-01' + (k % 28), 'EUR', v_list, v_main, 'bench ' || k
                    FROM generate_series(1, n) k JOIN ar.customers c ON c.code = 'C' || lpad((1 + k % m)::text, 5, '0');
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

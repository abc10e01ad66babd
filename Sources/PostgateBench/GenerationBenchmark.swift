import Foundation
import Logging
import Postgate
import Postgres

/// Generate Invoices at scale: N booked orders (three lines each, one creating a customer item)
/// of customers with Immediate terms, previewed and generated in one run, against its floor
/// (`sql/bench/generate_floor.sql`: the same drafts inserted by plain SQL) over the same orders
/// in a second scratch database.
public struct GenerationBenchmark: Sendable {
    public var orders: Int

    public init(orders: Int = 10_000) {
        self.orders = orders
    }

    public struct Figures: Sendable {
        public var orders: Int
        public var floor: Double
        public var preview: Double
        public var generate: Double
        public var invoices: Int

        public var ratio: Double { generate / floor }

        public var table: String {
            func line(_ name: String, _ seconds: Double) -> String {
                name.padding(toLength: 48, withPad: " ", startingAt: 0)
                    + String(format: "%9.2f s %10.0f orders/s %7.2fx floor", seconds, Double(orders) / seconds, seconds / floor)
            }
            return [
                "Generate Invoices over \(orders) booked orders (3 lines each, Immediate terms)",
                line("floor: the same drafts by plain SQL", floor),
                line("preview: what would be made, per customer", preview),
                line("generate: the drafts, set-based", generate),
                "made \(invoices) draft invoices",
            ].joined(separator: "\n")
        }
    }

    public func run(server: ConnectionConfig, sql: String?, logger: Logger = .silent) async throws -> Figures {
        let floor = try await withScratchDatabase(server: server, sql: sql, suffix: "_floor") { config in
            let connection = try await PostgresConnection.connect(config)
            defer { Task { await connection.close() } }
            try await Self.generateOrders(connection, orders: orders)
            let script = SQLFiles.locate(explicit: sql) + "/bench/generate_floor.sql"
            guard let text = try? String(contentsOfFile: script, encoding: .utf8) else { throw BenchmarkFailure("cannot read \(script)") }
            try await connection.execute(unsafeSQL: text)
            logger.info("floor")
            return try await seconds { try await connection.query("SELECT bench.generate_floor('2026-03-02')") }
        }
        return try await withScratchDatabase(server: server, sql: sql) { config in
            let connection = try await PostgresConnection.connect(config)
            defer { Task { await connection.close() } }
            try await Self.generateOrders(connection, orders: orders)
            logger.info("preview")
            let preview = try await seconds { _ = try await connection.query("SELECT * FROM api.preview_invoice_generation('2026-03-02')") }
            var made = 0
            logger.info("generate")
            let generate = try await seconds {
                made = try await connection.query("SELECT count(*) FROM api.generate_invoices('2026-03-02')")[0].decode(0, as: Int.self)
            }
            guard made == orders else { throw BenchmarkFailure("Generate Invoices should make \(orders) drafts, but made \(made)") }
            return Figures(orders: orders, floor: floor, preview: preview, generate: generate, invoices: made)
        }
    }

    /// Reference data through the api, then booked orders and their lines by set-based inserts
    /// (the fixture, not the work measured), spread over 1,000 customers.
    static func generateOrders(_ connection: PostgresConnection, orders: Int) async throws {
        try await connection.execute(unsafeSQL: PostingBenchmark.referenceData)
        try await connection.execute(
            unsafeSQL: """
                SELECT api.create_customer(jsonb_build_object('code', 'C' || lpad(k::text, 5, '0'), 'name', 'Customer ' || k,
                    'price_list', 'SALES', 'payment_terms', 'NET30', 'invoice_terms', 'immediate'))
                FROM generate_series(1, 1000) k;
                """)
        try await connection.query("SELECT set_config('postgate.bench_orders', \(String(orders)), false)")
        try await connection.execute(
            unsafeSQL: """
                DO $$
                DECLARE
                    n integer := current_setting('postgate.bench_orders')::integer;
                    \(PostingBenchmark.referenceIDs)
                BEGIN
                    INSERT INTO ar.sales_orders (customer_id, status, order_date, currency, price_list_id, location_id, reference, number,
                                                 booked_at, booked_by)
                    SELECT c.id, 'booked', DATE '2026-03-01', 'EUR', v_list, v_main, 'bench ' || k, k, now(), 'bench'
                    FROM generate_series(1, n) k JOIN ar.customers c ON c.code = 'C' || lpad((1 + k % 1000)::text, 5, '0');
                    INSERT INTO ar.sales_order_lines (order_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                                      net_amount, tax_amount)
                    SELECT o.id, l.line_no, l.product, v_main, l.qty, l.price, v_vat, 21, round(l.qty * l.price, 2),
                           round(round(l.qty * l.price, 2) * 0.21, 2)
                    FROM ar.sales_orders o CROSS JOIN LATERAL (VALUES
                        (1, v_cable, 2::numeric, 9.99::numeric), (2, v_router, 1::numeric, 79::numeric), (3, v_cable, 1::numeric, 9.99::numeric)
                    ) AS l(line_no, product, qty, price);
                    UPDATE ar.sales_orders o SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax
                    FROM (SELECT order_id, sum(net_amount) AS net, sum(tax_amount) AS tax FROM ar.sales_order_lines GROUP BY order_id) t
                    WHERE t.order_id = o.id;
                    UPDATE ar.invoice_numbers SET next = n + 1 WHERE series = 'order';
                END
                $$;
                ANALYZE;
                """)
    }
}

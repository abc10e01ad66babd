import Foundation
import Postgres

/// A shop's tills as a fixture for R1: 8 locations (a till each), 200 products in stock at every
/// one of them, 1,000 customers, and drafts of three lines spread over products and locations, so
/// that concurrent postings rarely touch the same stock row. What they may still share is the
/// number series: the company's one, or (`seriesPerTill`) a series per till.
enum TillFixture {
    static let locations = 8
    static let products = 200

    /// Reference data, locations, products and their stock through the api; the drafts set-based
    /// (the fixture, not the work measured). Draft k is sold at till k mod 8.
    static func generateDrafts(_ connection: PostgresConnection, invoices: Int, seriesPerTill: Bool) async throws {
        try await connection.execute(unsafeSQL: PostingBenchmark.companyData)
        try await connection.query("SELECT set_config('postgate.bench_invoices', \(String(invoices)), false)")
        try await connection.query("SELECT set_config('postgate.bench_locations', \(String(locations)), false)")
        try await connection.query("SELECT set_config('postgate.bench_products', \(String(products)), false)")
        try await connection.query("SELECT set_config('postgate.bench_series', \(seriesPerTill ? "on" : "off"), false)")
        try await connection.execute(
            unsafeSQL: """
                DO $$
                DECLARE
                    n integer := current_setting('postgate.bench_invoices')::integer;
                    v_tills integer := current_setting('postgate.bench_locations')::integer;
                    v_products integer := current_setting('postgate.bench_products')::integer;
                    v_vat bigint := (SELECT id FROM ar.tax_rates WHERE code = 'VAT');
                    v_list bigint := (SELECT id FROM ar.price_lists WHERE code = 'SALES');
                BEGIN
                    PERFORM api.save_location('TILL' || t, 'Till ' || t) FROM generate_series(1, v_tills) t;
                    IF current_setting('postgate.bench_series')::boolean THEN
                        PERFORM api.save_invoice_series('TILL' || t, 'T' || t || '-'), api.set_location_series('TILL' || t, 'TILL' || t)
                        FROM generate_series(1, v_tills) t;
                    END IF;
                    PERFORM api.save_product(jsonb_build_object('code', 'P' || lpad(p::text, 3, '0'), 'name', 'Product ' || p,
                                                                'default_tax_rate', 'VAT'))
                    FROM generate_series(1, v_products) p;
                    PERFORM api.create_customer(jsonb_build_object('code', 'C' || lpad(k::text, 5, '0'), 'name', 'Customer ' || k,
                        'price_list', 'SALES', 'payment_terms', 'NET30'))
                    FROM generate_series(1, 1000) k;
                    -- Enough of every product at every till for all the drafts.
                    PERFORM api.post_receipt(jsonb_build_object('location', 'TILL' || t, 'date', '2026-01-01', 'reference', 'bench',
                        'lines', (SELECT jsonb_agg(jsonb_build_object('product', 'P' || lpad(p::text, 3, '0'), 'quantity', n))
                                  FROM generate_series(1, v_products) p)))
                    FROM generate_series(1, v_tills) t;

                    INSERT INTO ar.invoices (customer_id, invoice_date, currency, price_list_id, location_id, reference)
                    SELECT c.id, DATE '2026-03-01' + (k % 28), 'EUR', v_list, loc.id, 'till ' || k
                    FROM generate_series(1, n) k
                    JOIN ar.customers c ON c.code = 'C' || lpad((1 + k % 1000)::text, 5, '0')
                    JOIN ar.locations loc ON loc.code = 'TILL' || (1 + k % v_tills)
                    ORDER BY k;  -- consecutive drafts at different tills, for different customers
                    INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                                  net_amount, tax_amount)
                    SELECT i.id, l.line_no, p.id, i.location_id, 1, 4.99, v_vat, 21, 4.99, 1.05
                    FROM ar.invoices i
                    CROSS JOIN LATERAL (VALUES (1, 1 + (i.id * 7) % v_products), (2, 1 + (i.id * 13 + 5) % v_products),
                                               (3, 1 + (i.id * 31 + 11) % v_products)) AS l(line_no, product)
                    JOIN ar.products p ON p.code = 'P' || lpad(l.product::text, 3, '0');
                    UPDATE ar.invoices i SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax
                    FROM (SELECT invoice_id, sum(net_amount) AS net, sum(tax_amount) AS tax FROM ar.invoice_lines GROUP BY invoice_id) t
                    WHERE t.invoice_id = i.id;
                END
                $$;
                ANALYZE;
                """)
    }
}

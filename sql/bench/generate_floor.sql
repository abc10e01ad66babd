-- The floor of Generate Invoices: the drafts it makes for every booked order of customers with
-- Immediate terms (invoices, lines, pending customer items, totals), as plain SQL with no terms,
-- holds, open quantities or locks. Not part of the schema: the benchmark creates it in its
-- scratch database only.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.generate_floor(p_date date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH orders AS MATERIALIZED (
        SELECT o.id, o.customer_id, o.currency, o.price_list_id, o.location_id, o.number,
               nextval(pg_get_serial_sequence('ar.invoices', 'id')) AS new_invoice_id
        FROM ar.sales_orders o WHERE o.status = 'booked' ORDER BY o.id
    ),
    made_invoices AS (
        INSERT INTO ar.invoices (id, customer_id, invoice_date, currency, price_list_id, location_id, reference)
        OVERRIDING SYSTEM VALUE
        SELECT o.new_invoice_id, o.customer_id, p_date, o.currency, o.price_list_id, o.location_id, 'order ' || o.number FROM orders o
    ),
    made_lines AS (
        INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                      net_amount, tax_amount, order_line_id)
        SELECT o.new_invoice_id, l.line_no, l.product_id, l.location_id, l.quantity, l.unit_price, l.tax_rate_id, l.tax_percent,
               l.net_amount, l.tax_amount, l.id
        FROM orders o JOIN ar.sales_order_lines l ON l.order_id = o.id
        RETURNING id, invoice_id, product_id, quantity
    )
    INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, warranty_start)
    SELECT ml.invoice_id, ml.id, ml.product_id, p.customer_item_type_id, u, p_date
    FROM made_lines ml JOIN ar.products p ON p.id = ml.product_id CROSS JOIN generate_series(1, ml.quantity::integer) u
    WHERE p.customer_item_type_id IS NOT NULL;

    UPDATE ar.invoices i SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax
    FROM (SELECT l.invoice_id, sum(l.net_amount) AS net, sum(l.tax_amount) AS tax FROM ar.invoice_lines l GROUP BY l.invoice_id) t
    WHERE i.id = t.invoice_id AND i.invoice_date = p_date;
END
$$;

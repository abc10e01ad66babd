-- Reports on orders, shipments, what Generate Invoices would make, and credit exposure.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.open_orders AS
SELECT o.number AS order_number, o.id AS order_id, c.code AS customer, c.invoice_terms, o.order_date, l.line_no, p.code AS product,
       loc.code AS location, q.quantity AS ordered, q.shipped, q.on_draft_shipments, q.invoiced_direct + q.invoiced_from_shipments AS invoiced,
       q.open, o.currency, a.net + a.tax AS open_amount
FROM ar.sales_orders o JOIN ar.customers c ON c.id = o.customer_id JOIN ar.sales_order_lines l ON l.order_id = o.id
JOIN ar.products p ON p.id = l.product_id JOIN ar.locations loc ON loc.id = l.location_id
JOIN ar.order_line_quantities q ON q.order_line_id = l.id
CROSS JOIN LATERAL (SELECT round(q.open * l.unit_price, 2) AS net, round(round(q.open * l.unit_price, 2) * l.tax_percent / 100, 2) AS tax) a
WHERE o.status = 'booked' AND q.open > 0;
COMMENT ON VIEW report.open_orders IS 'Booked order lines with something still to ship or invoice, and its amount with tax.';

CREATE OR REPLACE VIEW report.uninvoiced_shipments AS
SELECT s.number AS shipment_number, s.id AS shipment_id, s.shipment_date, c.code AS customer, c.invoice_terms, o.number AS order_number,
       l.line_no AS order_line, p.code AS product, sl.quantity,
       (SELECT string_agg(ss.serial || CASE WHEN ss.quantity <> 1 THEN ' x ' || trim_scale(ss.quantity) ELSE '' END, ', ' ORDER BY ss.id)
        FROM ar.shipment_line_serials ss WHERE ss.line_id = sl.id) AS serials,
       o.currency, a.net + a.tax AS amount
FROM ar.shipment_lines sl JOIN ar.shipments s ON s.id = sl.shipment_id AND s.status = 'completed'
JOIN ar.sales_order_lines l ON l.id = sl.order_line_id JOIN ar.sales_orders o ON o.id = l.order_id
JOIN ar.customers c ON c.id = o.customer_id JOIN ar.products p ON p.id = l.product_id
CROSS JOIN LATERAL (SELECT round(sl.quantity * l.unit_price, 2) AS net, round(round(sl.quantity * l.unit_price, 2) * l.tax_percent / 100, 2) AS tax) a
WHERE NOT EXISTS (SELECT FROM ar.invoice_lines il WHERE il.shipment_line_id = sl.id);
COMMENT ON VIEW report.uninvoiced_shipments IS 'Completed shipment lines no invoice (draft or posted) carries yet, with their serials and amount.';

-- The definer helpers below take no arguments and return only what their view shows (see
-- report.unposted_invoices).
DROP VIEW IF EXISTS report.invoicing_due;
DROP FUNCTION IF EXISTS ar.report_invoicing_due();
CREATE FUNCTION ar.report_invoicing_due()
RETURNS TABLE (customer text, invoice_terms text, orders integer, lines integer, currency text, total numeric, skipped_because text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT g.customer, g.invoice_terms, count(*)::integer, sum(g.lines)::integer, g.currency, sum(g.total), min(g.skipped_because)
    FROM ar.invoice_generation(current_date) g GROUP BY g.customer, g.invoice_terms, g.currency ORDER BY g.customer
$$;
REVOKE ALL ON FUNCTION ar.report_invoicing_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ar.report_invoicing_due() TO postgate_reporting, postgate_service;
CREATE VIEW report.invoicing_due AS SELECT * FROM ar.report_invoicing_due();
COMMENT ON VIEW report.invoicing_due IS
    'What Generate Invoices would make if run today, per customer and invoice term: orders, lines, total; customers it would skip, and why.';

DROP VIEW IF EXISTS report.customer_exposure;
DROP FUNCTION IF EXISTS ar.report_customer_exposure();
CREATE FUNCTION ar.report_customer_exposure()
RETURNS TABLE (customer text, currency text, credit_limit numeric, balance numeric, booked_not_shipped numeric, shipped_not_invoiced numeric,
               full_exposure numeric, counted_by_credit_rules numeric, headroom numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT e.customer, e.currency, e.credit_limit, e.balance, e.booked_not_shipped, e.shipped_not_invoiced,
           e.balance + e.booked_not_shipped + e.shipped_not_invoiced, x.counted, e.credit_limit - x.counted
    FROM ar.customer_exposure() e
    -- What the credit rules count is theirs to say (ar.credit_exposures), for every customer.
    JOIN ar.credit_exposures(ARRAY(SELECT c.id FROM ar.customers c)) x(customer_id, counted) ON x.customer_id = e.customer_id
    ORDER BY e.customer
$$;
REVOKE ALL ON FUNCTION ar.report_customer_exposure() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ar.report_customer_exposure() TO postgate_reporting, postgate_service;
CREATE VIEW report.customer_exposure AS SELECT * FROM ar.report_customer_exposure();
COMMENT ON VIEW report.customer_exposure IS
    'Each customer''s balance, booked not shipped and shipped not invoiced; what the credit rules count (setting credit_exposure) and the headroom.';

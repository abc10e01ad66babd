-- What is open on sales orders and what a customer owes beyond its balance: read by the posting
-- facts (credit exposure), by orders, shipments, Generate Invoices and their reports.
SET LOCAL ROLE postgate_owner;

-- Per order line: booked, shipped (completed shipments), on draft shipments, invoiced from the
-- order without a shipment (stock leaves when that invoice posts), invoiced from shipments, and
-- open (what may still be shipped or invoiced: nothing once the order is closed or cancelled).
CREATE OR REPLACE VIEW ar.order_line_quantities AS
SELECT l.id AS order_line_id, l.order_id, o.customer_id, o.status, l.quantity,
       coalesce(s.shipped, 0) AS shipped, coalesce(s.on_drafts, 0) AS on_draft_shipments,
       coalesce(i.direct, 0) AS invoiced_direct, coalesce(i.from_shipments, 0) AS invoiced_from_shipments,
       CASE WHEN o.status = 'booked' THEN greatest(l.quantity - coalesce(s.shipped, 0) - coalesce(i.direct, 0), 0) ELSE 0 END AS open
FROM ar.sales_order_lines l JOIN ar.sales_orders o ON o.id = l.order_id
LEFT JOIN LATERAL (
    SELECT sum(sl.quantity) FILTER (WHERE sh.status = 'completed') AS shipped, sum(sl.quantity) FILTER (WHERE sh.status = 'draft') AS on_drafts
    FROM ar.shipment_lines sl JOIN ar.shipments sh ON sh.id = sl.shipment_id WHERE sl.order_line_id = l.id
) s ON true
LEFT JOIN LATERAL (
    SELECT sum(il.quantity) FILTER (WHERE il.shipment_line_id IS NULL) AS direct,
           sum(il.quantity) FILTER (WHERE il.shipment_line_id IS NOT NULL) AS from_shipments
    FROM ar.invoice_lines il WHERE il.order_line_id = l.id
) i ON true;
COMMENT ON VIEW ar.order_line_quantities IS
    'Each order line: booked, shipped, on draft shipments, invoiced without and from shipments, and open (still to ship or invoice).';

-- The line amount with its tax, as invoice lines compute it.
CREATE OR REPLACE FUNCTION ar.gross_amount(p_quantity numeric, p_price numeric, p_tax_percent numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT round(p_quantity * p_price, 2) + round(round(p_quantity * p_price, 2) * p_tax_percent / 100, 2)
$$;

-- Customers' credit exposure in their own currency (all customers when p_ids is NULL): the open
-- balance, what is booked and not yet shipped or invoiced, and what is shipped and not yet
-- invoiced (orders in another currency are converted at today's rate). Invoiced means posted: what
-- a draft invoice carries of an order still counts here, at the draft line's own amount, so that
-- the posting of that draft can take exactly it out again (ar.invoice_facts). A function, not a view:
-- views call no functions that read tables as their reader.
DROP VIEW IF EXISTS ar.customer_exposure;
CREATE OR REPLACE FUNCTION ar.customer_exposure(p_ids bigint[] DEFAULT NULL)
RETURNS TABLE (customer_id bigint, customer text, currency text, credit_limit numeric, balance numeric, booked_not_shipped numeric,
               shipped_not_invoiced numeric)
LANGUAGE sql STABLE AS $$
    SELECT c.id, c.code, c.currency, c.credit_limit, b.balance,
           coalesce(x.booked_not_shipped, 0), coalesce(x.shipped_not_invoiced, 0)
    FROM ar.customers c JOIN ar.customer_balances b ON b.customer_id = c.id
    LEFT JOIN LATERAL (
        SELECT sum(CASE WHEN o.currency = c.currency THEN a.booked
                        ELSE round(a.booked * ar.conversion_rate(o.currency, c.currency, current_date), 2) END) AS booked_not_shipped,
               sum(CASE WHEN o.currency = c.currency THEN a.shipped
                        ELSE round(a.shipped * ar.conversion_rate(o.currency, c.currency, current_date), 2) END) AS shipped_not_invoiced
        FROM ar.sales_orders o JOIN ar.sales_order_lines l ON l.order_id = o.id JOIN ar.order_line_quantities q ON q.order_line_id = l.id
        -- What draft invoices carry of the line is not owed yet either: it counts until they post.
        LEFT JOIN LATERAL (
            SELECT sum(il.net_amount + il.tax_amount) FILTER (WHERE il.shipment_line_id IS NULL) AS direct,
                   sum(il.net_amount + il.tax_amount) FILTER (WHERE il.shipment_line_id IS NOT NULL) AS from_shipments
            FROM ar.invoice_lines il JOIN ar.invoices iv ON iv.id = il.invoice_id AND iv.status = 'draft'
            WHERE il.order_line_id = l.id
        ) d ON true
        CROSS JOIN LATERAL (
            SELECT ar.gross_amount(q.open, l.unit_price, l.tax_percent) + coalesce(d.direct, 0) AS booked,
                   ar.gross_amount(q.shipped - q.invoiced_from_shipments, l.unit_price, l.tax_percent) + coalesce(d.from_shipments, 0) AS shipped
        ) a
        WHERE o.customer_id = c.id AND o.status <> 'draft'
    ) x ON true
    WHERE p_ids IS NULL OR c.id = ANY (p_ids)
$$;
COMMENT ON FUNCTION ar.customer_exposure(bigint[]) IS
    'Customers'' balance, booked not shipped and shipped not invoiced, in their own currency (all customers for NULL).';

-- The one credit exposure: what the credit rules count against each customer's limit, in its own
-- currency, under the setting credit_exposure: the open balance, or with "full" also what is booked
-- not shipped and shipped not invoiced (ar.customer_exposure). Set-based: one call for any number
-- of customers (those named; none for NULL). Each branch runs only when the setting chooses it (a
-- one-time filter), so under "balance" no order is read. Read by the posting facts (a chunk's
-- customers at once), report.customer_exposure, and through ar.credit_exposure by the alerts and
-- the booking facts.
CREATE OR REPLACE FUNCTION ar.credit_exposures(p_customer_ids bigint[])
RETURNS TABLE (customer_id bigint, exposure numeric)
LANGUAGE sql STABLE AS $$
    SELECT b.customer_id, b.balance
    FROM ar.customer_balances b
    WHERE ar.setting('credit_exposure') IS DISTINCT FROM '"full"' AND b.customer_id = ANY (p_customer_ids)
    UNION ALL
    -- The ids filtered here as well as inside: the filter inside takes NULL for all customers, and
    -- in a plan made before the ids are known (generic, or a lateral call) only this one finds the
    -- customers by their key instead of reading every customer.
    SELECT e.customer_id, e.balance + e.booked_not_shipped + e.shipped_not_invoiced
    FROM ar.customer_exposure(p_customer_ids) e
    WHERE ar.setting('credit_exposure') = '"full"' AND e.customer_id = ANY (p_customer_ids)
$$;
COMMENT ON FUNCTION ar.credit_exposures(bigint[]) IS
    'The exposure the credit rules count, per customer named: the open balance, or with credit_exposure = full also booked not shipped '
    'and shipped not invoiced. The one definition; everything that checks credit reads it.';

-- The same for one customer, for callers that check one at a time.
CREATE OR REPLACE FUNCTION ar.credit_exposure(p_customer_id bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT x.exposure FROM ar.credit_exposures(ARRAY[p_customer_id]) x
$$;
COMMENT ON FUNCTION ar.credit_exposure(bigint) IS
    'The exposure the credit rules count for one customer (ar.credit_exposures); NULL for no customer.';

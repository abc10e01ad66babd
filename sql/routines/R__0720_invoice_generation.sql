-- Generate Invoices: draft invoices from what each customer's invoice terms make due, set-based.
-- A shipped unit is invoiced by one invoice line (a unique index says so); what Immediate terms
-- invoice before shipping leaves stock when that invoice posts. The drafts flow into posting.
SET LOCAL ROLE postgate_owner;

-- The dates of an invoice schedule, replaced whole.
CREATE OR REPLACE FUNCTION api.set_schedule_dates(p_schedule text, p_dates date[])
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_id bigint := ar.lookup('invoice_schedules', p_schedule, 'schedule', 'invoice schedule');
BEGIN
    IF p_dates IS NULL OR array_position(p_dates, NULL) IS NOT NULL THEN
        PERFORM ar.fail('PG400', 'dates', 'the schedule''s dates must be dates, with none left empty', 'Give them as YYYY-MM-DD.');
    END IF;
    PERFORM 1 FROM ar.invoice_schedules WHERE id = v_id FOR UPDATE;
    DELETE FROM ar.invoice_schedule_dates WHERE schedule_id = v_id;
    INSERT INTO ar.invoice_schedule_dates (schedule_id, on_date) SELECT DISTINCT v_id, d FROM unnest(p_dates) d;
    UPDATE ar.invoice_schedules SET version = version + 1 WHERE id = v_id;
    RETURN (SELECT count(*)::integer FROM ar.invoice_schedule_dates WHERE schedule_id = v_id);
END
$$;
COMMENT ON FUNCTION api.set_schedule_dates(text, date[]) IS 'Sets the dates on which customers of an invoice schedule are invoiced.';

CREATE OR REPLACE FUNCTION api.schedule_dates(p_schedule text)
RETURNS SETOF date LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT d.on_date FROM ar.invoice_schedule_dates d
    WHERE d.schedule_id = ar.lookup('invoice_schedules', p_schedule, 'schedule', 'invoice schedule') ORDER BY d.on_date
$$;

-- Every invoice line Generate Invoices would make on p_date, by the terms of each customer:
--   after_delivery: every completed shipment line not invoiced yet;
--   after_order_delivered: the same, once nothing of the order is open (all shipped, or closed);
--   customer_schedule_after_delivery: the same, on the dates of the customer's schedule;
--   immediate: shipped lines not invoiced, and what is booked and open (not on a draft shipment);
--   do_not_invoice: nothing.
-- held: the customer is on hold for sales invoices, so the line waits.
CREATE OR REPLACE FUNCTION ar.invoicing_due(p_date date)
RETURNS TABLE (customer_id bigint, order_id bigint, order_line_id bigint, shipment_line_id bigint, quantity numeric, terms text, held boolean)
LANGUAGE sql STABLE AS $$
    SELECT o.customer_id, o.id, l.id, sl.id, sl.quantity, c.invoice_terms, c.on_hold AND c.hold_sales_invoice
    FROM ar.shipment_lines sl JOIN ar.shipments s ON s.id = sl.shipment_id AND s.status = 'completed'
    JOIN ar.sales_order_lines l ON l.id = sl.order_line_id JOIN ar.sales_orders o ON o.id = l.order_id
    JOIN ar.customers c ON c.id = o.customer_id
    WHERE s.shipment_date <= p_date
      AND NOT EXISTS (SELECT FROM ar.invoice_lines il WHERE il.shipment_line_id = sl.id)
      AND CASE c.invoice_terms
              WHEN 'after_delivery' THEN true
              WHEN 'immediate' THEN true
              WHEN 'after_order_delivered' THEN NOT EXISTS (SELECT FROM ar.order_line_quantities q WHERE q.order_id = o.id AND q.open > 0)
              WHEN 'customer_schedule_after_delivery'
                  THEN EXISTS (SELECT FROM ar.invoice_schedule_dates d WHERE d.schedule_id = c.invoice_schedule_id AND d.on_date = p_date)
              ELSE false END
    UNION ALL
    SELECT o.customer_id, o.id, l.id, NULL, q.open - q.on_draft_shipments, c.invoice_terms, c.on_hold AND c.hold_sales_invoice
    FROM ar.sales_orders o JOIN ar.customers c ON c.id = o.customer_id AND c.invoice_terms = 'immediate'
    JOIN ar.sales_order_lines l ON l.order_id = o.id JOIN ar.order_line_quantities q ON q.order_line_id = l.id
    WHERE o.status = 'booked' AND o.order_date <= p_date AND q.open - q.on_draft_shipments > 0
$$;
COMMENT ON FUNCTION ar.invoicing_due(date) IS 'The invoice lines Generate Invoices would make on a date, per customer, order and term.';

-- What a run on p_date would make: one draft invoice per order, with its amounts; customers on
-- hold for sales invoices are listed with the reason and skipped.
CREATE OR REPLACE FUNCTION ar.invoice_generation(p_date date)
RETURNS TABLE (customer text, invoice_terms text, order_id bigint, order_number bigint, lines integer, currency text, net_total numeric,
               tax_total numeric, total numeric, skipped_because text)
LANGUAGE sql STABLE AS $$
    SELECT c.code, d.terms, o.id, o.number, count(*)::integer, o.currency, sum(a.net), sum(a.tax), sum(a.net + a.tax),
           CASE WHEN bool_or(d.held) THEN format('customer %s is on hold for sales invoices', c.code) END
    FROM ar.invoicing_due(p_date) d JOIN ar.sales_orders o ON o.id = d.order_id JOIN ar.customers c ON c.id = d.customer_id
    JOIN ar.sales_order_lines l ON l.id = d.order_line_id
    CROSS JOIN LATERAL (SELECT round(d.quantity * l.unit_price, 2) AS net,
                               round(round(d.quantity * l.unit_price, 2) * l.tax_percent / 100, 2) AS tax) a
    GROUP BY c.code, d.terms, o.id, o.number, o.currency
    ORDER BY c.code, o.id
$$;

CREATE OR REPLACE FUNCTION api.preview_invoice_generation(p_date date DEFAULT current_date)
RETURNS TABLE (customer text, invoice_terms text, order_id bigint, order_number bigint, lines integer, currency text, net_total numeric,
               tax_total numeric, total numeric, skipped_because text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT * FROM ar.invoice_generation(coalesce(p_date, current_date))
$$;
COMMENT ON FUNCTION api.preview_invoice_generation(date) IS
    'What Generate Invoices would make on a date: per customer and order, the terms, lines and amounts; customers on hold are listed as skipped.';

-- Generate Invoices, step by step (api.generate_invoices runs them in order, inside its run lock).

-- The orders with something due on p_date, locked in id order; NULL when there are none. Only
-- they are invoiced in this run (an order that becomes due meanwhile waits for the next), so no
-- shipment of them completes under it.
CREATE OR REPLACE FUNCTION ar.generate_invoices_lock_orders(p_date date) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_orders bigint[];
BEGIN
    SELECT array_agg(l.id) INTO v_orders FROM (
        SELECT o.id FROM ar.sales_orders o WHERE o.id IN (SELECT d.order_id FROM ar.invoicing_due(p_date) d) ORDER BY o.id FOR UPDATE
    ) l;
    RETURN v_orders;
END
$$;
COMMENT ON FUNCTION ar.generate_invoices_lock_orders(date) IS
    'Step of api.generate_invoices: locks the orders with something due on the date, in id order, and returns their ids (NULL for none).';

-- The drafts, in one statement: one per locked order with lines due (customers on hold for sales
-- invoices wait), dated p_date, its lines priced as the order's and numbered in order-line order,
-- shipped lines with their shipment's serials. Returns the drafts' ids, NULL when none was made.
CREATE OR REPLACE FUNCTION ar.generate_invoices_make_drafts(p_date date, p_orders bigint[]) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_invoices bigint[];
BEGIN
    WITH due AS MATERIALIZED (
        SELECT d.order_id, d.order_line_id, d.shipment_line_id, d.quantity, l.line_no AS order_line_no, l.product_id, l.location_id,
               l.unit_price, l.tax_rate_id, l.tax_percent
        FROM ar.invoicing_due(p_date) d JOIN ar.sales_order_lines l ON l.id = d.order_line_id
        WHERE NOT d.held AND d.order_id = ANY (p_orders)
    ),
    numbered AS MATERIALIZED (
        SELECT due.*, nextval(pg_get_serial_sequence('ar.invoice_lines', 'id')) AS line_id,
               row_number() OVER (PARTITION BY due.order_id ORDER BY due.order_line_no, due.shipment_line_id NULLS LAST) AS line_no
        FROM due
    ),
    orders AS MATERIALIZED (
        SELECT o.id, o.customer_id, o.currency, o.price_list_id, o.location_id, o.number, o.reference,
               nextval(pg_get_serial_sequence('ar.invoices', 'id')) AS new_invoice_id
        FROM ar.sales_orders o WHERE o.id IN (SELECT due.order_id FROM due) ORDER BY o.id
    ),
    made_invoices AS (
        INSERT INTO ar.invoices (id, customer_id, invoice_date, currency, price_list_id, location_id, reference)
        OVERRIDING SYSTEM VALUE
        SELECT o.new_invoice_id, o.customer_id, p_date, o.currency, o.price_list_id, o.location_id,
               format('order %s', o.number) || coalesce(': ' || nullif(o.reference, ''), '')
        FROM orders o
        RETURNING id
    ),
    made_lines AS (
        INSERT INTO ar.invoice_lines (id, invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                      net_amount, tax_amount, order_line_id, shipment_line_id)
        OVERRIDING SYSTEM VALUE
        SELECT n.line_id, o.new_invoice_id, n.line_no, n.product_id, n.location_id, n.quantity, n.unit_price, n.tax_rate_id, n.tax_percent,
               round(n.quantity * n.unit_price, 2), round(round(n.quantity * n.unit_price, 2) * n.tax_percent / 100, 2),
               n.order_line_id, n.shipment_line_id
        FROM numbered n JOIN orders o ON o.id = n.order_id
        RETURNING id
    ),
    made_serials AS (
        INSERT INTO ar.invoice_line_serials (line_id, serial, quantity, added_at_sale)
        SELECT n.line_id, ss.serial, ss.quantity, false
        FROM numbered n JOIN ar.shipment_line_serials ss ON ss.line_id = n.shipment_line_id
        RETURNING 1
    )
    -- Every part of the statement runs whole, read or not.
    SELECT array_agg(m.id) INTO v_invoices FROM made_invoices m;
    RETURN v_invoices;
END
$$;
COMMENT ON FUNCTION ar.generate_invoices_make_drafts(date, bigint[]) IS
    'Step of api.generate_invoices: makes one draft per locked order with lines due (not held), its lines and their shipped serials; '
    'returns the drafts'' ids (NULL for none).';

-- The customer items the drafts' lines will create, as ar.refresh_pending_items makes them line
-- by line (orders hold no buildups): one per unit, carrying the line's serials in order, or one
-- per batch serial with its quantity.
CREATE OR REPLACE FUNCTION ar.generate_invoices_add_pending_items(p_invoices bigint[], p_date date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, serial, warranty_start)
    SELECT l.invoice_id, l.id, l.product_id, p.customer_item_type_id, n, s.serial, p_date
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id AND p.customer_item_type_id IS NOT NULL AND p.serial_tracking <> 'batch'
    CROSS JOIN LATERAL generate_series(1, ceil(l.quantity)::integer) n
    LEFT JOIN LATERAL (
        SELECT x.serial FROM (SELECT ls.serial, row_number() OVER (ORDER BY ls.id) AS k FROM ar.invoice_line_serials ls WHERE ls.line_id = l.id) x
        WHERE x.k = n
    ) s ON p.serial_tracking = 'unique'
    WHERE l.invoice_id = ANY (p_invoices)
    ORDER BY l.id, n;
    INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, serial, quantity, warranty_start, kind)
    SELECT l.invoice_id, l.id, l.product_id, p.customer_item_type_id, row_number() OVER (PARTITION BY l.id ORDER BY ls.id), ls.serial, ls.quantity,
           p_date, 'batch'
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id AND p.customer_item_type_id IS NOT NULL AND p.serial_tracking = 'batch'
    JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
    WHERE l.invoice_id = ANY (p_invoices);
END
$$;
COMMENT ON FUNCTION ar.generate_invoices_add_pending_items(bigint[], date) IS
    'Step of api.generate_invoices: the pending customer items of the drafts'' lines, per unit (with its serial) or per batch serial.';

-- Each draft's totals: the sums of its lines.
CREATE OR REPLACE FUNCTION ar.generate_invoices_set_totals(p_invoices bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ar.invoices i SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax
    FROM (SELECT l.invoice_id, sum(l.net_amount) AS net, sum(l.tax_amount) AS tax
          FROM ar.invoice_lines l WHERE l.invoice_id = ANY (p_invoices) GROUP BY l.invoice_id) t
    WHERE i.id = t.invoice_id;
END
$$;
COMMENT ON FUNCTION ar.generate_invoices_set_totals(bigint[]) IS 'Step of api.generate_invoices: sets each draft''s totals from its lines.';

-- What the run made, as api.generate_invoices returns it: per draft, its customer, order, lines and total.
CREATE OR REPLACE FUNCTION ar.generate_invoices_made(p_invoices bigint[])
RETURNS TABLE (invoice_id bigint, customer text, order_number bigint, lines integer, total numeric)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY
    SELECT i.id, c.code, o.number, (SELECT count(*)::integer FROM ar.invoice_lines l WHERE l.invoice_id = i.id), i.total
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    JOIN LATERAL (SELECT so.number FROM ar.invoice_lines l JOIN ar.sales_order_lines ol ON ol.id = l.order_line_id
                  JOIN ar.sales_orders so ON so.id = ol.order_id WHERE l.invoice_id = i.id LIMIT 1) o ON true
    WHERE i.id = ANY (p_invoices) ORDER BY i.id;
END
$$;
COMMENT ON FUNCTION ar.generate_invoices_made(bigint[]) IS
    'Step of api.generate_invoices: the drafts made, with customer, order number, line count and total, in id order.';

-- Makes the drafts: one per order with something due, dated p_date, its lines priced as the
-- order's, shipped lines with their shipment's serials and no stock to move again. Runs one at a
-- time; the orders concerned are locked, so shipments of them wait. Returns the drafts made.
CREATE OR REPLACE FUNCTION api.generate_invoices(p_date date DEFAULT current_date)
RETURNS TABLE (invoice_id bigint, customer text, order_number bigint, lines integer, total numeric)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_date date := coalesce(p_date, current_date);
    v_orders bigint[];
    v_invoices bigint[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('postgate.generate_invoices'));  -- one run at a time
    v_orders := ar.generate_invoices_lock_orders(v_date);
    IF v_orders IS NULL THEN
        RETURN;
    END IF;
    v_invoices := ar.generate_invoices_make_drafts(v_date, v_orders);
    IF v_invoices IS NULL THEN
        RETURN;
    END IF;
    PERFORM ar.generate_invoices_add_pending_items(v_invoices, v_date);
    PERFORM ar.generate_invoices_set_totals(v_invoices);
    RETURN QUERY SELECT * FROM ar.generate_invoices_made(v_invoices);
END
$$;
COMMENT ON FUNCTION api.generate_invoices(date) IS
    'Generate Invoices: makes the draft invoices due on a date under each customer''s invoice terms (api.preview_invoice_generation shows '
    'them first); running it again makes nothing twice.';

-- Schedules are reference data, kept through the service; drafts are any client's to make.
REVOKE EXECUTE ON FUNCTION api.set_schedule_dates(text, date[]), api.schedule_dates(text) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.preview_invoice_generation(date), api.generate_invoices(date) TO postgate_client;

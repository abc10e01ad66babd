-- Draft invoices: creating, reading, listing and deleting them, and what every change to a
-- draft goes through. Any client may write drafts.
SET LOCAL ROLE postgate_owner;

-- Why a tax rate may not be used for a customer, or NULL when it may.
CREATE OR REPLACE FUNCTION ar.tax_problem(p_customer_id bigint, p_tax_rate_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN c.tax_exempt AND NOT t.exempt THEN format('customer %s is tax exempt and %s is not an exempt rate', c.code, t.code)
        WHEN c.tax_category_id IS NOT NULL AND NOT EXISTS (
            SELECT FROM ar.tax_category_rates r WHERE r.category_id = c.tax_category_id AND r.tax_rate_id = t.id)
        THEN format('%s is not one of the rates of tax category %s', t.code, (SELECT code FROM ar.tax_categories WHERE id = c.tax_category_id))
    END
    FROM ar.customers c, ar.tax_rates t WHERE c.id = p_customer_id AND t.id = p_tax_rate_id
$$;

CREATE OR REPLACE FUNCTION ar.no_such_invoice(p_invoice bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT ar.fail('PG404', 'invoice', format('there is no invoice %s', p_invoice), 'Name an existing invoice by its id.')
$$;
COMMENT ON FUNCTION ar.no_such_invoice(bigint) IS 'The PG404 refusal of an invoice id that names no invoice.';

CREATE OR REPLACE FUNCTION ar.draft_for_update(p_invoice bigint) RETURNS ar.invoices
LANGUAGE plpgsql AS $$
DECLARE
    v ar.invoices;
BEGIN
    SELECT * INTO v FROM ar.invoices WHERE id = p_invoice FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_invoice(p_invoice);
    END IF;
    IF v.status = 'posted' THEN
        PERFORM ar.fail('PG423', 'invoice', format('invoice %s is posted as number %s: it can no longer change', p_invoice, v.number),
                        'Correct it with another document (a credit note or an adjustment).');
    END IF;
    RETURN v;
END
$$;

-- Recomputes a draft's totals and raises its version: every change to a draft goes through here.
CREATE OR REPLACE FUNCTION ar.touch_invoice(p_invoice bigint) RETURNS integer
LANGUAGE sql AS $$
    UPDATE ar.invoices i SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax, version = i.version + 1
    FROM (SELECT coalesce(sum(net_amount), 0) AS net, coalesce(sum(tax_amount), 0) AS tax FROM ar.invoice_lines WHERE invoice_id = p_invoice) t
    WHERE i.id = p_invoice
    RETURNING i.version
$$;

CREATE OR REPLACE FUNCTION ar.customer_alerts_json(p_customer_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('alert', a.alert, 'severity', a.severity, 'message', a.message)), '[]')
    FROM api.customer_alerts((SELECT code FROM ar.customers WHERE id = p_customer_id), 'sales_invoice') a
$$;

CREATE OR REPLACE FUNCTION api.create_invoice(p_invoice jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
    v_list ar.price_lists;
    v_date date;
    v_location bigint;
    v_id bigint;
BEGIN
    PERFORM ar.check_fields(p_invoice, ARRAY['customer', 'date', 'reference', 'location'], 'an invoice');
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p_invoice, 'customer'), 'customer')));
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_invoice ->> 'customer');
    END IF;
    IF NOT c.active THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is inactive', c.code), 'Activate the customer first, or invoice another.');
    END IF;
    v_date := coalesce(ar.date_value(ar.json_value(p_invoice, 'date', 'string'), 'date'), current_date);
    IF p_invoice ? 'location' THEN
        v_location := ar.location_id(ar.text_field(p_invoice, 'location'), 'location');
    END IF;
    SELECT * INTO v_list FROM ar.price_lists WHERE id = c.price_list_id;
    INSERT INTO ar.invoices (customer_id, invoice_date, currency, price_list_id, location_id, reference)
    VALUES (c.id, v_date, v_list.currency, v_list.id, v_location, coalesce(ar.text_field(p_invoice, 'reference'), ''))
    RETURNING id INTO v_id;
    RETURN jsonb_build_object('invoice_id', v_id, 'alerts', ar.customer_alerts_json(c.id));
END
$$;
COMMENT ON FUNCTION api.create_invoice(jsonb) IS
    'Creates a draft invoice {"customer", "date", "reference", "location"}; returns {"invoice_id", "alerts"} with the customer''s alerts.';

CREATE OR REPLACE FUNCTION api.delete_invoice(p_invoice bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.draft_for_update(p_invoice);
    DELETE FROM ar.pending_customer_items WHERE invoice_id = p_invoice;
    DELETE FROM ar.invoice_line_serials WHERE line_id IN (SELECT id FROM ar.invoice_lines WHERE invoice_id = p_invoice);
    DELETE FROM ar.invoice_lines WHERE invoice_id = p_invoice;
    DELETE FROM ar.invoices WHERE id = p_invoice;
END
$$;
COMMENT ON FUNCTION api.delete_invoice(bigint) IS 'Deletes a draft invoice. Posted invoices are never deleted.';

CREATE OR REPLACE FUNCTION api.get_invoice(p_invoice bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'id', i.id, 'number', i.number, 'status', i.status, 'customer', c.code, 'customer_name', c.name, 'date', i.invoice_date,
        'due_date', i.due_date, 'currency', i.currency, 'reference', i.reference, 'location', loc.code,
        'net_total', i.net_total, 'tax_total', i.tax_total, 'total', i.total, 'version', i.version,
        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'line', l.line_no, 'product', p.code, 'product_name', p.name, 'quantity', l.quantity, 'unit_price', l.unit_price,
            'tax_rate', t.code, 'tax_percent', l.tax_percent, 'net_amount', l.net_amount, 'tax_amount', l.tax_amount,
            'location', ll.code, 'credited', coalesce(cr.quantity, 0), 'returned', coalesce(cr.returned, 0),
            'credited_net', coalesce(cr.net, 0),
            'serials', coalesce((SELECT jsonb_agg(jsonb_build_object('serial', s.serial, 'quantity', s.quantity,
                                                                      'added_at_sale', s.added_at_sale,
                                                                      'product', CASE WHEN s.component_id IS NOT NULL THEN sp.code END,
                                                                      'tracking', sp.serial_tracking,
                                                                      'returned', coalesce(ss.returned, 0)) ORDER BY s.id)
                                 FROM ar.invoice_line_serials s JOIN ar.products sp ON sp.id = coalesce(s.component_id, l.product_id)
                                 LEFT JOIN ar.sold_serials(i.id) ss
                                     ON ss.invoice_line_id = l.id AND ss.product_id = sp.id AND ss.serial = s.serial AND i.status = 'posted'
                                 WHERE s.line_id = l.id), '[]')) ORDER BY l.line_no)
            FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id JOIN ar.tax_rates t ON t.id = l.tax_rate_id
            LEFT JOIN ar.locations ll ON ll.id = l.location_id
            LEFT JOIN ar.credited_lines(i.id) cr ON cr.invoice_line_id = l.id
            WHERE l.invoice_id = i.id), '[]'),
        'credit_notes', coalesce((SELECT jsonb_agg(jsonb_build_object('id', n.id, 'number', n.number, 'status', n.status, 'date', n.credit_date,
                                                                     'total', n.total) ORDER BY n.id)
                                  FROM ar.credit_notes n WHERE n.invoice_id = i.id), '[]'),
        'pending_items', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'id', pi.id, 'line', l.line_no, 'product', p.code, 'unit', pi.unit_no, 'serial', pi.serial, 'quantity', pi.quantity,
            'warranty_start', pi.warranty_start, 'notes', pi.notes, 'reviewed_by', pi.reviewed_by, 'reviewed_at', pi.reviewed_at) ORDER BY pi.id)
            FROM ar.items_to_create(ARRAY[i.id]) pi JOIN ar.invoice_lines l ON l.id = pi.line_id JOIN ar.products p ON p.id = pi.product_id
            WHERE i.status = 'draft'), '[]'),
        'alerts', CASE WHEN i.status = 'draft' THEN ar.customer_alerts_json(c.id) ELSE '[]'::jsonb END)
    INTO v_result
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id LEFT JOIN ar.locations loc ON loc.id = i.location_id
    WHERE i.id = p_invoice;
    IF v_result IS NULL THEN
        PERFORM ar.no_such_invoice(p_invoice);
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION api.get_invoice(bigint) IS
    'An invoice with its lines, serials, pending customer items and (for drafts) the customer''s alerts, as JSON.';

-- Made afresh, so that its columns may change.
DROP FUNCTION IF EXISTS api.list_unposted(text, date, date, numeric, numeric, integer);
CREATE FUNCTION api.list_unposted(p_customer text DEFAULT NULL, p_from date DEFAULT NULL, p_to date DEFAULT NULL,
                                  p_min numeric DEFAULT NULL, p_max numeric DEFAULT NULL, p_limit integer DEFAULT 1000000)
RETURNS TABLE (invoice_id bigint, customer text, invoice_date date, reference text, currency text, total numeric, lines integer,
               version integer, serial_lines integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT i.id, c.code, i.invoice_date, i.reference, i.currency, i.total, n.lines, i.version, n.serial_lines
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    CROSS JOIN LATERAL (SELECT count(*)::integer AS lines,
                               count(*) FILTER (WHERE p.serial_tracking <> 'none' OR EXISTS (
                                   SELECT FROM ar.buildup_components b JOIN ar.products cp ON cp.id = b.component_id
                                   WHERE b.buildup_id = p.id AND cp.serial_tracking <> 'none'))::integer AS serial_lines
                        FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id WHERE l.invoice_id = i.id) n
    WHERE i.status = 'draft'
      AND (p_customer IS NULL OR lower(c.code) = lower(p_customer))
      AND (p_from IS NULL OR i.invoice_date >= p_from) AND (p_to IS NULL OR i.invoice_date <= p_to)
      AND (p_min IS NULL OR i.total >= p_min) AND (p_max IS NULL OR i.total <= p_max)
    ORDER BY i.id
    LIMIT greatest(coalesce(p_limit, 1000000), 1)
$$;
COMMENT ON FUNCTION api.list_unposted(text, date, date, numeric, numeric, integer) IS
    'Draft invoices by customer, date range and total range, oldest first; serial_lines: the lines whose product (or a kit''s component) '
    'tracks serials.';

-- The ids alone of the drafts api.list_unposted lists, after an id, a page at a time: what a
-- mass posting's selection is read as, whatever its size.
CREATE OR REPLACE FUNCTION api.unposted_ids(p_customer text, p_from date, p_to date, p_min numeric, p_max numeric, p_after bigint,
                                            p_limit integer)
RETURNS TABLE (invoice_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT i.id FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    WHERE i.status = 'draft' AND i.id > coalesce(p_after, 0)
      AND (p_customer IS NULL OR lower(c.code) = lower(p_customer))
      AND (p_from IS NULL OR i.invoice_date >= p_from) AND (p_to IS NULL OR i.invoice_date <= p_to)
      AND (p_min IS NULL OR i.total >= p_min) AND (p_max IS NULL OR i.total <= p_max)
    ORDER BY i.id
    LIMIT least(greatest(coalesce(p_limit, 10000), 1), 100000)
$$;
COMMENT ON FUNCTION api.unposted_ids(text, date, date, numeric, numeric, bigint, integer) IS
    'The ids of the drafts api.list_unposted lists, after p_after, at most p_limit (up to 100,000) of them: a selection read in pages.';

GRANT EXECUTE ON FUNCTION
    api.create_invoice(jsonb), api.delete_invoice(bigint), api.get_invoice(bigint),
    api.list_unposted(text, date, date, numeric, numeric, integer), api.unposted_ids(text, date, date, numeric, numeric, bigint, integer)
TO postgate_client;

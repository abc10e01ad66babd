-- Sales orders: a draft with priced lines, booked through the service (which applies the credit
-- check of the posting policy's kind), then closed or cancelled. What is booked and not yet
-- shipped or invoiced is the order's open quantity.
SET LOCAL ROLE postgate_owner;

-- A whole number a JSON object must hold: refused naming the field when missing or not whole.
CREATE OR REPLACE FUNCTION ar.integer_field(p jsonb, p_key text, p_field text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v numeric := ar.decimal_field(p, p_key, p_field, 0, 1e15);
BEGIN
    IF v IS NULL THEN
        PERFORM ar.fail('PG400', p_field, format('%s is required', p_field), NULL);
    END IF;
    RETURN v::bigint;
END
$$;

-- How messages name an order: by its id, and by its number once it has one.
CREATE OR REPLACE FUNCTION ar.order_name(o ar.sales_orders) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('sales order %s', o.id) || CASE WHEN o.number IS NOT NULL THEN format(' (number %s)', o.number) ELSE '' END
$$;

CREATE OR REPLACE FUNCTION ar.no_such_order(p_order bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT ar.fail('PG404', 'order', format('there is no sales order %s', p_order), 'Name an existing order by its id.')
$$;

-- The order, locked for a change; refused when it is not a draft (unless p_any).
CREATE OR REPLACE FUNCTION ar.order_for_update(p_order bigint, p_draft boolean DEFAULT true) RETURNS ar.sales_orders
LANGUAGE plpgsql AS $$
DECLARE
    o ar.sales_orders;
BEGIN
    SELECT * INTO o FROM ar.sales_orders WHERE id = p_order FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_order(p_order);
    END IF;
    IF p_draft AND o.status <> 'draft' THEN
        PERFORM ar.fail('PG423', 'order', format('%s is %s: only a draft order is changed, deleted or booked', ar.order_name(o), o.status),
                        CASE o.status WHEN 'booked' THEN 'Close or cancel it, and enter a new order for the changes.' END);
    END IF;
    RETURN o;
END
$$;

-- Recomputes an order's totals and raises its version.
CREATE OR REPLACE FUNCTION ar.touch_order(p_order bigint) RETURNS integer
LANGUAGE sql AS $$
    UPDATE ar.sales_orders o SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax, version = o.version + 1
    FROM (SELECT coalesce(sum(net_amount), 0) AS net, coalesce(sum(tax_amount), 0) AS tax FROM ar.sales_order_lines WHERE order_id = p_order) t
    WHERE o.id = p_order
    RETURNING o.version
$$;

CREATE OR REPLACE FUNCTION api.create_order(p_order jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
    v_list ar.price_lists;
    v_id bigint;
BEGIN
    PERFORM ar.check_fields(p_order, ARRAY['customer', 'date', 'reference', 'location'], 'a sales order');
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p_order, 'customer'), 'customer')));
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_order ->> 'customer');
    END IF;
    IF NOT c.active THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is inactive', c.code), 'Activate the customer first, or take the order for another.');
    END IF;
    SELECT * INTO v_list FROM ar.price_lists WHERE id = c.price_list_id;
    INSERT INTO ar.sales_orders (customer_id, order_date, currency, price_list_id, location_id, reference)
    VALUES (c.id, coalesce(ar.date_value(ar.json_value(p_order, 'date', 'string'), 'date'), current_date), v_list.currency, v_list.id,
            ar.location_id(ar.text_field(p_order, 'location'), 'location'), coalesce(ar.text_field(p_order, 'reference'), ''))
    RETURNING id INTO v_id;
    RETURN jsonb_build_object('order_id', v_id, 'alerts', (
        SELECT coalesce(jsonb_agg(jsonb_build_object('alert', a.alert, 'severity', a.severity, 'message', a.message)), '[]')
        FROM api.customer_alerts(c.code, 'sales_order') a));
END
$$;
COMMENT ON FUNCTION api.create_order(jsonb) IS
    'Creates a draft sales order {"customer", "date", "reference", "location" (where it ships from)}; returns {"order_id", "alerts"}.';

CREATE OR REPLACE FUNCTION api.add_order_line(p_order bigint, p_line jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    o ar.sales_orders := ar.order_for_update(p_order);
    v_line_no integer := coalesce((SELECT max(line_no) FROM ar.sales_order_lines WHERE order_id = p_order), 0) + 1;
    v_field text := format('lines[%s]', v_line_no);
    v_pricing ar.invoices;
    v_product ar.products;
    l ar.sales_order_lines;
    v_problem text;
BEGIN
    PERFORM ar.check_fields(p_line, ARRAY['product', 'quantity', 'unit_price', 'tax_rate', 'location'], 'an order line', v_field);
    v_product := ar.line_product(p_line, v_field);
    IF v_product.is_buildup THEN
        PERFORM ar.fail('PG422', v_field || '.product', format('%s is a buildup: orders take the products that ship, not buildups', v_product.code),
                        'Order its components, or invoice the buildup directly.');
    END IF;
    -- Prices and taxes as an invoice of the order's customer on the order's date would have them.
    v_pricing.price_list_id := o.price_list_id;
    v_pricing.invoice_date := o.order_date;
    l.order_id := o.id;
    l.line_no := v_line_no;
    l.product_id := v_product.id;
    l.quantity := ar.line_quantity(p_line, v_product, v_field);
    l.unit_price := ar.line_unit_price(v_pricing, p_line, v_product, v_field);
    l.tax_rate_id := ar.line_tax_rate(p_line, v_product, v_field);
    v_problem := ar.tax_problem(o.customer_id, l.tax_rate_id);
    IF v_problem IS NOT NULL THEN
        PERFORM ar.fail('PG422', v_field || '.tax_rate', v_problem, 'Choose a tax rate the customer may use.');
    END IF;
    l.location_id := CASE WHEN p_line ? 'location' THEN ar.location_id(ar.text_field(p_line, 'location'), v_field || '.location') ELSE o.location_id END;
    SELECT rate INTO l.tax_percent FROM ar.tax_rates WHERE id = l.tax_rate_id;
    l.net_amount := round(l.quantity * l.unit_price, 2);
    l.tax_amount := round(l.net_amount * l.tax_percent / 100, 2);
    INSERT INTO ar.sales_order_lines (order_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent, net_amount, tax_amount)
    VALUES (l.order_id, l.line_no, l.product_id, l.location_id, l.quantity, l.unit_price, l.tax_rate_id, l.tax_percent, l.net_amount, l.tax_amount);
    PERFORM ar.touch_order(p_order);
    RETURN v_line_no;
END
$$;
COMMENT ON FUNCTION api.add_order_line(bigint, jsonb) IS
    'Adds a line {"product", "quantity", "unit_price" (default: the price list''s on the order date), "tax_rate", "location"} to a draft order.';

CREATE OR REPLACE FUNCTION api.remove_order_line(p_order bigint, p_line_no integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.order_for_update(p_order);
    DELETE FROM ar.sales_order_lines WHERE order_id = p_order AND line_no = p_line_no;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'line', format('sales order %s has no line %s', p_order, p_line_no),
                        coalesce('Name one of its lines: ' || (SELECT string_agg(line_no::text, ', ' ORDER BY line_no)
                                                               FROM ar.sales_order_lines WHERE order_id = p_order) || '.',
                                 'It has no lines.'));
    END IF;
    RETURN ar.touch_order(p_order);
END
$$;

CREATE OR REPLACE FUNCTION api.delete_order(p_order bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.order_for_update(p_order);
    DELETE FROM ar.sales_order_lines WHERE order_id = p_order;
    DELETE FROM ar.sales_orders WHERE id = p_order;
END
$$;
COMMENT ON FUNCTION api.delete_order(bigint) IS 'Deletes a draft sales order. A booked order is closed or cancelled, never deleted.';

-- What the booking check reads, with the customer and the order locked (customer first, as
-- postings lock). Service only: booking goes through the service's credit check.
CREATE OR REPLACE FUNCTION api.order_booking_facts(p_order bigint)
RETURNS TABLE (order_id bigint, status text, version integer, customer text, customer_currency text, on_hold_orders boolean,
               credit_limit numeric, exposure numeric, order_total numeric, line_count integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    o ar.sales_orders;
BEGIN
    SELECT * INTO o FROM ar.sales_orders WHERE id = p_order;
    IF NOT FOUND THEN
        PERFORM ar.no_such_order(p_order);
    END IF;
    PERFORM 1 FROM ar.customers WHERE id = o.customer_id FOR UPDATE;
    PERFORM 1 FROM ar.sales_orders WHERE id = p_order FOR UPDATE;
    RETURN QUERY
    SELECT so.id, so.status, so.version, c.code, c.currency, c.on_hold AND c.hold_sales_order, c.credit_limit,
           coalesce(ar.credit_exposure(c.id), 0),
           CASE WHEN so.currency = c.currency THEN so.total ELSE round(so.total * ar.conversion_rate(so.currency, c.currency, current_date), 2) END,
           (SELECT count(*)::integer FROM ar.sales_order_lines l WHERE l.order_id = so.id)
    FROM ar.sales_orders so JOIN ar.customers c ON c.id = so.customer_id WHERE so.id = p_order;
END
$$;
REVOKE EXECUTE ON FUNCTION api.order_booking_facts(bigint) FROM postgate_client;

-- Books a draft order the service's check allowed: numbered from the order series, its findings
-- kept. Refuses what no setting may allow: not a draft, no lines, the customer on hold for orders.
CREATE OR REPLACE FUNCTION api.book_order(p_order bigint, p_findings jsonb, p_actor text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    o ar.sales_orders := ar.order_for_update(p_order);
    c ar.customers;
    v_number bigint;
BEGIN
    SELECT * INTO c FROM ar.customers WHERE id = o.customer_id;
    IF nullif(btrim(p_actor), '') IS NULL THEN
        PERFORM ar.fail('PG400', 'actor', 'the booking names no actor', 'Say who books the order.');
    END IF;
    IF NOT EXISTS (SELECT FROM ar.sales_order_lines WHERE order_id = p_order) THEN
        PERFORM ar.fail('PG422', 'order', format('%s has no lines', ar.order_name(o)), 'Add a line first.');
    END IF;
    IF NOT c.active THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is inactive', c.code), 'Activate the customer first, or delete the order.');
    END IF;
    IF c.on_hold AND c.hold_sales_order THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is on hold for sales orders', c.code),
                        'Release the customer''s hold, then book the order.');
    END IF;
    UPDATE ar.invoice_numbers SET next = next + 1 WHERE series = 'order' RETURNING next - 1 INTO v_number;
    UPDATE ar.sales_orders SET status = 'booked', number = v_number, booked_at = now(), booked_by = p_actor,
        findings = coalesce(p_findings, '[]'), version = version + 1
    WHERE id = p_order;
    RETURN v_number;
END
$$;
COMMENT ON FUNCTION api.book_order(bigint, jsonb, text) IS
    'Books a draft order the service''s credit check allowed; returns its number. Service only.';
REVOKE EXECUTE ON FUNCTION api.book_order(bigint, jsonb, text) FROM postgate_client;

-- Ends a booked order: what is still open is released (no longer shipped, invoiced or counted as
-- exposure). Closing is the normal end; cancelling is for an order nothing was done with.
CREATE OR REPLACE FUNCTION api.end_order(p_order bigint, p_how text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    o ar.sales_orders := ar.order_for_update(p_order, false);
BEGIN
    IF p_how IS NULL OR p_how NOT IN ('close', 'cancel') THEN
        PERFORM ar.fail('PG400', 'how', format('%L is neither close nor cancel', p_how), NULL);
    END IF;
    IF o.status <> 'booked' THEN
        PERFORM ar.fail(CASE WHEN o.status = 'draft' THEN 'PG422' ELSE 'PG423' END, 'order',
                        format('%s is %s, not booked', ar.order_name(o), o.status),
                        CASE WHEN o.status = 'draft' THEN 'A draft is deleted, not closed or cancelled.' END);
    END IF;
    IF p_how = 'cancel' AND EXISTS (
        SELECT FROM ar.order_line_quantities q WHERE q.order_id = p_order AND (q.shipped > 0 OR q.invoiced_direct > 0)) THEN
        PERFORM ar.fail('PG422', 'order', format('%s has shipped or invoiced lines, so it cannot be cancelled', ar.order_name(o)),
                        'Close it instead: what is open is released, what was shipped is still invoiced.');
    END IF;
    DELETE FROM ar.shipment_lines WHERE shipment_id IN (SELECT id FROM ar.shipments WHERE order_id = p_order AND status = 'draft');
    DELETE FROM ar.shipments WHERE order_id = p_order AND status = 'draft';
    UPDATE ar.sales_orders SET status = CASE p_how WHEN 'close' THEN 'closed' ELSE 'cancelled' END, closed_at = now(), version = version + 1
    WHERE id = p_order;
END
$$;
COMMENT ON FUNCTION api.end_order(bigint, text) IS
    'Closes (how = close) or cancels (how = cancel: nothing shipped or invoiced) a booked order, releasing what is open and its draft shipments.';

CREATE OR REPLACE FUNCTION api.get_order(p_order bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'id', o.id, 'number', o.number, 'status', o.status, 'customer', c.code, 'customer_name', c.name, 'invoice_terms', c.invoice_terms,
        'date', o.order_date, 'currency', o.currency, 'location', loc.code, 'reference', o.reference,
        'net_total', o.net_total, 'tax_total', o.tax_total, 'total', o.total, 'version', o.version, 'findings', o.findings,
        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'line', l.line_no, 'product', p.code, 'product_name', p.name, 'location', ll.code, 'quantity', l.quantity,
            'unit_price', l.unit_price, 'tax_rate', t.code, 'tax_percent', l.tax_percent, 'net_amount', l.net_amount, 'tax_amount', l.tax_amount,
            'shipped', q.shipped, 'on_draft_shipments', q.on_draft_shipments, 'invoiced', q.invoiced_direct + q.invoiced_from_shipments,
            'open', q.open) ORDER BY l.line_no)
            FROM ar.sales_order_lines l JOIN ar.products p ON p.id = l.product_id JOIN ar.tax_rates t ON t.id = l.tax_rate_id
            JOIN ar.locations ll ON ll.id = l.location_id JOIN ar.order_line_quantities q ON q.order_line_id = l.id
            WHERE l.order_id = o.id), '[]'),
        'alerts', CASE WHEN o.status IN ('draft', 'booked') THEN (
            SELECT coalesce(jsonb_agg(jsonb_build_object('alert', a.alert, 'severity', a.severity, 'message', a.message)), '[]')
            FROM api.customer_alerts(c.code, 'sales_order') a) ELSE '[]'::jsonb END)
    INTO v_result
    FROM ar.sales_orders o JOIN ar.customers c ON c.id = o.customer_id JOIN ar.locations loc ON loc.id = o.location_id
    WHERE o.id = p_order;
    IF v_result IS NULL THEN
        PERFORM ar.no_such_order(p_order);
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION api.get_order(bigint) IS 'A sales order with its lines (booked, shipped, invoiced and open quantities) and its customer''s alerts.';

CREATE OR REPLACE FUNCTION api.list_orders(p_customer text DEFAULT NULL, p_status text DEFAULT NULL, p_limit integer DEFAULT 1000)
RETURNS TABLE (order_id bigint, number bigint, status text, customer text, order_date date, reference text, currency text, total numeric,
               open_lines integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_status IS NOT NULL AND p_status NOT IN ('draft', 'booked', 'closed', 'cancelled') THEN
        PERFORM ar.fail('PG400', 'status', format('%L is not an order status', p_status), 'Use draft, booked, closed or cancelled.');
    END IF;
    RETURN QUERY
    SELECT o.id, o.number, o.status, c.code, o.order_date, o.reference, o.currency, o.total,
           (SELECT count(*)::integer FROM ar.order_line_quantities q WHERE q.order_id = o.id AND q.open > 0)
    FROM ar.sales_orders o JOIN ar.customers c ON c.id = o.customer_id
    WHERE (p_customer IS NULL OR lower(c.code) = lower(p_customer)) AND (p_status IS NULL OR o.status = p_status)
    ORDER BY o.id
    LIMIT greatest(coalesce(p_limit, 1000), 1);
END
$$;
COMMENT ON FUNCTION api.list_orders(text, text, integer) IS 'Sales orders by customer and status, oldest first.';

GRANT EXECUTE ON FUNCTION
    api.create_order(jsonb), api.add_order_line(bigint, jsonb), api.remove_order_line(bigint, integer), api.delete_order(bigint),
    api.end_order(bigint, text), api.get_order(bigint), api.list_orders(text, text, integer)
TO postgate_client;

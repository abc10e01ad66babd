-- Goods shipments of booked orders: lines take open quantities of the order's lines, with the
-- serials picked from stock at the line's location (given, or the first in stock); completing a
-- shipment moves the stock out on a sale document to the customer, once.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION ar.no_such_shipment(p_shipment bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT ar.fail('PG404', 'shipment', format('there is no shipment %s', p_shipment), 'Name an existing shipment by its id.')
$$;

-- Writing one shipment line, step by step (ar.write_shipment_line runs them in order). Each step
-- refuses with the field of the line it concerns (p_field, "lines[n]").

-- The order line a shipment line names, after checking the line's fields: a PG404 naming the
-- order's lines when it has no such line.
CREATE OR REPLACE FUNCTION ar.shipment_line_order_line(p_shipment ar.shipments, p jsonb, p_field text)
RETURNS ar.sales_order_lines LANGUAGE plpgsql AS $$
DECLARE
    l ar.sales_order_lines;
BEGIN
    PERFORM ar.check_fields(p, ARRAY['line', 'quantity', 'serials'], 'a shipment line', p_field);
    SELECT * INTO l FROM ar.sales_order_lines
    WHERE order_id = p_shipment.order_id AND line_no = ar.integer_field(p, 'line', p_field || '.line');
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', p_field || '.line', format('sales order %s has no line %s', p_shipment.order_id, p ->> 'line'),
                        coalesce('Name one of its lines: ' || (SELECT string_agg(line_no::text, ', ' ORDER BY line_no)
                                                               FROM ar.sales_order_lines WHERE order_id = p_shipment.order_id) || '.',
                                 'It has no lines.'));
    END IF;
    RETURN l;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_order_line(ar.shipments, jsonb, text) IS
    'Step of ar.write_shipment_line: checks the shipment line''s fields and returns the order line it names (PG404 when there is none).';

-- The quantity a shipment line takes: the one given, or all that is free (open, less what other
-- draft shipments take); refused when nothing is free or it is more than is free.
CREATE OR REPLACE FUNCTION ar.shipment_line_quantity(l ar.sales_order_lines, p_product ar.products, p jsonb, p_field text)
RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    q ar.order_line_quantities;
    v_free numeric;
    v_quantity numeric;
BEGIN
    SELECT * INTO q FROM ar.order_line_quantities WHERE order_line_id = l.id;
    v_free := q.open - q.on_draft_shipments;
    v_quantity := CASE WHEN p ? 'quantity' THEN ar.line_quantity(p, p_product, p_field) ELSE v_free END;
    IF NOT p ? 'quantity' AND v_free <= 0 THEN
        PERFORM ar.fail('PG422', p_field || '.line', format('nothing of line %s of the order is left to ship (%s booked, %s shipped, %s invoiced, %s on draft shipments)',
                        l.line_no, trim_scale(q.quantity), trim_scale(q.shipped), trim_scale(q.invoiced_direct), trim_scale(q.on_draft_shipments)),
                        'Leave the line out of the shipment.');
    END IF;
    IF v_quantity IS NULL OR v_quantity <= 0 OR v_quantity > v_free THEN
        PERFORM ar.fail('PG422', p_field || '.quantity',
                        format('line %s of the order has %s open to ship (%s booked, %s shipped, %s invoiced, %s on other draft shipments): %s is too many',
                               l.line_no, trim_scale(greatest(v_free, 0)), trim_scale(q.quantity), trim_scale(q.shipped), trim_scale(q.invoiced_direct),
                               trim_scale(q.on_draft_shipments), trim_scale(coalesce(v_quantity, 0))),
                        'Ship at most what is open.');
    END IF;
    RETURN v_quantity;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_quantity(ar.sales_order_lines, ar.products, jsonb, text) IS
    'Step of ar.write_shipment_line: the quantity the line ships (given, or all that is free), refused beyond what is open less other '
    'draft shipments.';

-- An order line is named once on a shipment, with its whole quantity.
CREATE OR REPLACE FUNCTION ar.shipment_line_check_once(p_shipment ar.shipments, l ar.sales_order_lines, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM ar.shipment_lines WHERE shipment_id = p_shipment.id AND order_line_id = l.id) THEN
        PERFORM ar.fail('PG400', p_field || '.line', format('line %s of the order appears twice on the shipment', l.line_no),
                        'Name each order line once, with the whole quantity.');
    END IF;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_check_once(ar.shipments, ar.sales_order_lines, text) IS
    'Step of ar.write_shipment_line: refuses an order line the shipment already has (PG400).';

-- A product without serial tracking ships without serials: a line naming any is refused.
CREATE OR REPLACE FUNCTION ar.shipment_line_refuse_serials(p_product ar.products, p jsonb, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_array_length(coalesce(nullif(p -> 'serials', 'null'), '[]')) > 0 THEN
        PERFORM ar.fail('PG400', p_field || '.serials', format('%s is not serial-tracked, so its lines carry no serials', p_product.code), NULL);
    END IF;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_refuse_serials(ar.products, jsonb, text) IS
    'Step of ar.write_shipment_line: refuses serials on a line of a product that tracks none (PG400).';

-- The serials a line names, or when it names none, picked from stock at the order line's
-- location: unique serials in serial order (none another draft shipment takes), a batch that
-- holds the quantity (the soonest to expire). Refused when stock has none.
CREATE OR REPLACE FUNCTION ar.shipment_line_serials(l ar.sales_order_lines, p_product ar.products, p_quantity numeric, p jsonb,
                                                    p_field text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    v_serials jsonb := nullif(p -> 'serials', 'null');
BEGIN
    IF v_serials IS NOT NULL THEN
        RETURN v_serials;
    END IF;
    IF p_product.serial_tracking = 'unique' THEN
        SELECT jsonb_agg(to_jsonb(x.serial)) INTO v_serials FROM (
            SELECT s.serial FROM ar.stock_on_hand h JOIN ar.serials s ON s.id = h.serial_key
            WHERE h.product_id = l.product_id AND h.location_id = l.location_id AND h.quantity > 0
              AND NOT EXISTS (SELECT FROM ar.shipment_line_serials d JOIN ar.shipment_lines dl ON dl.id = d.line_id
                              JOIN ar.shipments ds ON ds.id = dl.shipment_id
                              WHERE ds.status = 'draft' AND dl.order_line_id IN (SELECT id FROM ar.sales_order_lines WHERE product_id = l.product_id)
                                AND d.serial = s.serial)
            ORDER BY s.serial LIMIT trunc(p_quantity)::integer) x;
    ELSE
        SELECT jsonb_build_array(jsonb_build_object('serial', s.serial, 'quantity', p_quantity)) INTO v_serials
        FROM ar.stock_on_hand h JOIN ar.serials s ON s.id = h.serial_key
        WHERE h.product_id = l.product_id AND h.location_id = l.location_id AND h.quantity >= p_quantity
        ORDER BY s.expiry NULLS LAST, s.serial LIMIT 1;
    END IF;
    IF v_serials IS NULL THEN
        PERFORM ar.fail('PG422', p_field || '.serials', format('no serials of %s are in stock at %s to ship %s', p_product.code,
                        (SELECT code FROM ar.locations WHERE id = l.location_id), trim_scale(p_quantity)),
                        'Receive or transfer the stock first, or name the serials.');
    END IF;
    RETURN v_serials;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_serials(ar.sales_order_lines, ar.products, numeric, jsonb, text) IS
    'Step of ar.write_shipment_line: the serials the line names, or those picked from stock at the order line''s location (PG422 when '
    'there are none).';

-- Why a serial cannot ship on a line, or NULL when it can: never received, not in stock at the
-- order line's location (ar.serial_whereabouts), less of it there than the quantity, or (a unique
-- serial) on another line of this shipment or on another draft shipment.
CREATE OR REPLACE FUNCTION ar.shipment_serial_problem(l ar.sales_order_lines, p_product ar.products, p_serial text, p_quantity numeric,
                                                      p_line_id bigint, p_shipment_id bigint)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_problem text;
BEGIN
    v_problem := CASE WHEN NOT EXISTS (SELECT FROM ar.serials s WHERE s.product_id = l.product_id AND s.serial = p_serial)
                      THEN 'it was never received'
                      ELSE ar.serial_whereabouts(l.product_id, p_serial, l.location_id) END;
    IF v_problem IS NULL AND EXISTS (
        SELECT FROM ar.stock_on_hand h JOIN ar.serials s ON s.id = h.serial_key
        WHERE s.product_id = l.product_id AND s.serial = p_serial AND h.location_id = l.location_id AND h.quantity < p_quantity) THEN
        v_problem := 'there is less of it in stock than that';
    END IF;
    IF v_problem IS NULL AND p_product.serial_tracking = 'unique' AND EXISTS (
        SELECT FROM ar.shipment_line_serials d JOIN ar.shipment_lines dl ON dl.id = d.line_id JOIN ar.shipments ds ON ds.id = dl.shipment_id
        JOIN ar.sales_order_lines ol ON ol.id = dl.order_line_id
        WHERE ds.status = 'draft' AND ol.product_id = l.product_id AND d.serial = p_serial AND dl.id <> p_line_id) THEN
        v_problem := CASE WHEN EXISTS (SELECT FROM ar.shipment_line_serials d JOIN ar.shipment_lines dl ON dl.id = d.line_id
                                       WHERE dl.shipment_id = p_shipment_id AND d.serial = p_serial)
                          THEN 'it is already on another line of this shipment' ELSE 'it is on another draft shipment' END;
    END IF;
    RETURN v_problem;
END
$$;
COMMENT ON FUNCTION ar.shipment_serial_problem(ar.sales_order_lines, ar.products, text, numeric, bigint, bigint) IS
    'Step of ar.write_shipment_line: why a serial cannot ship on the line (never received, elsewhere, too little, on another draft '
    'shipment), NULL when it can.';

-- Writes the serials of a shipment line, each checked: a list of "SN" or {"serial", "quantity"},
-- a quantity above zero (one for a unique serial), a serial that can ship from the order line's
-- location (ar.shipment_serial_problem), and each serial once.
CREATE OR REPLACE FUNCTION ar.shipment_line_add_serials(p_line_id bigint, p_shipment_id bigint, l ar.sales_order_lines, p_product ar.products,
                                                        p_serials jsonb, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_serial jsonb;
    v_text text;
    v_qty numeric;
    v_n integer := 0;
    v_problem text;
BEGIN
    IF jsonb_typeof(p_serials) <> 'array' THEN
        PERFORM ar.fail('PG400', p_field || '.serials', 'serials must be a list', 'Give ["SN1", "SN2"] or [{"serial": "R1", "quantity": 5}].');
    END IF;
    FOR v_serial IN SELECT * FROM jsonb_array_elements(p_serials) LOOP
        v_n := v_n + 1;
        IF jsonb_typeof(v_serial) = 'string' THEN v_serial := jsonb_build_object('serial', v_serial); END IF;
        v_text := ar.code_text(ar.text_field(v_serial, 'serial'), format('%s.serials[%s].serial', p_field, v_n));
        v_qty := coalesce(ar.decimal_field(v_serial, 'quantity', format('%s.serials[%s].quantity', p_field, v_n), 4, 1e10), 1);
        IF v_qty <= 0 OR (p_product.serial_tracking = 'unique' AND v_qty <> 1) THEN
            PERFORM ar.fail('PG400', format('%s.serials[%s].quantity', p_field, v_n),
                            CASE WHEN v_qty <= 0 THEN 'a serial''s quantity must be greater than zero' ELSE 'a unique serial is one unit' END, NULL);
        END IF;
        v_problem := ar.shipment_serial_problem(l, p_product, v_text, v_qty, p_line_id, p_shipment_id);
        IF v_problem IS NOT NULL THEN
            PERFORM ar.fail('PG422', format('%s.serials[%s]', p_field, v_n),
                            format('serial %s of %s cannot be shipped from %s: %s', v_text, p_product.code,
                                   (SELECT code FROM ar.locations WHERE id = l.location_id), v_problem),
                            'Ship a serial that is in stock at the order line''s location.');
        END IF;
        BEGIN
            INSERT INTO ar.shipment_line_serials (line_id, serial, quantity) VALUES (p_line_id, v_text, v_qty);
        EXCEPTION WHEN unique_violation THEN
            PERFORM ar.fail('PG400', format('%s.serials[%s]', p_field, v_n), format('serial %s appears twice on the line', v_text), 'Name each serial once.');
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_add_serials(bigint, bigint, ar.sales_order_lines, ar.products, jsonb, text) IS
    'Step of ar.write_shipment_line: checks each serial of the line (form, quantity, whereabouts, named once) and writes it.';

-- A serial-tracked line ships exactly its serials: their quantities add up to the line's.
CREATE OR REPLACE FUNCTION ar.shipment_line_check_serials_cover(p_line_id bigint, p_quantity numeric, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_covered numeric := (SELECT sum(quantity) FROM ar.shipment_line_serials WHERE line_id = p_line_id);
BEGIN
    IF v_covered <> p_quantity THEN
        PERFORM ar.fail('PG422', p_field || '.serials',
                        format('the serials cover %s of the %s shipped: a serial-tracked line ships exactly its serials',
                               trim_scale(v_covered), trim_scale(p_quantity)),
                        'Name as many serials (or batch quantities) as the quantity shipped.');
    END IF;
END
$$;
COMMENT ON FUNCTION ar.shipment_line_check_serials_cover(bigint, numeric, text) IS
    'Step of ar.write_shipment_line: refuses a serial-tracked line whose serials do not add up to its quantity (PG422).';

-- Checks and writes one shipment line: the order line, a quantity within what is open (less what
-- other draft shipments take), and its serials.
CREATE OR REPLACE FUNCTION ar.write_shipment_line(p_shipment ar.shipments, p_line_no integer, p jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_field text := format('lines[%s]', p_line_no);
    l ar.sales_order_lines;
    v_product ar.products;
    v_quantity numeric;
    v_id bigint;
    v_serials jsonb;
BEGIN
    l := ar.shipment_line_order_line(p_shipment, p, v_field);
    SELECT * INTO v_product FROM ar.products WHERE id = l.product_id;
    v_quantity := ar.shipment_line_quantity(l, v_product, p, v_field);
    PERFORM ar.shipment_line_check_once(p_shipment, l, v_field);
    INSERT INTO ar.shipment_lines (shipment_id, line_no, order_line_id, quantity) VALUES (p_shipment.id, p_line_no, l.id, v_quantity)
    RETURNING id INTO v_id;
    IF v_product.serial_tracking = 'none' THEN
        PERFORM ar.shipment_line_refuse_serials(v_product, p, v_field);
        RETURN;
    END IF;
    v_serials := ar.shipment_line_serials(l, v_product, v_quantity, p, v_field);  -- named, or picked from stock
    PERFORM ar.shipment_line_add_serials(v_id, p_shipment.id, l, v_product, v_serials, v_field);
    PERFORM ar.shipment_line_check_serials_cover(v_id, v_quantity, v_field);
END
$$;
COMMENT ON FUNCTION ar.write_shipment_line(ar.shipments, integer, jsonb) IS
    'Checks and writes one line of a draft shipment (api.create_shipment): order line, quantity, serials; each step a function.';

-- A draft shipment of a booked order: {"order", "date", "reference", "lines": [{"line", "quantity", "serials"}]}; without
-- lines, every open line in full. Returns {"shipment_id", "alerts"}.
CREATE OR REPLACE FUNCTION api.create_shipment(p_shipment jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    o ar.sales_orders;
    s ar.shipments;
    v_lines jsonb;
    v_line jsonb;
    v_n integer := 0;
BEGIN
    PERFORM ar.check_fields(p_shipment, ARRAY['order', 'date', 'reference', 'lines'], 'a shipment');
    o := ar.order_for_update(ar.integer_field(p_shipment, 'order', 'order'), false);
    IF o.status <> 'booked' THEN
        PERFORM ar.fail('PG422', 'order', format('%s is %s: only a booked order ships', ar.order_name(o), o.status),
                        CASE WHEN o.status = 'draft' THEN 'Book the order first.' END);
    END IF;
    INSERT INTO ar.shipments (order_id, customer_id, shipment_date, reference)
    VALUES (o.id, o.customer_id, coalesce(ar.date_value(ar.json_value(p_shipment, 'date', 'string'), 'date'), current_date),
            coalesce(ar.text_field(p_shipment, 'reference'), ''))
    RETURNING * INTO s;
    v_lines := nullif(p_shipment -> 'lines', 'null');
    IF v_lines IS NULL THEN
        SELECT jsonb_agg(jsonb_build_object('line', l.line_no) ORDER BY l.line_no) INTO v_lines
        FROM ar.sales_order_lines l JOIN ar.order_line_quantities q ON q.order_line_id = l.id
        WHERE l.order_id = o.id AND q.open - q.on_draft_shipments > 0;
        IF v_lines IS NULL THEN
            PERFORM ar.fail('PG422', 'order', format('%s has nothing open to ship', ar.order_name(o)), NULL);
        END IF;
    ELSIF jsonb_typeof(v_lines) <> 'array' OR jsonb_array_length(v_lines) = 0 THEN
        PERFORM ar.fail('PG400', 'lines', 'lines must be a list of at least one line', 'Give [{"line": 1, "quantity": 2}], or leave lines out to ship everything open.');
    END IF;
    FOR v_line IN SELECT * FROM jsonb_array_elements(v_lines) LOOP
        v_n := v_n + 1;
        IF jsonb_typeof(v_line) <> 'object' THEN
            PERFORM ar.fail('PG400', format('lines[%s]', v_n), 'a shipment line is an object', 'Give {"line": 1, "quantity": 2}.');
        END IF;
        PERFORM ar.write_shipment_line(s, v_n, v_line);
    END LOOP;
    RETURN jsonb_build_object('shipment_id', s.id, 'alerts', (
        SELECT coalesce(jsonb_agg(jsonb_build_object('alert', a.alert, 'severity', a.severity, 'message', a.message)), '[]')
        FROM api.customer_alerts((SELECT code FROM ar.customers WHERE id = o.customer_id), 'goods_shipment') a));
END
$$;
COMMENT ON FUNCTION api.create_shipment(jsonb) IS
    'Creates a draft shipment of a booked order {"order", "date", "reference", "lines": [{"line", "quantity", "serials"}]} '
    '(no lines: everything open; no serials: picked from stock). Returns {"shipment_id", "alerts"}.';

-- Completes a draft shipment: numbered, and its goods leave stock on a sale document to the
-- customer. Refused when the customer is on hold for goods shipments, or when the order no longer
-- has the quantity open (it was invoiced or shipped meanwhile).
CREATE OR REPLACE FUNCTION api.complete_shipment(p_shipment bigint, p_actor text DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    s ar.shipments;
    o ar.sales_orders;
    c ar.customers;
    v_number bigint;
    v_document bigint;
    v_short record;
    m record;
BEGIN
    SELECT * INTO s FROM ar.shipments WHERE id = p_shipment;
    IF NOT FOUND THEN
        PERFORM ar.no_such_shipment(p_shipment);
    END IF;
    o := ar.order_for_update(s.order_id, false);  -- the order first: shipments and invoice generation of one order take turns
    SELECT * INTO s FROM ar.shipments WHERE id = p_shipment FOR UPDATE;
    IF s.status <> 'draft' THEN
        PERFORM ar.fail('PG423', 'shipment', format('shipment %s is completed as number %s', p_shipment, s.number), 'A completed shipment is final.');
    END IF;
    SELECT * INTO c FROM ar.customers WHERE id = s.customer_id;
    IF c.on_hold AND c.hold_goods_shipment THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is on hold for goods shipments', c.code),
                        'Release the customer''s hold, then complete the shipment.');
    END IF;
    IF o.status <> 'booked' THEN
        PERFORM ar.fail('PG422', 'order', format('%s is %s: only a booked order ships', ar.order_name(o), o.status), NULL);
    END IF;
    SELECT l.line_no, sl.quantity, q.open INTO v_short
    FROM ar.shipment_lines sl JOIN ar.sales_order_lines l ON l.id = sl.order_line_id JOIN ar.order_line_quantities q ON q.order_line_id = l.id
    WHERE sl.shipment_id = p_shipment AND sl.quantity > q.open
    ORDER BY l.line_no LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', 'lines', format('line %s of the order has %s open, and the shipment takes %s', v_short.line_no,
                        trim_scale(v_short.open), trim_scale(v_short.quantity)), 'Change the shipment: delete it and ship what is open.');
    END IF;
    IF NOT EXISTS (SELECT FROM ar.shipment_lines WHERE shipment_id = p_shipment) THEN
        PERFORM ar.fail('PG422', 'shipment', format('shipment %s has no lines', p_shipment), NULL);
    END IF;
    UPDATE ar.invoice_numbers SET next = next + 1 WHERE series = 'shipment' RETURNING next - 1 INTO v_number;
    INSERT INTO ar.stock_documents (kind, document_date, reference, customer_id)
    VALUES ('sale', s.shipment_date, format('shipment %s (order %s)', v_number, o.number), s.customer_id)
    RETURNING id INTO v_document;
    FOR m IN
        SELECT sl.line_no, p AS product, l.location_id, sr.id AS serial_id, coalesce(ss.quantity, sl.quantity) AS quantity
        FROM ar.shipment_lines sl JOIN ar.sales_order_lines l ON l.id = sl.order_line_id JOIN ar.products p ON p.id = l.product_id
        LEFT JOIN ar.shipment_line_serials ss ON ss.line_id = sl.id
        LEFT JOIN ar.serials sr ON sr.product_id = l.product_id AND sr.serial = ss.serial
        WHERE sl.shipment_id = p_shipment ORDER BY sl.line_no, ss.id
    LOOP
        PERFORM ar.stock_out(v_document, m.line_no, m.product, m.location_id, m.serial_id, m.quantity, format('lines[%s]', m.line_no));
    END LOOP;
    UPDATE ar.shipments SET status = 'completed', number = v_number, document_id = v_document, completed_at = now(),
        completed_by = coalesce(nullif(btrim(p_actor), ''), session_user), version = version + 1
    WHERE id = p_shipment;
    RETURN v_number;
END
$$;
COMMENT ON FUNCTION api.complete_shipment(bigint, text) IS
    'Completes a draft shipment: numbered, its goods and serials leave stock. Refused for a customer on hold for goods shipments.';

CREATE OR REPLACE FUNCTION api.delete_shipment(p_shipment bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    s ar.shipments;
BEGIN
    SELECT * INTO s FROM ar.shipments WHERE id = p_shipment FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_shipment(p_shipment);
    END IF;
    IF s.status <> 'draft' THEN
        PERFORM ar.fail('PG423', 'shipment', format('shipment %s is completed as number %s: it is never deleted', p_shipment, s.number), NULL);
    END IF;
    DELETE FROM ar.shipment_lines WHERE shipment_id = p_shipment;
    DELETE FROM ar.shipments WHERE id = p_shipment;
END
$$;
COMMENT ON FUNCTION api.delete_shipment(bigint) IS 'Deletes a draft shipment. A completed shipment is final.';

CREATE OR REPLACE FUNCTION api.get_shipment(p_shipment bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'id', s.id, 'number', s.number, 'status', s.status, 'order_id', o.id, 'order_number', o.number, 'customer', c.code,
        'date', s.shipment_date, 'reference', s.reference, 'version', s.version,
        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'line', sl.line_no, 'order_line', l.line_no, 'product', p.code, 'location', loc.code, 'quantity', sl.quantity,
            'invoiced', EXISTS (SELECT FROM ar.invoice_lines il WHERE il.shipment_line_id = sl.id),
            'serials', coalesce((SELECT jsonb_agg(jsonb_build_object('serial', ss.serial, 'quantity', ss.quantity) ORDER BY ss.id)
                                 FROM ar.shipment_line_serials ss WHERE ss.line_id = sl.id), '[]')) ORDER BY sl.line_no)
            FROM ar.shipment_lines sl JOIN ar.sales_order_lines l ON l.id = sl.order_line_id JOIN ar.products p ON p.id = l.product_id
            JOIN ar.locations loc ON loc.id = l.location_id WHERE sl.shipment_id = s.id), '[]'))
    INTO v_result
    FROM ar.shipments s JOIN ar.sales_orders o ON o.id = s.order_id JOIN ar.customers c ON c.id = s.customer_id
    WHERE s.id = p_shipment;
    IF v_result IS NULL THEN
        PERFORM ar.no_such_shipment(p_shipment);
    END IF;
    RETURN v_result;
END
$$;

CREATE OR REPLACE FUNCTION api.list_shipments(p_customer text DEFAULT NULL, p_order bigint DEFAULT NULL, p_limit integer DEFAULT 1000)
RETURNS TABLE (shipment_id bigint, number bigint, status text, customer text, order_id bigint, order_number bigint, shipment_date date,
               lines integer, invoiced boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT s.id, s.number, s.status, c.code, o.id, o.number, s.shipment_date,
           (SELECT count(*)::integer FROM ar.shipment_lines sl WHERE sl.shipment_id = s.id),
           NOT EXISTS (SELECT FROM ar.shipment_lines sl WHERE sl.shipment_id = s.id
                       AND NOT EXISTS (SELECT FROM ar.invoice_lines il WHERE il.shipment_line_id = sl.id))
    FROM ar.shipments s JOIN ar.sales_orders o ON o.id = s.order_id JOIN ar.customers c ON c.id = s.customer_id
    WHERE (p_customer IS NULL OR lower(c.code) = lower(p_customer)) AND (p_order IS NULL OR o.id = p_order)
    ORDER BY s.id
    LIMIT greatest(coalesce(p_limit, 1000), 1)
$$;

GRANT EXECUTE ON FUNCTION
    api.create_shipment(jsonb), api.complete_shipment(bigint, text), api.delete_shipment(bigint), api.get_shipment(bigint),
    api.list_shipments(text, bigint, integer)
TO postgate_client;

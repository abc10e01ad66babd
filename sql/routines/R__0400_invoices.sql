-- Draft invoices: header, lines with prices and taxes computed by the database, serials, and the
-- customer items the posting will create. Any client may write drafts.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION ar.setting(p_key text) RETURNS jsonb
LANGUAGE sql STABLE AS $$ SELECT value FROM ar.settings WHERE key = p_key $$;

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

CREATE OR REPLACE FUNCTION ar.draft_for_update(p_invoice bigint) RETURNS ar.invoices
LANGUAGE plpgsql AS $$
DECLARE
    v ar.invoices;
BEGIN
    SELECT * INTO v FROM ar.invoices WHERE id = p_invoice FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'invoice', format('there is no invoice %s', p_invoice), 'List the drafts: postgate invoices list');
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

-- The customer items a line may create, regenerated whenever the line changes (which resets their
-- review). All kinds are kept; which of them a posting creates is decided by the settings in force
-- when it posts (ar.items_to_create).
CREATE OR REPLACE FUNCTION ar.refresh_pending_items(p_line_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    l record;
    v_units integer;
    v_parent bigint;
    v_unit integer;
    c record;
BEGIN
    DELETE FROM ar.pending_customer_items WHERE line_id = p_line_id;
    SELECT il.id, il.invoice_id, il.quantity, i.invoice_date, p.id AS product_id, p.serial_tracking, p.is_buildup, p.customer_item_type_id
    INTO l
    FROM ar.invoice_lines il JOIN ar.invoices i ON i.id = il.invoice_id JOIN ar.products p ON p.id = il.product_id
    WHERE il.id = p_line_id;
    v_units := ceil(l.quantity)::integer;
    IF l.customer_item_type_id IS NOT NULL THEN
        IF l.serial_tracking = 'unique' THEN
            -- One item per unit: the serials assigned so far, then units still without one.
            INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, serial, warranty_start)
            SELECT l.invoice_id, l.id, l.product_id, l.customer_item_type_id, n, s.serial, l.invoice_date
            FROM generate_series(1, v_units) n
            LEFT JOIN (SELECT serial, row_number() OVER (ORDER BY id) AS k FROM ar.invoice_line_serials WHERE line_id = l.id) s ON s.k = n;
        ELSIF l.serial_tracking = 'batch' THEN
            INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, serial, quantity, warranty_start, kind)
            SELECT l.invoice_id, l.id, l.product_id, l.customer_item_type_id, row_number() OVER (ORDER BY id), serial, quantity, l.invoice_date, 'batch'
            FROM ar.invoice_line_serials WHERE line_id = l.id;
        ELSE
            INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, warranty_start)
            SELECT l.invoice_id, l.id, l.product_id, l.customer_item_type_id, n, l.invoice_date FROM generate_series(1, v_units) n;
        END IF;
    END IF;
    IF l.is_buildup THEN
        FOR v_unit IN 1 .. v_units LOOP
            SELECT id INTO v_parent FROM ar.pending_customer_items WHERE line_id = l.id AND unit_no = v_unit AND parent_id IS NULL AND kind = 'unit';
            FOR c IN SELECT b.component_id, b.quantity, p.customer_item_type_id FROM ar.buildup_components b JOIN ar.products p ON p.id = b.component_id
                     WHERE b.buildup_id = l.product_id AND p.customer_item_type_id IS NOT NULL LOOP
                INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, parent_id, unit_no, warranty_start, kind)
                SELECT l.invoice_id, l.id, c.component_id, c.customer_item_type_id, v_parent, v_unit, l.invoice_date, 'component'
                FROM generate_series(1, ceil(c.quantity)::integer);
            END LOOP;
        END LOOP;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION ar.customer_alerts_json(p_customer_id bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object('alert', a.alert, 'severity', a.severity, 'message', a.message)), '[]')
    FROM api.customer_alerts((SELECT code FROM ar.customers WHERE id = p_customer_id), 'sales_invoice') a
$$;

CREATE OR REPLACE FUNCTION api.create_invoice(p_invoice jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_known text[] := ARRAY['customer', 'date', 'reference', 'location'];
    v_key text;
    c ar.customers;
    v_list ar.price_lists;
    v_date date;
    v_location bigint;
    v_id bigint;
BEGIN
    PERFORM ar.check_fields(p_invoice, v_known, 'an invoice');
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(ar.required_text(ar.json_value(p_invoice, 'customer', 'string') #>> '{}', 'customer')));
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'customer', format('there is no customer %L', p_invoice ->> 'customer'), 'Check the code: postgate customers list --search TEXT');
    END IF;
    IF NOT c.active THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is inactive', c.code), 'Activate the customer first, or invoice another.');
    END IF;
    BEGIN
        v_date := coalesce((ar.json_value(p_invoice, 'date', 'string') #>> '{}')::date, current_date);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM ar.fail('PG400', 'date', format('date %s is not a date', p_invoice -> 'date'), 'Write dates as YYYY-MM-DD.');
    END;
    IF p_invoice ? 'location' THEN
        v_location := ar.location_id(ar.json_value(p_invoice, 'location', 'string') #>> '{}', 'location');
    END IF;
    SELECT * INTO v_list FROM ar.price_lists WHERE id = c.price_list_id;
    INSERT INTO ar.invoices (customer_id, invoice_date, currency, price_list_id, location_id, reference)
    VALUES (c.id, v_date, v_list.currency, v_list.id, v_location, coalesce(ar.json_value(p_invoice, 'reference', 'string') #>> '{}', ''))
    RETURNING id INTO v_id;
    RETURN jsonb_build_object('invoice_id', v_id, 'alerts', ar.customer_alerts_json(c.id));
END
$$;
COMMENT ON FUNCTION api.create_invoice(jsonb) IS 'Creates a draft invoice {"customer", "date", "reference", "location"}; returns {"invoice_id", "alerts"} with the customer''s alerts.';

-- Validates and writes one line's fields (new or changed); returns the line id.
CREATE OR REPLACE FUNCTION ar.write_invoice_line(v ar.invoices, p_line_no integer, p jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_known text[] := ARRAY['product', 'quantity', 'unit_price', 'tax_rate', 'location', 'serials'];
    v_key text;
    v_field text := format('lines[%s]', p_line_no);
    l ar.invoice_lines;
    v_product ar.products;
    v_problem text;
    v_exists boolean;
    v_number numeric;
BEGIN
    PERFORM ar.check_fields(p, v_known, 'an invoice line', v_field);
    SELECT * INTO l FROM ar.invoice_lines WHERE invoice_id = v.id AND line_no = p_line_no FOR UPDATE;
    v_exists := FOUND;
    IF p ? 'product' OR NOT v_exists THEN
        SELECT * INTO v_product FROM ar.products
        WHERE lower(code) = lower(btrim(ar.required_text(ar.json_value(p, 'product', 'string') #>> '{}', v_field || '.product')));
        IF NOT FOUND THEN
            PERFORM ar.fail('PG404', v_field || '.product', format('there is no product %L', p ->> 'product'), 'Check the code: postgate products list');
        END IF;
        IF NOT v_product.active THEN
            PERFORM ar.fail('PG422', v_field || '.product', format('product %s is inactive', v_product.code), 'Choose an active product.');
        END IF;
        l.product_id := v_product.id;
    ELSE
        SELECT * INTO v_product FROM ar.products WHERE id = l.product_id;
    END IF;
    IF p ? 'quantity' OR NOT v_exists THEN
        -- Checked before it is stored: the column would round it.
        v_number := ar.decimal_field(p, 'quantity', v_field || '.quantity', 4, 1e10);
        IF v_number IS NULL OR v_number <= 0 THEN
            PERFORM ar.fail('PG400', v_field || '.quantity', format('quantity must be greater than zero, not %s', coalesce(v_number::text, 'empty')), NULL);
        END IF;
        l.quantity := v_number;
        IF v_product.serial_tracking = 'unique' AND l.quantity <> trunc(l.quantity) THEN
            PERFORM ar.fail('PG400', v_field || '.quantity', format('%s has a serial per unit: sell whole units, not %s', v_product.code, l.quantity), NULL);
        END IF;
    END IF;
    IF p ? 'unit_price' AND p -> 'unit_price' <> 'null' THEN
        v_number := ar.decimal_field(p, 'unit_price', v_field || '.unit_price', 4, 1e10);
        IF v_number < 0 THEN
            PERFORM ar.fail('PG400', v_field || '.unit_price', format('unit_price must be zero or more, not %s', v_number), NULL);
        END IF;
        l.unit_price := v_number;
    ELSIF p ? 'product' OR NOT v_exists THEN
        SELECT pp.price INTO l.unit_price FROM ar.product_prices pp
        WHERE pp.price_list_id = v.price_list_id AND pp.product_id = l.product_id AND pp.valid_from <= v.invoice_date
        ORDER BY pp.valid_from DESC LIMIT 1;
        IF l.unit_price IS NULL THEN
            PERFORM ar.fail('PG404', v_field || '.unit_price', format('the customer''s price list %s has no price for %s on %s',
                    (SELECT code FROM ar.price_lists WHERE id = v.price_list_id), v_product.code, v.invoice_date),
                format('Give unit_price, or set one: postgate products price %s %s PRICE', (SELECT code FROM ar.price_lists WHERE id = v.price_list_id), v_product.code));
        END IF;
    END IF;
    IF p ? 'tax_rate' AND p -> 'tax_rate' <> 'null' THEN
        l.tax_rate_id := ar.lookup('tax_rates', ar.json_value(p, 'tax_rate', 'string') #>> '{}', v_field || '.tax_rate', 'tax rate', 'postgate ref taxes add CODE --name NAME --rate PERCENT');
    ELSIF p ? 'product' OR NOT v_exists THEN
        l.tax_rate_id := v_product.default_tax_rate_id;
        IF l.tax_rate_id IS NULL THEN
            PERFORM ar.fail('PG400', v_field || '.tax_rate', format('product %s has no default tax rate', v_product.code), 'Give tax_rate, or set the product''s default.');
        END IF;
    END IF;
    v_problem := ar.tax_problem(v.customer_id, l.tax_rate_id);
    IF v_problem IS NOT NULL THEN
        PERFORM ar.fail('PG422', v_field || '.tax_rate', v_problem, 'Choose a tax rate the customer may use.');
    END IF;
    IF p ? 'location' THEN
        l.location_id := ar.location_id(ar.json_value(p, 'location', 'string') #>> '{}', v_field || '.location');
    ELSIF NOT v_exists THEN
        l.location_id := v.location_id;
    END IF;
    IF l.location_id IS NULL AND NOT v_product.is_buildup AND v_product.serial_tracking = 'none' THEN
        NULL; -- untracked goods without a location are sold without a stock movement (services, fees)
    ELSIF l.location_id IS NULL THEN
        PERFORM ar.fail('PG400', v_field || '.location', format('%s is sold from stock: name the location it leaves from', v_product.code), 'Give the line (or the invoice) a location.');
    END IF;
    SELECT tax.rate INTO l.tax_percent FROM ar.tax_rates tax WHERE tax.id = l.tax_rate_id;
    l.net_amount := round(l.quantity * l.unit_price, 2);
    l.tax_amount := round(l.net_amount * l.tax_percent / 100, 2);
    IF v_exists THEN
        UPDATE ar.invoice_lines SET product_id = l.product_id, quantity = l.quantity, unit_price = l.unit_price, tax_rate_id = l.tax_rate_id,
            tax_percent = l.tax_percent, net_amount = l.net_amount, tax_amount = l.tax_amount, location_id = l.location_id
        WHERE id = l.id;
        IF p ? 'product' THEN
            DELETE FROM ar.invoice_line_serials WHERE line_id = l.id;
        END IF;
    ELSE
        INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent, net_amount, tax_amount)
        VALUES (v.id, p_line_no, l.product_id, l.location_id, l.quantity, l.unit_price, l.tax_rate_id, l.tax_percent, l.net_amount, l.tax_amount)
        RETURNING id INTO l.id;
    END IF;
    IF p ? 'serials' THEN
        PERFORM ar.write_line_serials(l.id, v_product, p -> 'serials', v_field);
    END IF;
    PERFORM ar.refresh_pending_items(l.id);
    RETURN l.id;
END
$$;

-- Sets the serials of a line. One recorded before is picked from stock: a unique serial that is
-- not at the line's location is refused with where it is. One never recorded is entered as added
-- at sale. Posting checks both again, as the stock stands then.
CREATE OR REPLACE FUNCTION ar.write_line_serials(p_line_id bigint, p_product ar.products, p_serials jsonb, p_field text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_serial jsonb;
    v_text text;
    v_qty numeric;
    v_n integer := 0;
    v_known boolean;
    v_whereabouts text;
    v_location bigint := (SELECT location_id FROM ar.invoice_lines WHERE id = p_line_id);
BEGIN
    IF p_product.serial_tracking = 'none' AND jsonb_array_length(coalesce(p_serials, '[]')) > 0 THEN
        PERFORM ar.fail('PG400', p_field || '.serials', format('%s is not serial-tracked, so its lines carry no serials', p_product.code), 'Leave the serials out.');
    END IF;
    IF jsonb_typeof(coalesce(p_serials, '[]')) <> 'array' THEN
        PERFORM ar.fail('PG400', p_field || '.serials', 'serials must be a list', 'Give ["SN1", "SN2"] or [{"serial": "R1", "quantity": 5}].');
    END IF;
    DELETE FROM ar.invoice_line_serials WHERE line_id = p_line_id;
    FOR v_serial IN SELECT * FROM jsonb_array_elements(coalesce(p_serials, '[]')) LOOP
        v_n := v_n + 1;
        IF jsonb_typeof(v_serial) = 'string' THEN v_serial := jsonb_build_object('serial', v_serial); END IF;
        v_text := ar.code_text(ar.json_value(v_serial, 'serial', 'string') #>> '{}', format('%s.serials[%s].serial', p_field, v_n));
        v_qty := coalesce(ar.decimal_field(v_serial, 'quantity', format('%s.serials[%s].quantity', p_field, v_n), 4, 1e10), 1);
        IF p_product.serial_tracking = 'unique' AND v_qty <> 1 THEN
            PERFORM ar.fail('PG400', format('%s.serials[%s].quantity', p_field, v_n), 'a unique serial is one unit', 'Leave the quantity out.');
        END IF;
        IF v_qty <= 0 THEN
            PERFORM ar.fail('PG400', format('%s.serials[%s].quantity', p_field, v_n), 'a serial''s quantity must be greater than zero', NULL);
        END IF;
        v_known := EXISTS (SELECT FROM ar.serials s WHERE s.product_id = p_product.id AND s.serial = v_text);
        IF v_known AND p_product.serial_tracking = 'unique' THEN
            v_whereabouts := ar.serial_whereabouts(p_product.id, v_text, v_location);
            IF v_whereabouts IS NOT NULL THEN
                PERFORM ar.fail('PG422', format('%s.serials[%s]', p_field, v_n),
                                format('serial %s of %s cannot be sold from %s: it is %s', v_text, p_product.code,
                                       coalesce((SELECT code FROM ar.locations WHERE id = v_location), 'this line'), v_whereabouts),
                                'A unique serial is in one place at a time: pick one in stock at the line''s location.');
            END IF;
        END IF;
        BEGIN
            INSERT INTO ar.invoice_line_serials (line_id, serial, quantity, added_at_sale) VALUES (p_line_id, v_text, v_qty, NOT v_known);
        EXCEPTION WHEN unique_violation THEN
            PERFORM ar.fail('PG400', format('%s.serials[%s]', p_field, v_n), format('serial %s appears twice on the line', v_text), 'Name each serial once.');
        END;
    END LOOP;
    IF (SELECT coalesce(sum(quantity), 0) FROM ar.invoice_line_serials WHERE line_id = p_line_id) > (SELECT quantity FROM ar.invoice_lines WHERE id = p_line_id) THEN
        PERFORM ar.fail('PG422', p_field || '.serials', 'the serials cover more than the line''s quantity', 'Remove serials or raise the quantity.');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION api.add_invoice_line(p_invoice bigint, p_line jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
    v_line_no integer := coalesce((SELECT max(line_no) FROM ar.invoice_lines WHERE invoice_id = p_invoice), 0) + 1;
BEGIN
    PERFORM ar.write_invoice_line(v, v_line_no, p_line);
    PERFORM ar.touch_invoice(p_invoice);
    RETURN v_line_no;
END
$$;
COMMENT ON FUNCTION api.add_invoice_line(bigint, jsonb) IS 'Adds a line {"product", "quantity", "unit_price" (default: the price list''s), "tax_rate" (default: the product''s), "location", "serials"}; returns its line number.';

CREATE OR REPLACE FUNCTION api.update_invoice_line(p_invoice bigint, p_line_no integer, p_changes jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
BEGIN
    IF NOT EXISTS (SELECT FROM ar.invoice_lines WHERE invoice_id = p_invoice AND line_no = p_line_no) THEN
        PERFORM ar.fail('PG404', 'line', format('invoice %s has no line %s', p_invoice, p_line_no), 'Show the invoice: postgate invoices show ID');
    END IF;
    PERFORM ar.write_invoice_line(v, p_line_no, p_changes);
    RETURN ar.touch_invoice(p_invoice);
END
$$;
COMMENT ON FUNCTION api.update_invoice_line(bigint, integer, jsonb) IS 'Changes a draft line''s fields; resets the review of its customer items. Returns the invoice''s new version.';

CREATE OR REPLACE FUNCTION api.set_line_serials(p_invoice bigint, p_line_no integer, p_serials jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
    v_line ar.invoice_lines;
BEGIN
    SELECT * INTO v_line FROM ar.invoice_lines WHERE invoice_id = p_invoice AND line_no = p_line_no;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'line', format('invoice %s has no line %s', p_invoice, p_line_no), 'Show the invoice: postgate invoices show ID');
    END IF;
    PERFORM ar.write_line_serials(v_line.id, (SELECT p FROM ar.products p WHERE p.id = v_line.product_id), p_serials, format('lines[%s]', p_line_no));
    PERFORM ar.refresh_pending_items(v_line.id);
    RETURN ar.touch_invoice(p_invoice);
END
$$;
COMMENT ON FUNCTION api.set_line_serials(bigint, integer, jsonb) IS 'Sets the serials sold on a line (["SN1", ...] or [{"serial", "quantity"}]): picked from stock, or entered as added at sale.';

CREATE OR REPLACE FUNCTION api.remove_invoice_line(p_invoice bigint, p_line_no integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
BEGIN
    DELETE FROM ar.pending_customer_items WHERE line_id IN (SELECT id FROM ar.invoice_lines WHERE invoice_id = p_invoice AND line_no = p_line_no);
    DELETE FROM ar.invoice_lines WHERE invoice_id = p_invoice AND line_no = p_line_no;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'line', format('invoice %s has no line %s', p_invoice, p_line_no), NULL);
    END IF;
    RETURN ar.touch_invoice(p_invoice);
END
$$;

CREATE OR REPLACE FUNCTION api.delete_invoice(p_invoice bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
BEGIN
    DELETE FROM ar.pending_customer_items WHERE invoice_id = p_invoice;
    DELETE FROM ar.invoice_line_serials WHERE line_id IN (SELECT id FROM ar.invoice_lines WHERE invoice_id = p_invoice);
    DELETE FROM ar.invoice_lines WHERE invoice_id = p_invoice;
    DELETE FROM ar.invoices WHERE id = p_invoice;
END
$$;
COMMENT ON FUNCTION api.delete_invoice(bigint) IS 'Deletes a draft invoice. Posted invoices are never deleted.';

CREATE OR REPLACE FUNCTION api.update_pending_item(p_item bigint, p_changes jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_item ar.pending_customer_items;
BEGIN
    SELECT * INTO v_item FROM ar.pending_customer_items WHERE id = p_item FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'item', format('there is no pending customer item %s', p_item), 'Show the invoice to see its items.');
    END IF;
    PERFORM ar.draft_for_update(v_item.invoice_id);
    UPDATE ar.pending_customer_items SET
        serial = CASE WHEN p_changes ? 'serial' THEN p_changes ->> 'serial' ELSE serial END,
        warranty_start = CASE WHEN p_changes ? 'warranty_start' THEN (p_changes ->> 'warranty_start')::date ELSE warranty_start END,
        notes = CASE WHEN p_changes ? 'notes' THEN coalesce(p_changes ->> 'notes', '') ELSE notes END,
        reviewed_by = NULL, reviewed_at = NULL
    WHERE id = p_item;
    PERFORM ar.touch_invoice(v_item.invoice_id);
END
$$;
COMMENT ON FUNCTION api.update_pending_item(bigint, jsonb) IS 'Edits the details (serial, warranty_start, notes) of a customer item a draft will create; the item must be reviewed again.';

CREATE OR REPLACE FUNCTION api.review_customer_items(p_invoice bigint, p_reviewer text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
    v_count integer;
BEGIN
    UPDATE ar.pending_customer_items SET reviewed_by = coalesce(p_reviewer, session_user), reviewed_at = now()
    WHERE invoice_id = p_invoice AND reviewed_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    PERFORM ar.touch_invoice(p_invoice);
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION api.review_customer_items(bigint, text) IS 'Confirms the details of every customer item a draft will create; returns how many were confirmed.';

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
            'location', ll.code,
            'serials', coalesce((SELECT jsonb_agg(jsonb_build_object('serial', s.serial, 'quantity', s.quantity, 'added_at_sale', s.added_at_sale) ORDER BY s.id)
                                 FROM ar.invoice_line_serials s WHERE s.line_id = l.id), '[]')) ORDER BY l.line_no)
            FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id JOIN ar.tax_rates t ON t.id = l.tax_rate_id
            LEFT JOIN ar.locations ll ON ll.id = l.location_id WHERE l.invoice_id = i.id), '[]'),
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
        PERFORM ar.fail('PG404', 'invoice', format('there is no invoice %s', p_invoice), 'List the drafts: postgate invoices list');
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION api.get_invoice(bigint) IS 'An invoice with its lines, serials, pending customer items and (for drafts) the customer''s alerts, as JSON.';

CREATE OR REPLACE FUNCTION api.list_unposted(p_customer text DEFAULT NULL, p_from date DEFAULT NULL, p_to date DEFAULT NULL,
                                             p_min numeric DEFAULT NULL, p_max numeric DEFAULT NULL, p_limit integer DEFAULT 1000000)
RETURNS TABLE (invoice_id bigint, customer text, invoice_date date, reference text, currency text, total numeric, lines integer, version integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT i.id, c.code, i.invoice_date, i.reference, i.currency, i.total,
           (SELECT count(*)::integer FROM ar.invoice_lines l WHERE l.invoice_id = i.id), i.version
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    WHERE i.status = 'draft'
      AND (p_customer IS NULL OR lower(c.code) = lower(p_customer))
      AND (p_from IS NULL OR i.invoice_date >= p_from) AND (p_to IS NULL OR i.invoice_date <= p_to)
      AND (p_min IS NULL OR i.total >= p_min) AND (p_max IS NULL OR i.total <= p_max)
    ORDER BY i.id
    LIMIT greatest(coalesce(p_limit, 1000000), 1)
$$;
COMMENT ON FUNCTION api.list_unposted(text, date, date, numeric, numeric, integer) IS 'Draft invoices by customer, date range and total range, oldest first.';

GRANT EXECUTE ON FUNCTION
    api.create_invoice(jsonb), api.add_invoice_line(bigint, jsonb), api.update_invoice_line(bigint, integer, jsonb),
    api.set_line_serials(bigint, integer, jsonb), api.remove_invoice_line(bigint, integer), api.delete_invoice(bigint),
    api.update_pending_item(bigint, jsonb), api.review_customer_items(bigint, text), api.get_invoice(bigint),
    api.list_unposted(text, date, date, numeric, numeric, integer)
TO postgate_client;

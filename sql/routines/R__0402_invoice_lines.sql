-- The lines of draft invoices: product, quantity, price and tax computed by the database,
-- location, and the serials sold.
SET LOCAL ROLE postgate_owner;

-- The product of a new or changed line: it must exist and be active.
CREATE OR REPLACE FUNCTION ar.line_product(p jsonb, p_field text) RETURNS ar.products
LANGUAGE plpgsql AS $$
DECLARE
    v_product ar.products;
BEGIN
    SELECT * INTO v_product FROM ar.products
    WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p, 'product'), p_field || '.product')));
    IF NOT FOUND THEN
        PERFORM ar.fail_missing('products', p_field || '.product', format('there is no product %L', p ->> 'product'),
                        'Create the product first, or name an existing one.');
    END IF;
    IF NOT v_product.active THEN
        PERFORM ar.fail('PG422', p_field || '.product', format('product %s is inactive', v_product.code), 'Choose an active product.');
    END IF;
    RETURN v_product;
END
$$;

-- The quantity of a line, checked before it is stored: the column would round it.
CREATE OR REPLACE FUNCTION ar.line_quantity(p jsonb, p_product ar.products, p_field text) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    v_quantity numeric := ar.decimal_field(p, 'quantity', p_field || '.quantity', 4, 1e10);
BEGIN
    IF v_quantity IS NULL OR v_quantity <= 0 THEN
        PERFORM ar.fail('PG400', p_field || '.quantity', format('quantity must be greater than zero, not %s', coalesce(v_quantity::text, 'empty')),
                        NULL);
    END IF;
    IF p_product.serial_tracking = 'unique' AND v_quantity <> trunc(v_quantity) THEN
        PERFORM ar.fail('PG400', p_field || '.quantity', format('%s has a serial per unit: sell whole units, not %s', p_product.code, v_quantity),
                        NULL);
    END IF;
    IF p_product.is_buildup AND EXISTS (
           SELECT FROM ar.buildup_components b JOIN ar.products cp ON cp.id = b.component_id
           WHERE b.buildup_id = p_product.id AND cp.serial_tracking = 'unique' AND v_quantity * b.quantity <> trunc(v_quantity * b.quantity)) THEN
        PERFORM ar.fail('PG400', p_field || '.quantity',
                        format('kit %s holds a component with a serial per unit: sell a quantity that takes whole units of it, not %s',
                               p_product.code, v_quantity), NULL);
    END IF;
    RETURN v_quantity;
END
$$;

-- The unit price of a line: the one given, else the price list's on the invoice date.
CREATE OR REPLACE FUNCTION ar.line_unit_price(v ar.invoices, p jsonb, p_product ar.products, p_field text) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    v_price numeric;
BEGIN
    IF p ? 'unit_price' AND p -> 'unit_price' <> 'null' THEN
        v_price := ar.decimal_field(p, 'unit_price', p_field || '.unit_price', 4, 1e10);
        IF v_price < 0 THEN
            PERFORM ar.fail('PG400', p_field || '.unit_price', format('unit_price must be zero or more, not %s', v_price), NULL);
        END IF;
        RETURN v_price;
    END IF;
    v_price := ar.price_on(v.price_list_id, p_product.id, v.invoice_date);
    IF v_price IS NULL THEN
        PERFORM ar.fail('PG404', p_field || '.unit_price', format('the customer''s price list %s has no price for %s on %s',
                (SELECT code FROM ar.price_lists WHERE id = v.price_list_id), p_product.code, v.invoice_date),
            format('Give unit_price, or set a price for %s in price list %s valid from %s or earlier.',
                   p_product.code, (SELECT code FROM ar.price_lists WHERE id = v.price_list_id), v.invoice_date));
    END IF;
    RETURN v_price;
END
$$;

-- The tax rate of a line: the one given, else the product's default.
CREATE OR REPLACE FUNCTION ar.line_tax_rate(p jsonb, p_product ar.products, p_field text) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF p ? 'tax_rate' AND p -> 'tax_rate' <> 'null' THEN
        RETURN ar.lookup('tax_rates', ar.text_field(p, 'tax_rate'), p_field || '.tax_rate', 'tax rate');
    END IF;
    IF p_product.default_tax_rate_id IS NULL THEN
        PERFORM ar.fail('PG400', p_field || '.tax_rate', format('product %s has no default tax rate', p_product.code),
                        'Give tax_rate, or set the product''s default.');
    END IF;
    RETURN p_product.default_tax_rate_id;
END
$$;

-- Stores a line with its amounts (net = quantity x price, tax = net x rate, each rounded to
-- cents); a line whose product changed loses its serials. Returns the line id.
CREATE OR REPLACE FUNCTION ar.save_invoice_line(l ar.invoice_lines, p_exists boolean, p_product_changed boolean) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    SELECT tax.rate INTO l.tax_percent FROM ar.tax_rates tax WHERE tax.id = l.tax_rate_id;
    l.net_amount := round(l.quantity * l.unit_price, 2);
    l.tax_amount := round(l.net_amount * l.tax_percent / 100, 2);
    IF p_exists THEN
        UPDATE ar.invoice_lines SET product_id = l.product_id, quantity = l.quantity, unit_price = l.unit_price, tax_rate_id = l.tax_rate_id,
            tax_percent = l.tax_percent, net_amount = l.net_amount, tax_amount = l.tax_amount, location_id = l.location_id
        WHERE id = l.id;
        IF p_product_changed THEN
            DELETE FROM ar.invoice_line_serials WHERE line_id = l.id;
        END IF;
        RETURN l.id;
    END IF;
    INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                  net_amount, tax_amount)
    VALUES (l.invoice_id, l.line_no, l.product_id, l.location_id, l.quantity, l.unit_price, l.tax_rate_id, l.tax_percent,
            l.net_amount, l.tax_amount)
    RETURNING id INTO l.id;
    RETURN l.id;
END
$$;

-- Validates and writes one line's fields (new or changed); returns the line id.
CREATE OR REPLACE FUNCTION ar.write_invoice_line(v ar.invoices, p_line_no integer, p jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_field text := format('lines[%s]', p_line_no);
    l ar.invoice_lines;
    v_product ar.products;
    v_exists boolean;
    v_new_product boolean;
    v_problem text;
BEGIN
    PERFORM ar.check_fields(p, ARRAY['product', 'quantity', 'unit_price', 'tax_rate', 'location', 'serials'], 'an invoice line', v_field);
    SELECT * INTO l FROM ar.invoice_lines WHERE invoice_id = v.id AND line_no = p_line_no FOR UPDATE;
    v_exists := FOUND;
    v_new_product := p ? 'product' OR NOT v_exists;
    IF v_new_product THEN
        v_product := ar.line_product(p, v_field);
    ELSE
        SELECT * INTO v_product FROM ar.products WHERE id = l.product_id;
    END IF;
    l.invoice_id := v.id;
    l.line_no := p_line_no;
    l.product_id := v_product.id;
    IF p ? 'quantity' OR NOT v_exists THEN
        l.quantity := ar.line_quantity(p, v_product, v_field);
    END IF;
    IF (p ? 'unit_price' AND p -> 'unit_price' <> 'null') OR v_new_product THEN
        l.unit_price := ar.line_unit_price(v, p, v_product, v_field);
    END IF;
    IF (p ? 'tax_rate' AND p -> 'tax_rate' <> 'null') OR v_new_product THEN
        l.tax_rate_id := ar.line_tax_rate(p, v_product, v_field);
    END IF;
    v_problem := ar.tax_problem(v.customer_id, l.tax_rate_id);
    IF v_problem IS NOT NULL THEN
        PERFORM ar.fail('PG422', v_field || '.tax_rate', format('line %s (%s): %s', p_line_no, v_product.code, v_problem),
                        'Choose a tax rate the customer may use.');
    END IF;
    IF p ? 'location' THEN
        l.location_id := ar.location_id(ar.text_field(p, 'location'), v_field || '.location');
    ELSIF NOT v_exists THEN
        l.location_id := v.location_id;
    END IF;
    -- Untracked goods without a location are sold without a stock movement (services, fees).
    IF l.location_id IS NULL AND (v_product.is_buildup OR v_product.serial_tracking <> 'none') THEN
        PERFORM ar.fail('PG400', v_field || '.location', format('%s is sold from stock: name the location it leaves from', v_product.code),
                        'Give the line (or the invoice) a location.');
    END IF;
    l.id := ar.save_invoice_line(l, v_exists, p ? 'product');
    IF p ? 'serials' THEN
        PERFORM ar.write_line_serials(l.id, v_product, p -> 'serials', v_field);
    END IF;
    PERFORM ar.refresh_pending_items(l.id);
    RETURN l.id;
END
$$;

-- The product a serial entry of a line belongs to: the line's own product, or for a kit one of
-- its serial-tracked components: the one named, the only one, or the one that recorded the serial.
CREATE OR REPLACE FUNCTION ar.serial_entry_product(p_product ar.products, p_entry jsonb, p_serial text, p_field text) RETURNS ar.products
LANGUAGE plpgsql AS $$
DECLARE
    v_components bigint[];
    v_named bigint;
    v_found bigint[];
    v_component ar.products;
BEGIN
    IF NOT p_product.is_buildup THEN
        IF p_entry ? 'product' AND lower(p_entry ->> 'product') IS DISTINCT FROM lower(p_product.code) THEN
            PERFORM ar.fail('PG400', p_field || '.product', format('serial %s is on a line of %s, not of %s', p_serial, p_product.code,
                                                                   p_entry ->> 'product'), 'Leave the product out, or name the line''s.');
        END IF;
        RETURN p_product;
    END IF;
    SELECT array_agg(b.component_id ORDER BY cp.code) INTO v_components
    FROM ar.buildup_components b JOIN ar.products cp ON cp.id = b.component_id
    WHERE b.buildup_id = p_product.id AND cp.serial_tracking <> 'none';
    IF p_entry ? 'product' THEN
        SELECT id INTO v_named FROM ar.products WHERE lower(code) = lower(btrim(ar.text_field(p_entry, 'product'))) AND id = ANY (v_components);
        IF v_named IS NULL THEN
            PERFORM ar.fail('PG400', p_field || '.product', format('%s is not a serial-tracked component of %s', p_entry ->> 'product', p_product.code),
                            format('Name one of %s.', (SELECT string_agg(code, ', ' ORDER BY code) FROM ar.products WHERE id = ANY (v_components))));
        END IF;
        v_found := ARRAY[v_named];
    ELSIF cardinality(v_components) = 1 THEN
        v_found := v_components;
    ELSE
        SELECT array_agg(s.product_id) INTO v_found FROM ar.serials s WHERE s.product_id = ANY (v_components) AND s.serial = p_serial;
        IF coalesce(cardinality(v_found), 0) <> 1 THEN
            PERFORM ar.fail('PG400', p_field || '.product',
                            format('kit %s has several serial-tracked components (%s): say which one serial %s belongs to', p_product.code,
                                   (SELECT string_agg(code, ', ' ORDER BY code) FROM ar.products WHERE id = ANY (v_components)), p_serial),
                            'Give the serial with its product: {"serial": ..., "product": ...}.');
        END IF;
    END IF;
    SELECT * INTO v_component FROM ar.products WHERE id = v_found[1];
    RETURN v_component;
END
$$;

-- Sets the serials of a line. One recorded before is picked from stock: a unique serial that is
-- not at the line's location is refused with where it is. One never recorded is entered as added
-- at sale. Posting checks both again, as the stock stands then. A kit's line carries the serials
-- of its serial-tracked components, each with its component.
CREATE OR REPLACE FUNCTION ar.write_line_serials(p_line_id bigint, p_product ar.products, p_serials jsonb, p_field text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_serial jsonb;
    v_text text;
    v_qty numeric;
    v_n integer := 0;
    v_known boolean;
    v_whereabouts text;
    v_entry_field text;
    v_of ar.products;
    v_over record;
    v_location bigint := (SELECT location_id FROM ar.invoice_lines WHERE id = p_line_id);
BEGIN
    IF p_product.serial_tracking = 'none' AND jsonb_array_length(coalesce(p_serials, '[]')) > 0
       AND NOT EXISTS (SELECT FROM ar.buildup_components b JOIN ar.products cp ON cp.id = b.component_id
                       WHERE b.buildup_id = p_product.id AND cp.serial_tracking <> 'none') THEN
        PERFORM ar.fail('PG400', p_field || '.serials',
                        CASE WHEN p_product.is_buildup THEN format('none of the components of kit %s is serial-tracked, so its lines carry no serials',
                                                                   p_product.code)
                             ELSE format('%s is not serial-tracked, so its lines carry no serials', p_product.code) END,
                        'Leave the serials out.');
    END IF;
    IF jsonb_typeof(coalesce(p_serials, '[]')) <> 'array' THEN
        PERFORM ar.fail('PG400', p_field || '.serials', 'serials must be a list', 'Give ["SN1", "SN2"] or [{"serial": "R1", "quantity": 5}].');
    END IF;
    DELETE FROM ar.invoice_line_serials WHERE line_id = p_line_id;
    FOR v_serial IN SELECT * FROM jsonb_array_elements(coalesce(p_serials, '[]')) LOOP
        v_n := v_n + 1;
        v_entry_field := format('%s.serials[%s]', p_field, v_n);
        IF jsonb_typeof(v_serial) = 'string' THEN v_serial := jsonb_build_object('serial', v_serial); END IF;
        IF jsonb_typeof(v_serial) <> 'object' THEN
            PERFORM ar.fail('PG400', v_entry_field, 'a serial is a text, or an object {"serial", "quantity", "product"}', NULL);
        END IF;
        v_text := ar.code_text(ar.text_field(v_serial, 'serial'), v_entry_field || '.serial');
        v_of := ar.serial_entry_product(p_product, v_serial, v_text, v_entry_field);
        v_qty := coalesce(ar.decimal_field(v_serial, 'quantity', v_entry_field || '.quantity', 4, 1e10), 1);
        IF v_of.serial_tracking = 'unique' AND v_qty <> 1 THEN
            PERFORM ar.fail('PG400', v_entry_field || '.quantity', 'a unique serial is one unit', 'Leave the quantity out.');
        END IF;
        IF v_qty <= 0 THEN
            PERFORM ar.fail('PG400', v_entry_field || '.quantity', 'a serial''s quantity must be greater than zero', NULL);
        END IF;
        v_known := EXISTS (SELECT FROM ar.serials s WHERE s.product_id = v_of.id AND s.serial = v_text);
        IF v_known AND v_of.serial_tracking = 'unique' THEN
            v_whereabouts := ar.serial_whereabouts(v_of.id, v_text, v_location);
            IF v_whereabouts IS NOT NULL THEN
                PERFORM ar.fail('PG422', v_entry_field,
                                format('serial %s of %s cannot be sold from %s: it is %s', v_text, v_of.code,
                                       coalesce((SELECT code FROM ar.locations WHERE id = v_location), 'this line'), v_whereabouts),
                                'A unique serial is in one place at a time: pick one in stock at the line''s location.');
            END IF;
        END IF;
        BEGIN
            INSERT INTO ar.invoice_line_serials (line_id, serial, quantity, added_at_sale, component_id)
            VALUES (p_line_id, v_text, v_qty, NOT v_known, CASE WHEN v_of.id <> p_product.id THEN v_of.id END);
        EXCEPTION WHEN unique_violation THEN
            PERFORM ar.fail('PG400', v_entry_field, format('serial %s appears twice on the line', v_text), 'Name each serial once.');
        END;
    END LOOP;
    -- Each product's serials cover at most what the line takes of it.
    SELECT p.code, n.needed, sum(ls.quantity) AS given INTO v_over
    FROM ar.invoice_line_serials ls JOIN ar.invoice_lines l ON l.id = ls.line_id
    JOIN ar.products p ON p.id = coalesce(ls.component_id, l.product_id)
    CROSS JOIN LATERAL (SELECT l.quantity * coalesce((SELECT b.quantity FROM ar.buildup_components b
                                                      WHERE b.buildup_id = l.product_id AND b.component_id = ls.component_id), 1) AS needed) n
    WHERE ls.line_id = p_line_id
    GROUP BY p.code, n.needed HAVING sum(ls.quantity) > n.needed LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', p_field || '.serials',
                        CASE WHEN p_product.is_buildup
                             THEN format('the serials of %s cover %s, more than the %s the line''s kits take', v_over.code, trim_scale(v_over.given),
                                         trim_scale(v_over.needed))
                             ELSE 'the serials cover more than the line''s quantity' END,
                        'Remove serials or raise the quantity.');
    END IF;
END
$$;

-- A line of a draft by its number, or a PG404 refusal that names the lines it has.
CREATE OR REPLACE FUNCTION ar.invoice_line(p_invoice bigint, p_line_no integer) RETURNS ar.invoice_lines
LANGUAGE plpgsql AS $$
DECLARE
    l ar.invoice_lines;
BEGIN
    SELECT * INTO l FROM ar.invoice_lines WHERE invoice_id = p_invoice AND line_no = p_line_no;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'line', format('invoice %s has no line %s', p_invoice, p_line_no),
                        coalesce('Name one of its lines: ' || (SELECT string_agg(line_no::text, ', ' ORDER BY line_no)
                                                               FROM ar.invoice_lines WHERE invoice_id = p_invoice) || '.',
                                 'It has no lines yet: add one first.'));
    END IF;
    RETURN l;
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
COMMENT ON FUNCTION api.add_invoice_line(bigint, jsonb) IS
    'Adds a line {"product", "quantity", "unit_price" (default: the price list''s), "tax_rate" (default: the product''s), "location", '
    '"serials"}; returns its line number.';

CREATE OR REPLACE FUNCTION api.update_invoice_line(p_invoice bigint, p_line_no integer, p_changes jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v ar.invoices := ar.draft_for_update(p_invoice);
    v_line ar.invoice_lines := ar.invoice_line(p_invoice, p_line_no);
BEGIN
    IF v_line.order_line_id IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'line', format('line %s of invoice %s invoices a sales order line: it is changed on the order, not here',
                                                p_line_no, p_invoice),
                        'Remove the line (Generate Invoices makes it again from the order), or close the order.');
    END IF;
    PERFORM ar.write_invoice_line(v, p_line_no, p_changes);
    RETURN ar.touch_invoice(p_invoice);
END
$$;
COMMENT ON FUNCTION api.update_invoice_line(bigint, integer, jsonb) IS
    'Changes a draft line''s fields; resets the review of its customer items. Returns the invoice''s new version.';

CREATE OR REPLACE FUNCTION api.set_line_serials(p_invoice bigint, p_line_no integer, p_serials jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_line ar.invoice_lines;
BEGIN
    PERFORM ar.draft_for_update(p_invoice);
    v_line := ar.invoice_line(p_invoice, p_line_no);
    IF v_line.shipment_line_id IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'line', format('line %s of invoice %s invoices a shipment: its serials are the ones shipped', p_line_no, p_invoice),
                        'Correct the shipment''s serials instead; an invoice line of a shipment carries them unchanged.');
    END IF;
    PERFORM ar.write_line_serials(v_line.id, (SELECT p FROM ar.products p WHERE p.id = v_line.product_id), p_serials,
                                  format('lines[%s]', p_line_no));
    PERFORM ar.refresh_pending_items(v_line.id);
    RETURN ar.touch_invoice(p_invoice);
END
$$;
COMMENT ON FUNCTION api.set_line_serials(bigint, integer, jsonb) IS
    'Sets the serials sold on a line (["SN1", ...] or [{"serial", "quantity"}]): picked from stock, or entered as added at sale.';

CREATE OR REPLACE FUNCTION api.remove_invoice_line(p_invoice bigint, p_line_no integer)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_line ar.invoice_lines;
BEGIN
    PERFORM ar.draft_for_update(p_invoice);
    v_line := ar.invoice_line(p_invoice, p_line_no);
    DELETE FROM ar.pending_customer_items WHERE line_id = v_line.id;
    DELETE FROM ar.invoice_lines WHERE id = v_line.id;
    RETURN ar.touch_invoice(p_invoice);
END
$$;

GRANT EXECUTE ON FUNCTION
    api.add_invoice_line(bigint, jsonb), api.update_invoice_line(bigint, integer, jsonb), api.set_line_serials(bigint, integer, jsonb),
    api.remove_invoice_line(bigint, integer)
TO postgate_client;

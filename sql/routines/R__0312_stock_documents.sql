-- Stock documents: receipts, transfers and write-offs, each posted at once and whole. A bad
-- line refuses the whole document and changes nothing. Serials move with their stock.
SET LOCAL ROLE postgate_owner;

-- The product of a stock document line: it must exist, and hold stock of its own.
CREATE OR REPLACE FUNCTION ar.stock_line_product(p_line jsonb, p_field text) RETURNS ar.products
LANGUAGE plpgsql AS $$
DECLARE
    v_product ar.products;
BEGIN
    SELECT * INTO v_product FROM ar.products
    WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p_line, 'product'), p_field || '.product')));
    IF NOT FOUND THEN
        PERFORM ar.fail_missing('products', p_field || '.product', format('%s.product: there is no product %L', p_field, p_line ->> 'product'),
                        'Create the product first, or name an existing one.');
    END IF;
    IF v_product.is_buildup THEN
        PERFORM ar.fail('PG422', p_field || '.product', format('%s is a buildup: its stock is the stock of its components', v_product.code),
                        'Move the components instead.');
    END IF;
    RETURN v_product;
END
$$;

-- One serial of a line ("SN1", or {"serial", "quantity", "expiry"}), checked: named once on the
-- line (p_seen holds those before it, in lower case), a unique serial is one unit, a batch
-- serial has a quantity.
CREATE OR REPLACE FUNCTION ar.stock_serial_entry(p_serial jsonb, p_product ar.products, p_field text, p_line_no integer, p_seen text[],
                                                 OUT serial text, OUT quantity numeric, OUT expiry date)
LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(p_serial) = 'string' THEN
        p_serial := jsonb_build_object('serial', p_serial);
    END IF;
    serial := ar.code_text(ar.text_field(p_serial, 'serial'), p_field || '.serial');
    IF lower(serial) = ANY (p_seen) THEN
        PERFORM ar.fail('PG400', p_field, format('serial %s appears twice on line %s', serial, p_line_no), 'Name each serial once.');
    END IF;
    quantity := (ar.json_value(p_serial, 'quantity', 'number') #>> '{}')::numeric;
    IF p_product.serial_tracking = 'unique' THEN
        IF quantity IS NOT NULL AND quantity <> 1 THEN
            PERFORM ar.fail('PG400', p_field || '.quantity', format('a unique serial is one unit; %s has quantity %s', serial, quantity),
                            'Leave the quantity out.');
        END IF;
        quantity := 1;
    ELSIF quantity IS NULL OR quantity <= 0 OR ar.checked_decimal(quantity, p_field || '.quantity', 4, 1e10) IS NULL THEN
        PERFORM ar.fail('PG400', p_field || '.quantity',
                        format('batch serial %s needs a quantity greater than zero, not %s', serial, coalesce(quantity::text, 'none')),
                        'Give the quantity the batch serial covers on this line.');
    END IF;
    expiry := ar.date_value(ar.json_value(p_serial, 'expiry', 'string'), p_field || '.expiry', 'expiry');
END
$$;

-- The serial a receipt brings in: the one recorded before (its expiry as recorded), or a new
-- one with its expiry when the product tracks expiry dates.
CREATE OR REPLACE FUNCTION ar.received_serial(p_product ar.products, p_serial text, p_expiry date, p_field text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_recorded ar.serials;
    v_sold text;
    v_id bigint;
BEGIN
    SELECT * INTO v_recorded FROM ar.serials WHERE product_id = p_product.id AND serial = p_serial;
    -- A unique unit that was sold is with the customer: it comes back on a credit note, which
    -- ends its customer items and keeps its history, never on a receipt.
    IF v_recorded.id IS NOT NULL AND p_product.serial_tracking = 'unique' THEN
        v_sold := ar.serial_sold_on(v_recorded.id);
        IF v_sold IS NOT NULL THEN
            PERFORM ar.fail('PG422', p_field, format('serial %s of %s was %s: a sold unit is not received again', p_serial, p_product.code, v_sold),
                            'Return it on a credit note against that invoice, with its goods coming back.');
        END IF;
    END IF;
    IF v_recorded.id IS NOT NULL THEN
        IF p_expiry IS NOT NULL AND p_expiry IS DISTINCT FROM v_recorded.expiry THEN
            PERFORM ar.fail('PG422', p_field || '.expiry', format('serial %s of %s was recorded with expiry %s, not %s', p_serial, p_product.code,
                                                                  coalesce(v_recorded.expiry::text, 'none'), p_expiry),
                            'Serials are never edited: leave the expiry out to receive it as recorded.');
        END IF;
        RETURN v_recorded.id;
    END IF;
    IF p_product.track_expiry AND p_expiry IS NULL THEN
        PERFORM ar.fail('PG400', p_field || '.expiry', format('%s tracks expiry dates: serial %s needs one', p_product.code, p_serial),
                        'Give the expiry as YYYY-MM-DD.');
    END IF;
    IF NOT p_product.track_expiry AND p_expiry IS NOT NULL THEN
        PERFORM ar.fail('PG400', p_field || '.expiry', format('%s does not track expiry dates', p_product.code),
                        'Leave the expiry out, or turn expiry tracking on for the product.');
    END IF;
    INSERT INTO ar.serials (product_id, serial, expiry) VALUES (p_product.id, p_serial, p_expiry) RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

-- The serial a transfer or write-off moves: one that was received.
CREATE OR REPLACE FUNCTION ar.recorded_serial(p_product ar.products, p_serial text, p_field text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT id INTO v_id FROM ar.serials WHERE product_id = p_product.id AND serial = p_serial;
    IF v_id IS NULL THEN
        PERFORM ar.fail('PG404', p_field || '.serial', format('serial %s of %s was never received', p_serial, p_product.code),
                        'Check the serial for a typing error, or receive it first.');
    END IF;
    RETURN v_id;
END
$$;

-- Posts one line of a stock document: its quantity, or each of its serials.
CREATE OR REPLACE FUNCTION ar.post_stock_line(p_kind text, p_document bigint, p_line_no integer, p_line jsonb, p_location bigint, p_to bigint)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_field text := format('lines[%s]', p_line_no);
    v_product ar.products;
    v_quantity numeric;
    v_serial jsonb;
    v_serial_no integer := 0;
    v_serial_field text;
    v_entry record;
    v_total numeric := 0;
    v_seen text[] := '{}'::text[];
BEGIN
    IF jsonb_typeof(p_line) <> 'object' THEN
        PERFORM ar.fail('PG400', v_field, format('%s must be an object with product, quantity and serials', v_field), NULL);
    END IF;
    v_product := ar.stock_line_product(p_line, v_field);
    v_quantity := ar.decimal_field(p_line, 'quantity', v_field || '.quantity', 4, 1e10);
    IF v_quantity IS NULL OR v_quantity <= 0 THEN
        PERFORM ar.fail('PG400', v_field || '.quantity', format('%s.quantity must be greater than zero with at most 4 decimals, not %s',
                                                                v_field, coalesce(v_quantity::text, 'empty')), NULL);
    END IF;
    IF v_product.serial_tracking = 'none' THEN
        IF jsonb_array_length(coalesce(p_line -> 'serials', '[]')) > 0 THEN
            PERFORM ar.fail('PG400', v_field || '.serials', format('%s is not serial-tracked, so its lines carry no serials', v_product.code),
                            'Leave the serials out, or configure the product for serials at zero stock.');
        END IF;
        PERFORM ar.move_stock(p_kind, p_document, p_line_no, v_product, p_location, p_to, NULL, v_quantity, v_field);
        RETURN;
    END IF;
    IF jsonb_typeof(p_line -> 'serials') IS DISTINCT FROM 'array' OR jsonb_array_length(p_line -> 'serials') = 0 THEN
        PERFORM ar.fail('PG422', v_field || '.serials',
            format('%s is tracked by %s serial: line %s needs its serials', v_product.code, v_product.serial_tracking, p_line_no),
            CASE v_product.serial_tracking WHEN 'unique' THEN format('Name %s serials, one per unit.', v_quantity)
                 ELSE 'Name the batch serials and the quantity of each.' END);
    END IF;
    IF v_product.serial_tracking = 'unique'
       AND (v_quantity <> trunc(v_quantity) OR jsonb_array_length(p_line -> 'serials') <> v_quantity) THEN
        PERFORM ar.fail('PG422', v_field || '.serials', format('%s has a serial per unit: %s units need %s serials, and %s are given',
                            v_product.code, trim_scale(v_quantity), trim_scale(v_quantity), jsonb_array_length(p_line -> 'serials')),
                        'Name one serial for each unit.');
    END IF;
    FOR v_serial IN SELECT * FROM jsonb_array_elements(p_line -> 'serials') LOOP
        v_serial_no := v_serial_no + 1;
        v_serial_field := format('lines[%s].serials[%s]', p_line_no, v_serial_no);
        SELECT * INTO v_entry FROM ar.stock_serial_entry(v_serial, v_product, v_serial_field, p_line_no, v_seen);
        v_seen := v_seen || lower(v_entry.serial);
        v_total := v_total + v_entry.quantity;
        PERFORM ar.move_stock(p_kind, p_document, p_line_no, v_product, p_location, p_to,
                              CASE WHEN p_kind = 'receipt' THEN ar.received_serial(v_product, v_entry.serial, v_entry.expiry, v_serial_field)
                                   ELSE ar.recorded_serial(v_product, v_entry.serial, v_serial_field) END,
                              v_entry.quantity, v_serial_field);
    END LOOP;
    IF v_total <> v_quantity THEN
        PERFORM ar.fail('PG422', format('lines[%s].serials', p_line_no),
                        format('the serials of line %s add up to %s, not the line''s quantity %s', p_line_no, v_total, v_quantity),
                        'Make the serial quantities add up to the line quantity.');
    END IF;
END
$$;

-- Posts a receipt, transfer or write-off given as JSON; returns the document id.
CREATE OR REPLACE FUNCTION ar.post_stock_document(p_kind text, p_doc jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_noun text := replace(p_kind, '_', '-');
    v_date date;
    v_location bigint;
    v_to bigint;
    v_document bigint;
    v_line jsonb;
    v_line_no integer := 0;
BEGIN
    PERFORM ar.check_fields(p_doc, CASE p_kind WHEN 'transfer' THEN ARRAY['date', 'reference', 'notes', 'from', 'to', 'lines']
                                               ELSE ARRAY['date', 'reference', 'notes', 'location', 'lines'] END, 'a ' || v_noun);
    v_date := coalesce(ar.date_value(ar.json_value(p_doc, 'date', 'string'), 'date'), current_date);
    IF p_kind = 'transfer' THEN
        v_location := ar.location_id(ar.text_field(p_doc, 'from'), 'from');
        v_to := ar.location_id(ar.text_field(p_doc, 'to'), 'to');
        IF v_location = v_to THEN
            PERFORM ar.fail('PG400', 'to', 'a transfer moves stock between two different locations', 'Name another destination.');
        END IF;
    ELSE
        v_location := ar.location_id(ar.text_field(p_doc, 'location'), 'location');
    END IF;
    IF jsonb_typeof(p_doc -> 'lines') IS DISTINCT FROM 'array' OR jsonb_array_length(p_doc -> 'lines') = 0 THEN
        PERFORM ar.fail('PG400', 'lines', format('a %s needs at least one line', v_noun),
                        'Each line is {"product": CODE, "quantity": N, "serials": [{"serial": S, "quantity": N, "expiry": DATE}]}.');
    END IF;
    INSERT INTO ar.stock_documents (kind, document_date, reference, notes)
    VALUES (p_kind, v_date, coalesce(ar.text_field(p_doc, 'reference'), ''), coalesce(ar.text_field(p_doc, 'notes'), ''))
    RETURNING id INTO v_document;
    FOR v_line IN SELECT * FROM jsonb_array_elements(p_doc -> 'lines') LOOP
        v_line_no := v_line_no + 1;
        PERFORM ar.post_stock_line(p_kind, v_document, v_line_no, v_line, v_location, v_to);
    END LOOP;
    RETURN v_document;
END
$$;
COMMENT ON FUNCTION ar.post_stock_document(text, jsonb) IS
    'Posts a receipt, transfer or write-off from JSON, whole or not at all; returns the document id.';

CREATE OR REPLACE FUNCTION api.post_receipt(p_receipt jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('receipt', p_receipt) $$;
COMMENT ON FUNCTION api.post_receipt(jsonb) IS
    'Receives stock into a location: {"location", "date", "reference", "notes", '
    '"lines": [{"product", "quantity", "serials": [{"serial", "quantity", "expiry"}]}]}.';

CREATE OR REPLACE FUNCTION api.post_transfer(p_transfer jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('transfer', p_transfer) $$;
COMMENT ON FUNCTION api.post_transfer(jsonb) IS 'Moves stock between locations: {"from", "to", "date", "reference", "notes", "lines": [...]}.';

CREATE OR REPLACE FUNCTION api.post_write_off(p_write_off jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('write_off', p_write_off) $$;
COMMENT ON FUNCTION api.post_write_off(jsonb) IS
    'Takes stock out of a location for good (damage, loss, a wrong serial): {"location", "date", "reference", "notes", "lines": [...]}.';

GRANT EXECUTE ON FUNCTION api.post_receipt(jsonb), api.post_transfer(jsonb), api.post_write_off(jsonb) TO postgate_client;

-- Stock documents: receipts, transfers and write-offs, each posted at once and whole. A bad
-- line refuses the whole document and changes nothing. Serials move with their stock.
SET LOCAL ROLE postgate_owner;

-- Puts quantity into a location (a movement and the on-hand row, in one step).
CREATE OR REPLACE FUNCTION ar.stock_in(p_document bigint, p_line integer, p_product ar.products, p_location bigint,
                                       p_serial bigint, p_quantity numeric, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    VALUES (p_document, p_line, p_product.id, p_location, p_serial, p_quantity);
    INSERT INTO ar.stock_on_hand AS s (product_id, location_id, serial_key, unit_serial, quantity)
    VALUES (p_product.id, p_location, coalesce(p_serial, 0), p_product.serial_tracking = 'unique' AND p_serial IS NOT NULL, p_quantity)
    ON CONFLICT (product_id, location_id, serial_key) DO UPDATE SET quantity = s.quantity + excluded.quantity;
EXCEPTION
    WHEN unique_violation OR check_violation THEN
        PERFORM ar.fail('PG422', p_field, format('serial %s of %s is already in stock (%s); a unique serial is one unit in one place',
                (SELECT serial FROM ar.serials WHERE id = p_serial), p_product.code,
                (SELECT string_agg(l.code, ', ') FROM ar.stock_on_hand s JOIN ar.locations l ON l.id = s.location_id
                 WHERE s.serial_key = p_serial AND s.quantity > 0)),
            'Transfer it instead of receiving it, or check the serial for a typing error.');
END
$$;

-- Takes quantity out of a location, refusing to go below what is there.
CREATE OR REPLACE FUNCTION ar.stock_out(p_document bigint, p_line integer, p_product ar.products, p_location bigint,
                                        p_serial bigint, p_quantity numeric, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_left numeric;
    v_there numeric;
BEGIN
    UPDATE ar.stock_on_hand SET quantity = quantity - p_quantity
    WHERE product_id = p_product.id AND location_id = p_location AND serial_key = coalesce(p_serial, 0) AND quantity >= p_quantity
    RETURNING quantity INTO v_left;
    IF NOT FOUND THEN
        SELECT quantity INTO v_there FROM ar.stock_on_hand
        WHERE product_id = p_product.id AND location_id = p_location AND serial_key = coalesce(p_serial, 0);
        PERFORM ar.fail('PG422', p_field, format('%s%s: %s on hand at %s, %s asked for',
                p_product.code, CASE WHEN p_serial IS NULL THEN '' ELSE ' serial ' || (SELECT serial FROM ar.serials WHERE id = p_serial) END,
                trim_scale(coalesce(v_there, 0)), (SELECT code FROM ar.locations WHERE id = p_location), trim_scale(p_quantity)),
            'Stock never goes below zero: check the quantity and location (postgate stock on-hand), or receive the missing stock first.');
    END IF;
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    VALUES (p_document, p_line, p_product.id, p_location, p_serial, -p_quantity);
END
$$;

CREATE OR REPLACE FUNCTION ar.location_id(p_code text, p_field text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id bigint;
    v_active boolean;
BEGIN
    SELECT id, active INTO v_id, v_active FROM ar.locations WHERE lower(code) = lower(btrim(ar.required_text(p_code, p_field)));
    IF v_id IS NULL THEN
        PERFORM ar.fail('PG404', p_field, format('%s: there is no location %L', p_field, p_code), 'Check the code, or add it: postgate stock locations add CODE --name NAME');
    END IF;
    IF NOT v_active THEN
        PERFORM ar.fail('PG422', p_field, format('%s: location %s is inactive', p_field, p_code), 'Use another location, or activate it again.');
    END IF;
    RETURN v_id;
END
$$;

-- Posts a receipt, transfer or write-off given as JSON; returns the document id.
CREATE OR REPLACE FUNCTION ar.post_stock_document(p_kind text, p_doc jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_known text[] := CASE p_kind WHEN 'transfer' THEN ARRAY['date', 'reference', 'notes', 'from', 'to', 'lines']
                                  ELSE ARRAY['date', 'reference', 'notes', 'location', 'lines'] END;
    v_key text;
    v_document bigint;
    v_date date;
    v_location bigint;
    v_to bigint;
    v_line jsonb;
    v_line_no integer := 0;
    v_field text;
    v_product ar.products;
    v_quantity numeric;
    v_serial jsonb;
    v_serial_no integer;
    v_serial_text text;
    v_serial_qty numeric;
    v_serial_total numeric;
    v_expiry date;
    v_serial_id bigint;
    v_recorded ar.serials;
    v_seen text[];
BEGIN
    PERFORM ar.check_fields(p_doc, v_known, 'a ' || replace(p_kind, '_', '-'));
    BEGIN
        v_date := coalesce((ar.json_value(p_doc, 'date', 'string') #>> '{}')::date, current_date);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM ar.fail('PG400', 'date', format('date %s is not a date', p_doc -> 'date'), 'Write dates as YYYY-MM-DD.');
    END;
    IF p_kind = 'transfer' THEN
        v_location := ar.location_id(ar.json_value(p_doc, 'from', 'string') #>> '{}', 'from');
        v_to := ar.location_id(ar.json_value(p_doc, 'to', 'string') #>> '{}', 'to');
        IF v_location = v_to THEN
            PERFORM ar.fail('PG400', 'to', 'a transfer moves stock between two different locations', 'Name another destination.');
        END IF;
    ELSE
        v_location := ar.location_id(ar.json_value(p_doc, 'location', 'string') #>> '{}', 'location');
    END IF;
    IF jsonb_typeof(p_doc -> 'lines') IS DISTINCT FROM 'array' OR jsonb_array_length(p_doc -> 'lines') = 0 THEN
        PERFORM ar.fail('PG400', 'lines', format('a %s needs at least one line', replace(p_kind, '_', '-')),
                        'Each line is {"product": CODE, "quantity": N, "serials": [{"serial": S, "quantity": N, "expiry": DATE}]}.');
    END IF;

    INSERT INTO ar.stock_documents (kind, document_date, reference, notes)
    VALUES (p_kind, v_date, coalesce(ar.json_value(p_doc, 'reference', 'string') #>> '{}', ''), coalesce(ar.json_value(p_doc, 'notes', 'string') #>> '{}', ''))
    RETURNING id INTO v_document;

    FOR v_line IN SELECT * FROM jsonb_array_elements(p_doc -> 'lines') LOOP
        v_line_no := v_line_no + 1;
        v_field := format('lines[%s]', v_line_no);
        IF jsonb_typeof(v_line) <> 'object' THEN
            PERFORM ar.fail('PG400', v_field, format('%s must be an object with product, quantity and serials', v_field), NULL);
        END IF;
        SELECT * INTO v_product FROM ar.products
        WHERE lower(code) = lower(btrim(ar.required_text(ar.json_value(v_line, 'product', 'string') #>> '{}', v_field || '.product')));
        IF NOT FOUND THEN
            PERFORM ar.fail('PG404', v_field || '.product', format('%s.product: there is no product %L', v_field, v_line ->> 'product'), 'Check the code: postgate products list');
        END IF;
        IF v_product.is_buildup THEN
            PERFORM ar.fail('PG422', v_field || '.product', format('%s is a buildup: its stock is the stock of its components', v_product.code), 'Move the components instead.');
        END IF;
        v_quantity := ar.decimal_field(v_line, 'quantity', v_field || '.quantity', 4, 1e10);
        IF v_quantity IS NULL OR v_quantity <= 0 THEN
            PERFORM ar.fail('PG400', v_field || '.quantity', format('%s.quantity must be greater than zero with at most 4 decimals, not %s', v_field, coalesce(v_quantity::text, 'empty')), NULL);
        END IF;

        IF v_product.serial_tracking = 'none' THEN
            IF jsonb_array_length(coalesce(v_line -> 'serials', '[]')) > 0 THEN
                PERFORM ar.fail('PG400', v_field || '.serials', format('%s is not serial-tracked, so its lines carry no serials', v_product.code), 'Leave the serials out, or configure the product for serials at zero stock.');
            END IF;
            IF p_kind = 'receipt' THEN
                PERFORM ar.stock_in(v_document, v_line_no, v_product, v_location, NULL, v_quantity, v_field);
            ELSE
                PERFORM ar.stock_out(v_document, v_line_no, v_product, v_location, NULL, v_quantity, v_field);
                IF p_kind = 'transfer' THEN PERFORM ar.stock_in(v_document, v_line_no, v_product, v_to, NULL, v_quantity, v_field); END IF;
            END IF;
            CONTINUE;
        END IF;

        IF jsonb_typeof(v_line -> 'serials') IS DISTINCT FROM 'array' OR jsonb_array_length(v_line -> 'serials') = 0 THEN
            PERFORM ar.fail('PG422', v_field || '.serials', format('%s is tracked by %s serial: line %s needs its serials', v_product.code, v_product.serial_tracking, v_line_no),
                CASE v_product.serial_tracking WHEN 'unique' THEN format('Name %s serials, one per unit.', v_quantity)
                     ELSE 'Name the batch serials and the quantity of each.' END);
        END IF;
        IF v_product.serial_tracking = 'unique' AND (v_quantity <> trunc(v_quantity) OR jsonb_array_length(v_line -> 'serials') <> v_quantity) THEN
            PERFORM ar.fail('PG422', v_field || '.serials', format('%s has a serial per unit: %s units need %s serials, and %s are given', v_product.code, trim_scale(v_quantity), trim_scale(v_quantity), jsonb_array_length(v_line -> 'serials')),
                            'Name one serial for each unit.');
        END IF;
        v_serial_no := 0;
        v_serial_total := 0;
        v_seen := '{}';
        FOR v_serial IN SELECT * FROM jsonb_array_elements(v_line -> 'serials') LOOP
            v_serial_no := v_serial_no + 1;
            v_field := format('lines[%s].serials[%s]', v_line_no, v_serial_no);
            IF jsonb_typeof(v_serial) = 'string' THEN
                v_serial := jsonb_build_object('serial', v_serial);
            END IF;
            v_serial_text := ar.code_text(ar.json_value(v_serial, 'serial', 'string') #>> '{}', v_field || '.serial');
            IF lower(v_serial_text) = ANY (v_seen) THEN
                PERFORM ar.fail('PG400', v_field, format('serial %s appears twice on line %s', v_serial_text, v_line_no), 'Name each serial once.');
            END IF;
            v_seen := v_seen || lower(v_serial_text);
            v_serial_qty := (ar.json_value(v_serial, 'quantity', 'number') #>> '{}')::numeric;
            IF v_product.serial_tracking = 'unique' THEN
                IF v_serial_qty IS NOT NULL AND v_serial_qty <> 1 THEN
                    PERFORM ar.fail('PG400', v_field || '.quantity', format('a unique serial is one unit; %s has quantity %s', v_serial_text, v_serial_qty), 'Leave the quantity out.');
                END IF;
                v_serial_qty := 1;
            ELSIF v_serial_qty IS NULL OR v_serial_qty <= 0 OR ar.checked_decimal(v_serial_qty, v_field || '.quantity', 4, 1e10) IS NULL THEN
                PERFORM ar.fail('PG400', v_field || '.quantity', format('batch serial %s needs a quantity greater than zero, not %s', v_serial_text, coalesce(v_serial_qty::text, 'none')),
                                'Give the quantity the batch serial covers on this line.');
            END IF;
            v_serial_total := v_serial_total + v_serial_qty;
            BEGIN
                v_expiry := (ar.json_value(v_serial, 'expiry', 'string') #>> '{}')::date;
            EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
                PERFORM ar.fail('PG400', v_field || '.expiry', format('expiry %s is not a date', v_serial -> 'expiry'), 'Write dates as YYYY-MM-DD.');
            END;

            SELECT * INTO v_recorded FROM ar.serials WHERE product_id = v_product.id AND serial = v_serial_text;
            IF p_kind = 'receipt' THEN
                IF v_recorded.id IS NULL THEN
                    IF v_product.track_expiry AND v_expiry IS NULL THEN
                        PERFORM ar.fail('PG400', v_field || '.expiry', format('%s tracks expiry dates: serial %s needs one', v_product.code, v_serial_text), 'Give the expiry as YYYY-MM-DD.');
                    END IF;
                    IF NOT v_product.track_expiry AND v_expiry IS NOT NULL THEN
                        PERFORM ar.fail('PG400', v_field || '.expiry', format('%s does not track expiry dates', v_product.code), 'Leave the expiry out, or turn expiry tracking on for the product.');
                    END IF;
                    INSERT INTO ar.serials (product_id, serial, expiry) VALUES (v_product.id, v_serial_text, v_expiry) RETURNING id INTO v_serial_id;
                ELSE
                    IF v_expiry IS NOT NULL AND v_expiry IS DISTINCT FROM v_recorded.expiry THEN
                        PERFORM ar.fail('PG422', v_field || '.expiry', format('serial %s of %s was recorded with expiry %s, not %s', v_serial_text, v_product.code, coalesce(v_recorded.expiry::text, 'none'), v_expiry),
                                        'Serials are never edited: leave the expiry out to receive it as recorded.');
                    END IF;
                    v_serial_id := v_recorded.id;
                END IF;
                PERFORM ar.stock_in(v_document, v_line_no, v_product, v_location, v_serial_id, v_serial_qty, v_field);
            ELSE
                IF v_recorded.id IS NULL THEN
                    PERFORM ar.fail('PG404', v_field || '.serial', format('serial %s of %s was never received', v_serial_text, v_product.code),
                                    'Check the serial (postgate serials find TEXT), or receive it first.');
                END IF;
                PERFORM ar.stock_out(v_document, v_line_no, v_product, v_location, v_recorded.id, v_serial_qty, v_field);
                IF p_kind = 'transfer' THEN
                    PERFORM ar.stock_in(v_document, v_line_no, v_product, v_to, v_recorded.id, v_serial_qty, v_field);
                END IF;
            END IF;
        END LOOP;
        IF v_serial_total <> v_quantity THEN
            PERFORM ar.fail('PG422', format('lines[%s].serials', v_line_no), format('the serials of line %s add up to %s, not the line''s quantity %s', v_line_no, v_serial_total, v_quantity),
                            'Make the serial quantities add up to the line quantity.');
        END IF;
    END LOOP;
    RETURN v_document;
END
$$;
COMMENT ON FUNCTION ar.post_stock_document(text, jsonb) IS 'Posts a receipt, transfer or write-off from JSON, whole or not at all; returns the document id.';

CREATE OR REPLACE FUNCTION api.post_receipt(p_receipt jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('receipt', p_receipt) $$;
COMMENT ON FUNCTION api.post_receipt(jsonb) IS 'Receives stock into a location: {"location", "date", "reference", "notes", "lines": [{"product", "quantity", "serials": [{"serial", "quantity", "expiry"}]}]}.';

CREATE OR REPLACE FUNCTION api.post_transfer(p_transfer jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('transfer', p_transfer) $$;
COMMENT ON FUNCTION api.post_transfer(jsonb) IS 'Moves stock between locations: {"from", "to", "date", "reference", "notes", "lines": [...]}.';

CREATE OR REPLACE FUNCTION api.post_write_off(p_write_off jsonb) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$ SELECT ar.post_stock_document('write_off', p_write_off) $$;
COMMENT ON FUNCTION api.post_write_off(jsonb) IS 'Takes stock out of a location for good (damage, loss, a wrong serial): {"location", "date", "reference", "notes", "lines": [...]}.';

CREATE OR REPLACE FUNCTION api.pick_serials(p_product text, p_location text, p_limit integer DEFAULT 100)
RETURNS TABLE (serial text, quantity numeric, expiry date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_product bigint := ar.lookup('products', ar.required_text(p_product, 'product'), 'product', 'product', 'postgate products add CODE --name NAME');
    v_location bigint := ar.location_id(p_location, 'location');
BEGIN
    RETURN QUERY
    SELECT s.serial, h.quantity, s.expiry
    FROM ar.stock_on_hand h JOIN ar.serials s ON s.id = h.serial_key
    WHERE h.product_id = v_product AND h.location_id = v_location AND h.quantity > 0
    ORDER BY s.expiry NULLS LAST, s.created_at, s.serial
    LIMIT greatest(coalesce(p_limit, 100), 1);
END
$$;
COMMENT ON FUNCTION api.pick_serials(text, text, integer) IS 'Serials of a product in stock at a location, to pick at sale: oldest expiry first.';

GRANT EXECUTE ON FUNCTION api.post_receipt(jsonb), api.post_transfer(jsonb), api.post_write_off(jsonb), api.pick_serials(text, text, integer) TO postgate_client;

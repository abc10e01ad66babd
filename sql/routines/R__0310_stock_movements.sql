-- Stock movements: quantity into and out of a location, each written with the on-hand row it
-- changes, and stock locations named by code.
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
    v_there numeric;
BEGIN
    UPDATE ar.stock_on_hand SET quantity = quantity - p_quantity
    WHERE product_id = p_product.id AND location_id = p_location AND serial_key = coalesce(p_serial, 0) AND quantity >= p_quantity;
    IF NOT FOUND THEN
        SELECT quantity INTO v_there FROM ar.stock_on_hand
        WHERE product_id = p_product.id AND location_id = p_location AND serial_key = coalesce(p_serial, 0);
        PERFORM ar.fail('PG422', p_field, format('%s%s: %s on hand at %s, %s asked for',
                p_product.code, CASE WHEN p_serial IS NULL THEN '' ELSE ' serial ' || (SELECT serial FROM ar.serials WHERE id = p_serial) END,
                trim_scale(coalesce(v_there, 0)), (SELECT code FROM ar.locations WHERE id = p_location), trim_scale(p_quantity)),
            'Stock never goes below zero: check the quantity and the location against its stock on hand, or receive the missing stock first.');
    END IF;
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    VALUES (p_document, p_line, p_product.id, p_location, p_serial, -p_quantity);
END
$$;

-- Moves one line's quantity for a stock document: a receipt puts it into the location, a
-- write-off takes it out, a transfer takes it out of the location and puts it into p_to.
CREATE OR REPLACE FUNCTION ar.move_stock(p_kind text, p_document bigint, p_line integer, p_product ar.products, p_location bigint,
                                         p_to bigint, p_serial bigint, p_quantity numeric, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_kind = 'receipt' THEN
        PERFORM ar.stock_in(p_document, p_line, p_product, p_location, p_serial, p_quantity, p_field);
    ELSE
        PERFORM ar.stock_out(p_document, p_line, p_product, p_location, p_serial, p_quantity, p_field);
        IF p_kind = 'transfer' THEN
            PERFORM ar.stock_in(p_document, p_line, p_product, p_to, p_serial, p_quantity, p_field);
        END IF;
    END IF;
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
        PERFORM ar.fail_missing('locations', p_field, format('%s: there is no location %L', p_field, p_code),
                        'Create the location first, or name an existing one.');
    END IF;
    IF NOT v_active THEN
        PERFORM ar.fail('PG422', p_field, format('%s: location %s is inactive', p_field, p_code), 'Use another location, or activate it again.');
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ar.location_id(text, text) IS 'The id of an active location named by code (any case), or a refusal naming the field.';

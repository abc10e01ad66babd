-- The catalogue: customer item types, products with serial tracking, buildups, prices, locations.
SET LOCAL ROLE postgate_owner;

-- Append-only tables refuse changes; the trigger's argument, when given, is the hint.
CREATE OR REPLACE FUNCTION ar.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
              HINT = coalesce(TG_ARGV[0], 'Correct it with a new entry (an adjustment, a credit note).');
END
$$;

CREATE OR REPLACE FUNCTION api.save_item_type(p_code text, p_name text, p_warranty_months integer DEFAULT 0,
                                              p_service_interval_months integer DEFAULT NULL, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.customer_item_types;
BEGIN
    IF p_warranty_months IS NULL OR p_warranty_months NOT BETWEEN 0 AND 600 THEN
        PERFORM ar.fail('PG400', 'warranty_months', format('warranty_months must be between 0 and 600, not %s', coalesce(p_warranty_months::text, 'empty')), 'Give the warranty period in months (0: none).');
    END IF;
    IF p_service_interval_months IS NOT NULL AND p_service_interval_months NOT BETWEEN 1 AND 600 THEN
        PERFORM ar.fail('PG400', 'service_interval_months', format('service_interval_months must be between 1 and 600, not %s', p_service_interval_months), 'Leave it empty for items that need no service.');
    END IF;
    SELECT * INTO v_row FROM ar.customer_item_types WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.customer_item_types (code, name, warranty_months, service_interval_months)
        VALUES (v_code, ar.required_text(p_name, 'name'), p_warranty_months, p_service_interval_months);
        RETURN 1;
    END IF;
    PERFORM ar.check_version('customer item type', v_row.code, v_row.version, p_version);
    UPDATE ar.customer_item_types SET name = ar.required_text(p_name, 'name'), warranty_months = p_warranty_months,
        service_interval_months = p_service_interval_months, version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_item_type(text, text, integer, integer, integer) IS 'Adds a customer item type (warranty and service interval in months), or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_location(p_code text, p_name text, p_active boolean DEFAULT true, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.locations;
BEGIN
    SELECT * INTO v_row FROM ar.locations WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.locations (code, name, active) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_active, true));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('location', v_row.code, v_row.version, p_version);
    UPDATE ar.locations SET name = ar.required_text(p_name, 'name'), active = coalesce(p_active, true), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_location(text, text, boolean, integer) IS 'Adds a stock location, or changes one when given its version.';

-- Where a product's stock is, as a sentence: "12 on hand: 10 at MAIN, 2 at VAN".
CREATE OR REPLACE FUNCTION ar.stock_sentence(p_product_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT trim_scale(sum(q)) || ' on hand: ' || string_agg(trim_scale(q) || ' at ' || code, ', ' ORDER BY code)
    FROM (SELECT l.code, sum(s.quantity)::numeric AS q
          FROM ar.stock_on_hand s JOIN ar.locations l ON l.id = s.location_id
          WHERE s.product_id = p_product_id AND s.quantity > 0 GROUP BY l.code) per_location
$$;

CREATE OR REPLACE FUNCTION api.save_product(p_product jsonb, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_known text[] := ARRAY['code', 'name', 'unit', 'default_tax_rate', 'customer_item_type', 'serial_tracking', 'track_on', 'track_expiry', 'is_buildup', 'active'];
    v_key text;
    v_code text;
    p ar.products;
    v_exists boolean;
    v_stock text;
    v_old_tracking text;
BEGIN
    PERFORM ar.check_fields(p_product, v_known, 'a product');
    v_code := ar.code_text(ar.json_value(p_product, 'code', 'string') #>> '{}', 'code');
    SELECT * INTO p FROM ar.products WHERE lower(code) = lower(v_code) FOR UPDATE;
    v_exists := FOUND;
    IF v_exists THEN
        PERFORM ar.check_version('product', p.code, p.version, p_version);
        v_old_tracking := p.serial_tracking;
    ELSE
        p.code := v_code;
        p.unit := 'unit';
        p.serial_tracking := 'none';
        p.track_on := 'both';
        p.track_expiry := false;
        p.is_buildup := false;
        p.active := true;
    END IF;
    IF p_product ? 'name' THEN p.name := ar.required_text(ar.json_value(p_product, 'name', 'string') #>> '{}', 'name'); END IF;
    IF p.name IS NULL THEN PERFORM ar.fail('PG400', 'name', 'name is required', 'Give the product a name.'); END IF;
    IF p_product ? 'unit' THEN p.unit := ar.required_text(ar.json_value(p_product, 'unit', 'string') #>> '{}', 'unit'); END IF;
    IF p_product ? 'default_tax_rate' THEN
        p.default_tax_rate_id := ar.lookup('tax_rates', ar.json_value(p_product, 'default_tax_rate', 'string') #>> '{}', 'default_tax_rate', 'tax rate', 'postgate ref taxes add CODE --name NAME --rate PERCENT');
    END IF;
    IF p_product ? 'customer_item_type' THEN
        p.customer_item_type_id := ar.lookup('customer_item_types', ar.json_value(p_product, 'customer_item_type', 'string') #>> '{}', 'customer_item_type', 'customer item type', 'postgate products item-types add CODE --name NAME');
    END IF;
    IF p_product ? 'serial_tracking' THEN
        p.serial_tracking := ar.required_text(ar.json_value(p_product, 'serial_tracking', 'string') #>> '{}', 'serial_tracking');
        IF p.serial_tracking NOT IN ('none', 'unique', 'batch') THEN
            PERFORM ar.fail('PG400', 'serial_tracking', format('serial_tracking %L is not none, unique or batch', p.serial_tracking),
                            'Use unique for one serial per unit (TVs), batch for a serial covering a quantity (carpet rolls), none otherwise.');
        END IF;
    END IF;
    IF p_product ? 'track_on' THEN
        p.track_on := ar.required_text(ar.json_value(p_product, 'track_on', 'string') #>> '{}', 'track_on');
        IF p.track_on NOT IN ('sales', 'purchases', 'both') THEN
            PERFORM ar.fail('PG400', 'track_on', format('track_on %L is not sales, purchases or both', p.track_on), 'Say where serials are recorded.');
        END IF;
    END IF;
    IF p_product ? 'track_expiry' THEN p.track_expiry := coalesce((ar.json_value(p_product, 'track_expiry', 'boolean'))::boolean, false); END IF;
    IF p_product ? 'is_buildup' THEN p.is_buildup := coalesce((ar.json_value(p_product, 'is_buildup', 'boolean'))::boolean, false); END IF;
    IF p_product ? 'active' THEN p.active := coalesce((ar.json_value(p_product, 'active', 'boolean'))::boolean, true); END IF;
    IF p.track_expiry AND p.serial_tracking = 'none' THEN
        PERFORM ar.fail('PG422', 'track_expiry', 'expiry dates are kept per serial, so a product without serial tracking cannot track them',
                        'Set serial_tracking to unique or batch, or leave track_expiry off.');
    END IF;
    IF p.is_buildup AND p.serial_tracking <> 'none' THEN
        PERFORM ar.fail('PG422', 'is_buildup', 'a buildup has no stock or serials of its own: its components do',
                        'Track serials on the components instead.');
    END IF;
    IF v_exists AND v_old_tracking <> p.serial_tracking THEN
        v_stock := ar.stock_sentence(p.id);
        IF v_stock IS NOT NULL THEN
            PERFORM ar.fail('PG422', 'serial_tracking', format('product %s has stock (%s); its serial tracking changes only at zero stock', p.code, v_stock),
                            'Write the stock off (or sell it) first, change the tracking, then receive it again with serials.');
        END IF;
    END IF;
    IF v_exists AND p.is_buildup AND NOT (SELECT is_buildup FROM ar.products WHERE id = p.id) AND ar.stock_sentence(p.id) IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'is_buildup', format('product %s has stock (%s); a buildup has none of its own', p.code, ar.stock_sentence(p.id)), 'Write the stock off first.');
    END IF;
    IF NOT v_exists THEN
        INSERT INTO ar.products (code, name, unit, default_tax_rate_id, customer_item_type_id, serial_tracking, track_on, track_expiry, is_buildup, active)
        VALUES (p.code, p.name, p.unit, p.default_tax_rate_id, p.customer_item_type_id, p.serial_tracking, p.track_on, p.track_expiry, p.is_buildup, p.active);
        RETURN 1;
    END IF;
    UPDATE ar.products SET name = p.name, unit = p.unit, default_tax_rate_id = p.default_tax_rate_id, customer_item_type_id = p.customer_item_type_id,
        serial_tracking = p.serial_tracking, track_on = p.track_on, track_expiry = p.track_expiry, is_buildup = p.is_buildup, active = p.active,
        version = version + 1
    WHERE id = p.id;
    RETURN p.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_product(jsonb, integer) IS 'Adds a product from a JSON object of fields, or changes one when given its version. Serial tracking changes only while no stock is on hand.';

CREATE OR REPLACE FUNCTION api.set_buildup_components(p_product text, p_components jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_buildup ar.products;
    v_item jsonb;
    v_component bigint;
    v_quantity numeric;
    v_cycle text;
    v_count integer := 0;
BEGIN
    SELECT * INTO v_buildup FROM ar.products WHERE lower(code) = lower(btrim(p_product)) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'product', format('there is no product with code %L', p_product), 'Check the code: postgate products list');
    END IF;
    IF NOT v_buildup.is_buildup THEN
        PERFORM ar.fail('PG422', 'product', format('product %s is not a buildup', v_buildup.code), format('Mark it as one first: postgate products update %s --version N --buildup', v_buildup.code));
    END IF;
    IF p_components IS NULL OR jsonb_typeof(p_components) <> 'array' OR jsonb_array_length(p_components) = 0 THEN
        PERFORM ar.fail('PG400', 'components', 'components must be a non-empty list of {"product": CODE, "quantity": N}', 'Name at least one component.');
    END IF;
    DELETE FROM ar.buildup_components WHERE buildup_id = v_buildup.id;
    FOR v_item IN SELECT * FROM jsonb_array_elements(p_components) LOOP
        v_count := v_count + 1;
        v_component := ar.lookup('products', ar.required_text(v_item ->> 'product', format('components[%s].product', v_count)),
                                 format('components[%s].product', v_count), 'product', 'postgate products add CODE --name NAME');
        v_quantity := ar.decimal_field(v_item, 'quantity', format('components[%s].quantity', v_count), 4, 1e10);
        IF v_quantity IS NULL OR v_quantity <= 0 THEN
            PERFORM ar.fail('PG400', format('components[%s].quantity', v_count), format('component quantity must be greater than zero with at most 4 decimals, not %s', coalesce(v_quantity::text, 'empty')), NULL);
        END IF;
        IF v_component = v_buildup.id THEN
            PERFORM ar.fail('PG422', format('components[%s].product', v_count), format('buildup %s cannot contain itself', v_buildup.code), NULL);
        END IF;
        INSERT INTO ar.buildup_components (buildup_id, component_id, quantity) VALUES (v_buildup.id, v_component, v_quantity)
        ON CONFLICT (buildup_id, component_id) DO UPDATE SET quantity = ar.buildup_components.quantity + excluded.quantity;
    END LOOP;
    -- No buildup may contain itself through other buildups.
    WITH RECURSIVE reach(product_id, path) AS (
        SELECT component_id, ARRAY[buildup_id, component_id] FROM ar.buildup_components WHERE buildup_id = v_buildup.id
        UNION ALL
        SELECT b.component_id, r.path || b.component_id
        FROM reach r JOIN ar.buildup_components b ON b.buildup_id = r.product_id
        WHERE NOT b.component_id = ANY (r.path[2:])
    )
    SELECT string_agg(p.code, ' > ' ORDER BY ord) INTO v_cycle
    FROM (SELECT path FROM reach WHERE product_id = v_buildup.id LIMIT 1) c, unnest(c.path) WITH ORDINALITY AS u(id, ord) JOIN ar.products p ON p.id = u.id;
    IF v_cycle IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'components', format('buildup %s would contain itself: %s', v_buildup.code, v_cycle), 'Remove the component that leads back to it.');
    END IF;
    UPDATE ar.products SET version = version + 1 WHERE id = v_buildup.id;
    RETURN v_buildup.version + 1;
END
$$;
COMMENT ON FUNCTION api.set_buildup_components(text, jsonb) IS 'Sets what one unit of a buildup is made of ([{"product": CODE, "quantity": N}]); refuses cycles.';

CREATE OR REPLACE FUNCTION api.set_product_price(p_price_list text, p_product text, p_price numeric, p_valid_from date DEFAULT current_date)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_list bigint := ar.lookup('price_lists', ar.required_text(p_price_list, 'price_list'), 'price_list', 'price list', 'postgate ref price-lists add CODE --name NAME --currency CUR');
    v_product bigint := ar.lookup('products', ar.required_text(p_product, 'product'), 'product', 'product', 'postgate products add CODE --name NAME');
BEGIN
    PERFORM ar.checked_decimal(p_price, 'price', 4, 1e10);
    IF p_price IS NULL OR p_price < 0 THEN
        PERFORM ar.fail('PG400', 'price', format('price must be zero or more with at most 4 decimals, not %s', coalesce(p_price::text, 'empty')), NULL);
    END IF;
    INSERT INTO ar.product_prices (price_list_id, product_id, valid_from, price) VALUES (v_list, v_product, coalesce(p_valid_from, current_date), p_price)
    ON CONFLICT (price_list_id, product_id, valid_from) DO UPDATE SET price = excluded.price;
END
$$;
COMMENT ON FUNCTION api.set_product_price(text, text, numeric, date) IS 'Sets a product''s unit price in a price list from a date on (replacing a price set for the same date).';

CREATE OR REPLACE FUNCTION api.product_price(p_price_list text, p_product text, p_on date)
RETURNS numeric LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_price numeric;
BEGIN
    SELECT pp.price INTO v_price FROM ar.product_prices pp
    JOIN ar.price_lists l ON l.id = pp.price_list_id JOIN ar.products p ON p.id = pp.product_id
    WHERE lower(l.code) = lower(btrim(p_price_list)) AND lower(p.code) = lower(btrim(p_product)) AND pp.valid_from <= p_on
    ORDER BY pp.valid_from DESC LIMIT 1;
    IF v_price IS NULL THEN
        PERFORM ar.fail('PG404', 'price', format('price list %s has no price for %s on %s', p_price_list, p_product, p_on),
                        format('Set one: postgate products price %s %s PRICE --valid-from DATE', p_price_list, p_product));
    END IF;
    RETURN v_price;
END
$$;
COMMENT ON FUNCTION api.product_price(text, text, date) IS 'The unit price of a product in a price list on a date.';

CREATE OR REPLACE VIEW api.product_details AS
SELECT p.id, p.code, p.name, p.unit, t.code AS default_tax_rate, it.code AS customer_item_type,
       p.serial_tracking, p.track_on, p.track_expiry, p.is_buildup, p.active, p.version,
       coalesce((SELECT jsonb_agg(jsonb_build_object('product', c.code, 'quantity', b.quantity) ORDER BY c.code)
                 FROM ar.buildup_components b JOIN ar.products c ON c.id = b.component_id WHERE b.buildup_id = p.id), '[]') AS components,
       coalesce((SELECT sum(s.quantity) FROM ar.stock_on_hand s WHERE s.product_id = p.id), 0) AS on_hand
FROM ar.products p
LEFT JOIN ar.tax_rates t ON t.id = p.default_tax_rate_id
LEFT JOIN ar.customer_item_types it ON it.id = p.customer_item_type_id;
COMMENT ON VIEW api.product_details IS 'A product with its references as codes, buildup components and total on hand.';

CREATE OR REPLACE FUNCTION api.list_products(p_search text DEFAULT NULL, p_limit integer DEFAULT 100, p_offset integer DEFAULT 0)
RETURNS SETOF api.product_details LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_pattern text := '%' || replace(replace(replace(coalesce(p_search, ''), '\', '\\'), '%', '\%'), '_', '\_') || '%';
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        PERFORM ar.fail('PG400', 'limit', format('limit must be between 1 and 1000, not %s', coalesce(p_limit::text, 'empty')), 'Page through longer lists with offset.');
    END IF;
    RETURN QUERY SELECT * FROM api.product_details d
    WHERE p_search IS NULL OR d.code ILIKE v_pattern OR d.name ILIKE v_pattern
    ORDER BY lower(d.code) LIMIT p_limit OFFSET greatest(coalesce(p_offset, 0), 0);
END
$$;

CREATE OR REPLACE FUNCTION api.get_product(p_code text)
RETURNS SETOF api.product_details LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT * FROM api.product_details d WHERE lower(d.code) = lower(btrim(p_code));
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'product', format('there is no product with code %L', p_code), 'Check the code: postgate products list --search TEXT');
    END IF;
END
$$;

-- The catalog is administered through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION
    api.save_item_type(text, text, integer, integer, integer),
    api.save_location(text, text, boolean, integer),
    api.save_product(jsonb, integer),
    api.set_buildup_components(text, jsonb),
    api.set_product_price(text, text, numeric, date)
FROM postgate_client;
GRANT EXECUTE ON FUNCTION
    api.product_price(text, text, date),
    api.list_products(text, integer, integer),
    api.get_product(text)
TO postgate_client;

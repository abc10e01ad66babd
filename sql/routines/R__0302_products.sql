-- Products: serial tracking (none, unique, batch), expiry, buildups, customer item types; and
-- how clients read them.
SET LOCAL ROLE postgate_owner;

-- Where a product's stock is, as a sentence: "12 on hand: 10 at MAIN, 2 at VAN".
CREATE OR REPLACE FUNCTION ar.stock_sentence(p_product_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT trim_scale(sum(q)) || ' on hand: ' || string_agg(trim_scale(q) || ' at ' || code, ', ' ORDER BY code)
    FROM (SELECT l.code, sum(s.quantity)::numeric AS q
          FROM ar.stock_on_hand s JOIN ar.locations l ON l.id = s.location_id
          WHERE s.product_id = p_product_id AND s.quantity > 0 GROUP BY l.code) per_location
$$;

-- Applies the fields present in p_product (other than code) onto a product row, resolving codes.
CREATE OR REPLACE FUNCTION ar.product_apply(p ar.products, p_product jsonb) RETURNS ar.products
LANGUAGE plpgsql AS $$
BEGIN
    IF p_product ? 'name' THEN p.name := ar.required_text(ar.text_field(p_product, 'name'), 'name'); END IF;
    IF p.name IS NULL THEN PERFORM ar.fail('PG422', 'name', 'a new product needs a name', 'Give the product a name.'); END IF;
    IF p_product ? 'unit' THEN p.unit := ar.required_text(ar.text_field(p_product, 'unit'), 'unit'); END IF;
    IF p_product ? 'default_tax_rate' THEN
        p.default_tax_rate_id := ar.lookup('tax_rates', ar.text_field(p_product, 'default_tax_rate'), 'default_tax_rate', 'tax rate');
    END IF;
    IF p_product ? 'customer_item_type' THEN
        p.customer_item_type_id := ar.lookup('customer_item_types', ar.text_field(p_product, 'customer_item_type'),
                                             'customer_item_type', 'customer item type');
    END IF;
    IF p_product ? 'serial_tracking' THEN
        p.serial_tracking := ar.required_text(ar.text_field(p_product, 'serial_tracking'), 'serial_tracking');
        IF p.serial_tracking NOT IN ('none', 'unique', 'batch') THEN
            PERFORM ar.fail('PG400', 'serial_tracking', format('serial_tracking %L is not none, unique or batch', p.serial_tracking),
                            'Use unique for one serial per unit (TVs), batch for a serial covering a quantity (carpet rolls), none otherwise.');
        END IF;
    END IF;
    IF p_product ? 'track_on' THEN
        p.track_on := ar.required_text(ar.text_field(p_product, 'track_on'), 'track_on');
        IF p.track_on NOT IN ('sales', 'purchases', 'both') THEN
            PERFORM ar.fail('PG400', 'track_on', format('track_on %L is not sales, purchases or both', p.track_on),
                            'Say where serials are recorded.');
        END IF;
    END IF;
    IF p_product ? 'track_expiry' THEN p.track_expiry := coalesce(ar.flag_field(p_product, 'track_expiry'), false); END IF;
    IF p_product ? 'is_buildup' THEN p.is_buildup := coalesce(ar.flag_field(p_product, 'is_buildup'), false); END IF;
    IF p_product ? 'active' THEN p.active := coalesce(ar.flag_field(p_product, 'active'), true); END IF;
    RETURN p;
END
$$;
COMMENT ON FUNCTION ar.product_apply(ar.products, jsonb) IS
    'Sets the fields given as JSON on a product row, resolving codes; each bad field is a PG400/PG404 refusal naming it.';

-- The rules a product must meet; p_stored is the product as stored (all NULL for a new one).
CREATE OR REPLACE FUNCTION ar.product_check(p ar.products, p_stored ar.products) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_stock text;
BEGIN
    IF p.track_expiry AND p.serial_tracking = 'none' THEN
        PERFORM ar.fail('PG422', 'track_expiry', 'expiry dates are kept per serial, so a product without serial tracking cannot track them',
                        'Set serial_tracking to unique or batch, or leave track_expiry off.');
    END IF;
    IF p.is_buildup AND p.serial_tracking <> 'none' THEN
        PERFORM ar.fail('PG422', 'is_buildup', 'a buildup has no stock or serials of its own: its components do',
                        'Track serials on the components instead.');
    END IF;
    IF p_stored.id IS NOT NULL AND p_stored.serial_tracking <> p.serial_tracking THEN
        v_stock := ar.stock_sentence(p.id);
        IF v_stock IS NOT NULL THEN
            PERFORM ar.fail('PG422', 'serial_tracking',
                            format('product %s has stock (%s); its serial tracking changes only at zero stock', p.code, v_stock),
                            'Write the stock off (or sell it) first, change the tracking, then receive it again with serials.');
        END IF;
    END IF;
    IF p_stored.id IS NOT NULL AND p.is_buildup AND NOT p_stored.is_buildup AND ar.stock_sentence(p.id) IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'is_buildup', format('product %s has stock (%s); a buildup has none of its own', p.code, ar.stock_sentence(p.id)),
                        'Write the stock off first.');
    END IF;
END
$$;
COMMENT ON FUNCTION ar.product_check(ar.products, ar.products) IS
    'Refuses a product that breaks a rule: expiry without serials, a buildup with serials, tracking changed or a buildup made with stock.';

CREATE OR REPLACE FUNCTION api.save_product(p_product jsonb, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text;
    v_stored ar.products;
    p ar.products;
BEGIN
    PERFORM ar.check_fields(p_product, ARRAY['code', 'name', 'unit', 'default_tax_rate', 'customer_item_type', 'serial_tracking', 'track_on',
                                             'track_expiry', 'is_buildup', 'active'], 'a product');
    v_code := ar.code_text(ar.text_field(p_product, 'code'), 'code');
    SELECT * INTO v_stored FROM ar.products WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF v_stored.id IS NOT NULL THEN
        PERFORM ar.check_version('product', v_stored.code, v_stored.version, p_version);
        p := v_stored;
    ELSE
        p.code := v_code;
        p.unit := 'unit';
        p.serial_tracking := 'none';
        p.track_on := 'both';
        p.track_expiry := false;
        p.is_buildup := false;
        p.active := true;
    END IF;
    p := ar.product_apply(p, p_product);
    PERFORM ar.product_check(p, v_stored);
    IF v_stored.id IS NULL THEN
        INSERT INTO ar.products (code, name, unit, default_tax_rate_id, customer_item_type_id, serial_tracking, track_on, track_expiry,
                                 is_buildup, active)
        VALUES (p.code, p.name, p.unit, p.default_tax_rate_id, p.customer_item_type_id, p.serial_tracking, p.track_on, p.track_expiry,
                p.is_buildup, p.active);
        RETURN 1;
    END IF;
    UPDATE ar.products SET name = p.name, unit = p.unit, default_tax_rate_id = p.default_tax_rate_id,
        customer_item_type_id = p.customer_item_type_id, serial_tracking = p.serial_tracking, track_on = p.track_on,
        track_expiry = p.track_expiry, is_buildup = p.is_buildup, active = p.active, version = version + 1
    WHERE id = p.id;
    RETURN p.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_product(jsonb, integer) IS
    'Adds a product from a JSON object of fields, or changes one when given its version. Serial tracking changes only while no stock is on hand.';

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
        PERFORM ar.fail('PG400', 'limit', format('limit must be between 1 and 1000, not %s', coalesce(p_limit::text, 'empty')),
                        'Page through longer lists with offset.');
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
        PERFORM ar.fail_missing('products', 'product', format('there is no product with code %L', p_code),
                        'Create the product first, or name an existing one.');
    END IF;
END
$$;

-- Products are administered through the service; other applications read them.
REVOKE EXECUTE ON FUNCTION api.save_product(jsonb, integer) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.list_products(text, integer, integer), api.get_product(text) TO postgate_client;

-- What a buildup is made of, and product prices per price list and date.
SET LOCAL ROLE postgate_owner;

-- The path by which a buildup would contain itself through its components ("KIT > BOX > KIT"),
-- or NULL when it does not.
CREATE OR REPLACE FUNCTION ar.buildup_cycle(p_buildup_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    WITH RECURSIVE reach(product_id, path) AS (
        SELECT component_id, ARRAY[buildup_id, component_id] FROM ar.buildup_components WHERE buildup_id = p_buildup_id
        UNION ALL
        SELECT b.component_id, r.path || b.component_id
        FROM reach r JOIN ar.buildup_components b ON b.buildup_id = r.product_id
        WHERE NOT b.component_id = ANY (r.path[2:])
    )
    SELECT string_agg(p.code, ' > ' ORDER BY ord)
    FROM (SELECT path FROM reach WHERE product_id = p_buildup_id LIMIT 1) c, unnest(c.path) WITH ORDINALITY AS u(id, ord)
    JOIN ar.products p ON p.id = u.id
$$;

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
        PERFORM ar.fail_missing('products', 'product', format('there is no product with code %L', p_product),
                        'Create the product first, or name an existing one.');
    END IF;
    IF NOT v_buildup.is_buildup THEN
        PERFORM ar.fail('PG422', 'product', format('product %s is not a buildup', v_buildup.code),
                        format('Mark product %s as a buildup first (is_buildup), or name a product that is one.', v_buildup.code));
    END IF;
    IF p_components IS NULL OR jsonb_typeof(p_components) <> 'array' OR jsonb_array_length(p_components) = 0 THEN
        PERFORM ar.fail('PG400', 'components', 'components must be a non-empty list of {"product": CODE, "quantity": N}',
                        'Name at least one component.');
    END IF;
    DELETE FROM ar.buildup_components WHERE buildup_id = v_buildup.id;
    FOR v_item IN SELECT * FROM jsonb_array_elements(p_components) LOOP
        v_count := v_count + 1;
        v_component := ar.lookup('products', ar.required_text(v_item ->> 'product', format('components[%s].product', v_count)),
                                 format('components[%s].product', v_count), 'product');
        v_quantity := ar.decimal_field(v_item, 'quantity', format('components[%s].quantity', v_count), 4, 1e10);
        IF v_quantity IS NULL OR v_quantity <= 0 THEN
            PERFORM ar.fail('PG400', format('components[%s].quantity', v_count),
                            format('component quantity must be greater than zero with at most 4 decimals, not %s',
                                   coalesce(v_quantity::text, 'empty')), NULL);
        END IF;
        IF v_component = v_buildup.id THEN
            PERFORM ar.fail('PG422', format('components[%s].product', v_count), format('buildup %s cannot contain itself', v_buildup.code), NULL);
        END IF;
        INSERT INTO ar.buildup_components (buildup_id, component_id, quantity) VALUES (v_buildup.id, v_component, v_quantity)
        ON CONFLICT (buildup_id, component_id) DO UPDATE SET quantity = ar.buildup_components.quantity + excluded.quantity;
    END LOOP;
    v_cycle := ar.buildup_cycle(v_buildup.id);
    IF v_cycle IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'components', format('buildup %s would contain itself: %s', v_buildup.code, v_cycle),
                        'Remove the component that leads back to it.');
    END IF;
    UPDATE ar.products SET version = version + 1 WHERE id = v_buildup.id;
    RETURN v_buildup.version + 1;
END
$$;
COMMENT ON FUNCTION api.set_buildup_components(text, jsonb) IS
    'Sets what one unit of a buildup is made of ([{"product": CODE, "quantity": N}]); refuses cycles.';

-- The unit price of a product in a price list on a date: the latest valid on or before it.
CREATE OR REPLACE FUNCTION ar.price_on(p_price_list_id bigint, p_product_id bigint, p_on date) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT pp.price FROM ar.product_prices pp
    WHERE pp.price_list_id = p_price_list_id AND pp.product_id = p_product_id AND pp.valid_from <= p_on
    ORDER BY pp.valid_from DESC LIMIT 1
$$;
COMMENT ON FUNCTION ar.price_on(bigint, bigint, date) IS 'A product''s price in a price list on a date (the latest valid then), NULL when none.';

CREATE OR REPLACE FUNCTION api.set_product_price(p_price_list text, p_product text, p_price numeric, p_valid_from date DEFAULT current_date)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_list bigint := ar.lookup('price_lists', ar.required_text(p_price_list, 'price_list'), 'price_list', 'price list');
    v_product bigint := ar.lookup('products', ar.required_text(p_product, 'product'), 'product', 'product');
BEGIN
    PERFORM ar.checked_decimal(p_price, 'price', 4, 1e10);
    IF p_price IS NULL OR p_price < 0 THEN
        PERFORM ar.fail('PG400', 'price', format('price must be zero or more with at most 4 decimals, not %s', coalesce(p_price::text, 'empty')),
                        NULL);
    END IF;
    INSERT INTO ar.product_prices (price_list_id, product_id, valid_from, price)
    VALUES (v_list, v_product, coalesce(p_valid_from, current_date), p_price)
    ON CONFLICT (price_list_id, product_id, valid_from) DO UPDATE SET price = excluded.price;
END
$$;
COMMENT ON FUNCTION api.set_product_price(text, text, numeric, date) IS
    'Sets a product''s unit price in a price list from a date on (replacing a price set for the same date).';

CREATE OR REPLACE FUNCTION api.product_price(p_price_list text, p_product text, p_on date)
RETURNS numeric LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_price numeric := ar.price_on((SELECT l.id FROM ar.price_lists l WHERE lower(l.code) = lower(btrim(p_price_list))),
                                   (SELECT p.id FROM ar.products p WHERE lower(p.code) = lower(btrim(p_product))), p_on);
BEGIN
    IF v_price IS NULL THEN
        PERFORM ar.fail('PG404', 'price', format('price list %s has no price for %s on %s', p_price_list, p_product, p_on),
                        format('Set a price for %s in price list %s valid from %s or earlier.', p_product, p_price_list, p_on));
    END IF;
    RETURN v_price;
END
$$;
COMMENT ON FUNCTION api.product_price(text, text, date) IS 'The unit price of a product in a price list on a date.';

-- Buildups and prices are administered through the service; other applications read prices.
REVOKE EXECUTE ON FUNCTION api.set_buildup_components(text, jsonb), api.set_product_price(text, text, numeric, date) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.product_price(text, text, date) TO postgate_client;

-- Customer items (the installed base): the items a draft's lines will create, their review,
-- which of them a posting creates under the settings in force, and items entered by hand.
SET LOCAL ROLE postgate_owner;

-- The customer items a line may create, regenerated whenever the line changes (which resets their
-- review). All kinds are kept; which of them a posting creates is decided by the settings in force
-- when it posts (ar.items_to_create).
CREATE OR REPLACE FUNCTION ar.refresh_pending_items(p_line_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    l record;
    v_units integer;
    v_parent bigint;
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
            SELECT l.invoice_id, l.id, l.product_id, l.customer_item_type_id, row_number() OVER (ORDER BY id), serial, quantity, l.invoice_date,
                   'batch'
            FROM ar.invoice_line_serials WHERE line_id = l.id;
        ELSE
            INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, unit_no, warranty_start)
            SELECT l.invoice_id, l.id, l.product_id, l.customer_item_type_id, n, l.invoice_date FROM generate_series(1, v_units) n;
        END IF;
    END IF;
    IF l.is_buildup THEN
        FOR v_unit IN 1 .. v_units LOOP
            SELECT id INTO v_parent FROM ar.pending_customer_items
            WHERE line_id = l.id AND unit_no = v_unit AND parent_id IS NULL AND kind = 'unit';
            -- A unique-serial component's items carry its serials from the kit's line, in the order given.
            FOR c IN SELECT b.component_id, ceil(b.quantity)::integer AS units, p.customer_item_type_id, p.serial_tracking
                     FROM ar.buildup_components b JOIN ar.products p ON p.id = b.component_id
                     WHERE b.buildup_id = l.product_id AND p.customer_item_type_id IS NOT NULL LOOP
                INSERT INTO ar.pending_customer_items (invoice_id, line_id, product_id, item_type_id, parent_id, unit_no, serial, warranty_start,
                                                       kind)
                SELECT l.invoice_id, l.id, c.component_id, c.customer_item_type_id, v_parent, v_unit, s.serial, l.invoice_date, 'component'
                FROM generate_series(1, c.units) k
                LEFT JOIN (SELECT ls.serial, row_number() OVER (ORDER BY ls.id) AS r FROM ar.invoice_line_serials ls
                           WHERE ls.line_id = l.id AND ls.component_id = c.component_id) s
                    ON c.serial_tracking = 'unique' AND s.r = (v_unit - 1) * c.units + k;
            END LOOP;
        END LOOP;
    END IF;
END
$$;

-- The customer items pending on drafts that a posting would create under the settings in force
-- now: the global switch and the customer's, and the switches for batch serials and components.
CREATE OR REPLACE FUNCTION ar.items_to_create(p_ids bigint[]) RETURNS SETOF ar.pending_customer_items
LANGUAGE sql STABLE AS $$
    SELECT pi.*
    FROM ar.pending_customer_items pi
    JOIN ar.invoices i ON i.id = pi.invoice_id
    JOIN ar.customers c ON c.id = i.customer_id
    WHERE pi.invoice_id = ANY (p_ids)
      AND c.create_customer_items AND (ar.setting('create_customer_items'))::boolean
      AND CASE pi.kind WHEN 'batch' THEN (ar.setting('batch_serial_items'))::boolean
                       WHEN 'component' THEN (ar.setting('buildup_component_items'))::boolean
                       ELSE true END
$$;
COMMENT ON FUNCTION ar.items_to_create(bigint[]) IS
    'The pending customer items of these invoices that posting them now would create, under the settings in force.';

-- The events of new customer items, the one place that says which events an item has: its
-- creation on the warranty start, the end of its warranty, and its first service when due.
CREATE OR REPLACE FUNCTION ar.record_customer_item_events(p_items bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar.customer_item_events (item_id, kind, on_date)
    SELECT ci.id, e.kind, e.on_date
    FROM ar.customer_items ci
    CROSS JOIN LATERAL (VALUES (1, 'created', ci.warranty_start), (2, 'warranty_ends', ci.warranty_end),
                               (3, 'service_due', ci.next_service)) e(n, kind, on_date)
    WHERE ci.id = ANY (p_items) AND e.on_date IS NOT NULL
    ORDER BY ci.id, e.n;
END
$$;
COMMENT ON FUNCTION ar.record_customer_item_events(bigint[]) IS
    'Records the events of new customer items: created, warranty ends, service due (when it has a service interval).';

-- Creates the customer items of invoices being posted: one per pending item in force, under
-- its buildup's item where it has one. Ids are drawn first, so a component can name its parent
-- in the same insert.
CREATE OR REPLACE FUNCTION ar.create_posted_customer_items(p_ids bigint[], p_mode text, p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_items bigint[];
BEGIN
    WITH pending AS MATERIALIZED (
        SELECT pi.*, nextval(pg_get_serial_sequence('ar.customer_items', 'id')) AS item_id
        FROM ar.items_to_create(p_ids) pi ORDER BY pi.id
    ),
    created AS (
        INSERT INTO ar.customer_items (id, customer_id, product_id, item_type_id, parent_id, serial, quantity, source, invoice_id,
                                       invoice_line_id, warranty_start, warranty_end, next_service, notes, created_by)
        OVERRIDING SYSTEM VALUE
        SELECT pi.item_id, i.customer_id, pi.product_id, pi.item_type_id, parent.item_id, pi.serial, pi.quantity,
               CASE p_mode WHEN 'pos' THEN 'pos' ELSE 'invoice' END, i.id, pi.line_id,
               coalesce(pi.warranty_start, i.invoice_date),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.warranty_months),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.service_interval_months),
               pi.notes, p_actor
        FROM pending pi JOIN ar.invoices i ON i.id = pi.invoice_id JOIN ar.customer_item_types t ON t.id = pi.item_type_id
        LEFT JOIN pending parent ON parent.id = pi.parent_id
        RETURNING id
    )
    SELECT array_agg(id) INTO v_items FROM created;
    PERFORM ar.record_customer_item_events(v_items);
END
$$;

CREATE OR REPLACE FUNCTION api.update_pending_item(p_item bigint, p_changes jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_item ar.pending_customer_items;
BEGIN
    SELECT * INTO v_item FROM ar.pending_customer_items WHERE id = p_item FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'item', format('there is no pending customer item %s', p_item),
                        'Name an item a draft will create: each draft invoice lists its pending items.');
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
COMMENT ON FUNCTION api.update_pending_item(bigint, jsonb) IS
    'Edits the details (serial, warranty_start, notes) of a customer item a draft will create; the item must be reviewed again.';

CREATE OR REPLACE FUNCTION api.review_customer_items(p_invoice bigint, p_reviewer text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_count integer;
BEGIN
    PERFORM ar.draft_for_update(p_invoice);
    UPDATE ar.pending_customer_items SET reviewed_by = coalesce(p_reviewer, session_user), reviewed_at = now()
    WHERE invoice_id = p_invoice AND reviewed_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    PERFORM ar.touch_invoice(p_invoice);
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION api.review_customer_items(bigint, text) IS
    'Confirms the details of every customer item a draft will create; returns how many were confirmed.';

-- Customer items entered by hand.
CREATE OR REPLACE FUNCTION api.add_customer_item(p_item jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_customer bigint := ar.lookup('customers', ar.required_text(p_item ->> 'customer', 'customer'), 'customer', 'customer');
    v_product ar.products;
    v_type ar.customer_item_types;
    v_start date;
    v_id bigint;
BEGIN
    SELECT * INTO v_product FROM ar.products WHERE lower(code) = lower(btrim(ar.required_text(p_item ->> 'product', 'product')));
    IF NOT FOUND THEN
        PERFORM ar.fail_missing('products', 'product', format('there is no product %L', p_item ->> 'product'),
                        'Create the product first, or name an existing one.');
    END IF;
    SELECT * INTO v_type FROM ar.customer_item_types
    WHERE id = coalesce(ar.lookup('customer_item_types', p_item ->> 'item_type', 'item_type', 'customer item type'),
                        v_product.customer_item_type_id);
    IF NOT FOUND THEN
        PERFORM ar.fail('PG400', 'item_type', format('product %s has no customer item type', v_product.code), 'Name the item_type.');
    END IF;
    v_start := coalesce(ar.date_value(p_item -> 'warranty_start', 'warranty_start'), current_date);
    INSERT INTO ar.customer_items (customer_id, product_id, item_type_id, serial, source, warranty_start, warranty_end, next_service, notes)
    VALUES (v_customer, v_product.id, v_type.id, nullif(btrim(p_item ->> 'serial'), ''), 'manual', v_start,
            v_start + make_interval(months => v_type.warranty_months), v_start + make_interval(months => v_type.service_interval_months),
            coalesce(p_item ->> 'notes', ''))
    RETURNING id INTO v_id;
    PERFORM ar.record_customer_item_events(ARRAY[v_id]);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.add_customer_item(jsonb) IS
    'Records a customer item by hand: {"customer", "product", "item_type" (default: the product''s), "serial", "warranty_start", "notes"}.';

GRANT EXECUTE ON FUNCTION
    api.update_pending_item(bigint, jsonb), api.review_customer_items(bigint, text), api.add_customer_item(jsonb)
TO postgate_client;

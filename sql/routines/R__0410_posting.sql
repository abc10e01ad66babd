-- Posting: the facts the rules need, and the posting itself. Only postgate_service may call
-- these, so nothing posts without the policy. The data rules (serials complete and in stock,
-- stock available, tax allowed, still a draft) are computed here once: the same function feeds
-- the preview and guards the posting.
SET LOCAL ROLE postgate_owner;

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
COMMENT ON FUNCTION ar.items_to_create(bigint[]) IS 'The pending customer items of these invoices that posting them now would create, under the settings in force.';

-- Where a unique serial that is not in stock at a line's location is instead: in stock at
-- another location, or gone (sold, written off). NULL when it is there, or was never recorded
-- (then it is entered as added at sale).
CREATE OR REPLACE FUNCTION ar.serial_whereabouts(p_product_id bigint, p_serial text, p_location_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT FROM ar.stock_on_hand h WHERE h.serial_key = s.id AND h.location_id = p_location_id AND h.quantity > 0) THEN NULL
        WHEN elsewhere.code IS NOT NULL THEN format('in stock at %s', elsewhere.code)
        WHEN last.kind = 'sale' THEN format('already sold (%s to %s on %s)', last.reference, last.customer, last.document_date)
        WHEN last.kind = 'write_off' THEN format('written off on %s', last.document_date)
        ELSE 'not in stock anywhere' END
    FROM ar.serials s
    LEFT JOIN LATERAL (
        SELECT l.code FROM ar.stock_on_hand h JOIN ar.locations l ON l.id = h.location_id
        WHERE h.serial_key = s.id AND h.quantity > 0 ORDER BY l.code LIMIT 1) elsewhere ON true
    LEFT JOIN LATERAL (
        SELECT d.kind, d.reference, d.document_date, c.code AS customer
        FROM ar.stock_movements m JOIN ar.stock_documents d ON d.id = m.document_id LEFT JOIN ar.customers c ON c.id = d.customer_id
        WHERE m.serial_id = s.id ORDER BY m.id DESC LIMIT 1) last ON true
    WHERE s.product_id = p_product_id AND s.serial = p_serial
$$;
COMMENT ON FUNCTION ar.serial_whereabouts(bigint, text, bigint) IS
    'Why a unique serial cannot be sold from a location: where it is instead, or that it is gone. NULL: it is there, or was never recorded.';

-- What each line of these invoices takes from stock: untracked products (a buildup: its
-- components) and serials. A serial never recorded is entered at the sale: it comes in and goes
-- out on the sale document, so its history shows both. The facts and the posting both read this.
CREATE OR REPLACE FUNCTION ar.sale_moves(p_ids bigint[])
RETURNS TABLE (invoice_id bigint, line_no integer, product_id bigint, location_id bigint, serial_key bigint, serial text, quantity numeric,
               added_at_sale boolean)
LANGUAGE sql STABLE AS $$
    SELECT l.invoice_id, l.line_no, l.product_id, l.location_id, 0::bigint, NULL::text, l.quantity, false
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id
    WHERE l.invoice_id = ANY (p_ids) AND NOT p.is_buildup AND p.serial_tracking = 'none' AND l.location_id IS NOT NULL
    UNION ALL
    SELECT l.invoice_id, l.line_no, b.component_id, l.location_id, 0, NULL, l.quantity * b.quantity, false
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id AND p.is_buildup
    JOIN ar.buildup_components b ON b.buildup_id = p.id JOIN ar.products cp ON cp.id = b.component_id AND cp.serial_tracking = 'none'
    WHERE l.invoice_id = ANY (p_ids) AND l.location_id IS NOT NULL
    UNION ALL
    SELECT l.invoice_id, l.line_no, l.product_id, l.location_id, coalesce(s.id, 0), ls.serial, ls.quantity, s.id IS NULL OR s.added_at_sale AND NOT EXISTS (
               SELECT FROM ar.stock_movements m WHERE m.serial_id = s.id)
    FROM ar.invoice_lines l JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
    LEFT JOIN ar.serials s ON s.product_id = l.product_id AND s.serial = ls.serial
    WHERE l.invoice_id = ANY (p_ids) AND l.location_id IS NOT NULL
$$;
COMMENT ON FUNCTION ar.sale_moves(bigint[]) IS 'What posting these invoices takes out of stock, line by line (added_at_sale: a serial never recorded before).';

-- Per invoice: every fact of the data, set-based for any number of invoices.
DROP FUNCTION IF EXISTS api.posting_facts(bigint[], boolean);
DROP FUNCTION IF EXISTS ar.invoice_facts(bigint[]) CASCADE;
CREATE FUNCTION ar.invoice_facts(p_ids bigint[])
RETURNS TABLE (invoice_id bigint, version integer, status text, reference text, customer_id bigint, customer text, customer_currency text,
               on_hold_invoices boolean, cash_sales_only boolean, credit_limit numeric, open_balance numeric, currency text, total numeric,
               total_customer numeric, line_count integer, missing_serials jsonb, disallowed_taxes jsonb, short_stock jsonb,
               unavailable_serials jsonb, unreviewed integer, items_to_create integer)
LANGUAGE sql STABLE AS $$
    WITH ids AS MATERIALIZED (
        SELECT DISTINCT x AS id FROM unnest(p_ids) x
    ),
    inv AS MATERIALIZED (
        SELECT i.*, c.code AS customer_code, c.currency AS customer_currency, c.on_hold AND c.hold_sales_invoice AS held,
               pt.cash_sales_only, c.credit_limit, cur.minor_units AS customer_minor_units
        FROM ids JOIN ar.invoices i ON i.id = ids.id JOIN ar.customers c ON c.id = i.customer_id
        JOIN ar.payment_terms pt ON pt.id = c.payment_terms_id JOIN ar.currencies cur ON cur.code = c.currency
    ),
    lines AS MATERIALIZED (
        SELECT l.*, p.code AS product_code, p.serial_tracking, p.track_on, p.is_buildup, i.customer_id
        FROM inv i JOIN ar.invoice_lines l ON l.invoice_id = i.id JOIN ar.products p ON p.id = l.product_id
    ),
    line_counts AS (
        SELECT invoice_id, count(*)::integer AS n FROM lines GROUP BY invoice_id
    ),
    -- Tax problems only where the customer is exempt or has a category: the rest may use any rate.
    tax_lines AS (
        SELECT l.invoice_id, l.line_no, l.tax_rate_id, ar.tax_problem(l.customer_id, l.tax_rate_id) AS problem
        FROM lines l JOIN ar.customers c ON c.id = l.customer_id
        WHERE c.tax_exempt OR c.tax_category_id IS NOT NULL
    ),
    serial_totals AS (
        SELECT s.line_id, sum(s.quantity) AS quantity FROM ar.invoice_line_serials s JOIN lines l ON l.id = s.line_id GROUP BY s.line_id
    ),
    missing AS (
        SELECT l.invoice_id, jsonb_agg(jsonb_build_object('line', l.line_no, 'product', l.product_code,
                   'missing', trim_scale(l.quantity - coalesce(st.quantity, 0))) ORDER BY l.line_no) AS items
        FROM lines l LEFT JOIN serial_totals st ON st.line_id = l.id
        WHERE l.serial_tracking <> 'none' AND l.track_on <> 'purchases' AND l.quantity > coalesce(st.quantity, 0)
        GROUP BY l.invoice_id
    ),
    taxes AS (
        SELECT l.invoice_id, jsonb_agg(jsonb_build_object('line', l.line_no, 'tax_rate', t.code, 'reason', l.problem) ORDER BY l.line_no) AS items
        FROM tax_lines l JOIN ar.tax_rates t ON t.id = l.tax_rate_id
        WHERE l.problem IS NOT NULL
        GROUP BY l.invoice_id
    ),
    -- A unique serial is in one place at a time: one sold, written off or at another location
    -- cannot leave this one, and one named twice on the invoice cannot leave twice.
    unique_serials AS (
        SELECT l.invoice_id, l.line_no, l.product_id, l.product_code, ls.serial,
               CASE WHEN s.id IS NULL OR h.quantity > 0 THEN NULL ELSE ar.serial_whereabouts(l.product_id, ls.serial, l.location_id) END AS whereabouts,
               count(*) OVER (PARTITION BY l.invoice_id, l.product_id, ls.serial) AS times
        FROM lines l JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
        LEFT JOIN ar.serials s ON s.product_id = l.product_id AND s.serial = ls.serial
        LEFT JOIN ar.stock_on_hand h ON h.product_id = l.product_id AND h.location_id = l.location_id AND h.serial_key = s.id
        WHERE l.serial_tracking = 'unique'
    ),
    unavailable AS (
        SELECT u.invoice_id, jsonb_agg(jsonb_build_object('line', u.line_no, 'product', u.product_code, 'serial', u.serial,
                   'reason', coalesce(u.whereabouts, 'named on more than one line of this invoice')) ORDER BY u.line_no, u.serial) AS items
        FROM unique_serials u WHERE u.whereabouts IS NOT NULL OR u.times > 1
        GROUP BY u.invoice_id
    ),
    needs AS (
        SELECT m.* FROM ar.sale_moves(p_ids) m WHERE NOT m.added_at_sale
    ),
    short AS (
        SELECT n.invoice_id, jsonb_agg(jsonb_build_object('line', n.line_no, 'product', p.code, 'location', loc.code,
                   'serial', s.serial, 'needed', trim_scale(n.quantity), 'on_hand', trim_scale(coalesce(h.quantity, 0))) ORDER BY n.line_no) AS items
        FROM (SELECT invoice_id, min(line_no) AS line_no, product_id, location_id, serial_key, sum(quantity) AS quantity
              FROM needs GROUP BY invoice_id, product_id, location_id, serial_key) n
        JOIN ar.products p ON p.id = n.product_id JOIN ar.locations loc ON loc.id = n.location_id
        LEFT JOIN ar.serials s ON s.id = n.serial_key
        LEFT JOIN ar.stock_on_hand h ON h.product_id = n.product_id AND h.location_id = n.location_id AND h.serial_key = n.serial_key
        -- A unique serial that is not there is reported with its whereabouts instead.
        WHERE coalesce(h.quantity, 0) < n.quantity AND NOT (p.serial_tracking = 'unique' AND n.serial_key <> 0)
        GROUP BY n.invoice_id
    ),
    items AS (
        SELECT pi.invoice_id, count(*)::integer AS total, (count(*) FILTER (WHERE pi.reviewed_at IS NULL))::integer AS unreviewed
        FROM ar.items_to_create(p_ids) pi GROUP BY pi.invoice_id
    ),
    balances AS (
        SELECT e.customer_id, sum(e.amount_customer) AS balance
        FROM ar.ledger_entries e JOIN ar.customers c ON c.id = e.customer_id AND c.currency_epoch = e.currency_epoch
        WHERE e.customer_id IN (SELECT DISTINCT customer_id FROM inv) GROUP BY e.customer_id
    )
    SELECT i.id, i.version, i.status,
           CASE WHEN i.status = 'posted' THEN 'invoice ' || i.number WHEN i.reference = '' THEN 'draft ' || i.id ELSE i.reference END,
           i.customer_id, i.customer_code, i.customer_currency, i.held, i.cash_sales_only, i.credit_limit,
           coalesce(b.balance, 0), i.currency, i.total,
           CASE WHEN i.currency = i.customer_currency THEN i.total
                ELSE round(i.total * ar.conversion_rate(i.currency, i.customer_currency, i.invoice_date), i.customer_minor_units) END,
           coalesce(lc.n, 0),
           coalesce(m.items, '[]'), coalesce(t.items, '[]'), coalesce(s.items, '[]'), coalesce(u.items, '[]'),
           coalesce(it.unreviewed, 0), coalesce(it.total, 0)
    FROM inv i
    LEFT JOIN missing m ON m.invoice_id = i.id
    LEFT JOIN taxes t ON t.invoice_id = i.id
    LEFT JOIN short s ON s.invoice_id = i.id
    LEFT JOIN unavailable u ON u.invoice_id = i.id
    LEFT JOIN items it ON it.invoice_id = i.id
    LEFT JOIN balances b ON b.customer_id = i.customer_id
    LEFT JOIN line_counts lc ON lc.invoice_id = i.id
$$;
COMMENT ON FUNCTION ar.invoice_facts(bigint[]) IS
    'The facts of each invoice that the posting rules read: customer terms and flags, balance, totals, lines missing serials, '
    'taxes not allowed, stock short, serials that are elsewhere or gone, customer items.';

CREATE FUNCTION api.posting_facts(p_ids bigint[], p_lock boolean DEFAULT true)
RETURNS TABLE (invoice_id bigint, version integer, status text, reference text, customer_id bigint, customer text, customer_currency text,
               on_hold_invoices boolean, cash_sales_only boolean, credit_limit numeric, open_balance numeric, currency text, total numeric,
               total_customer numeric, line_count integer, missing_serials jsonb, disallowed_taxes jsonb, short_stock jsonb,
               unavailable_serials jsonb, unreviewed integer, items_to_create integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
BEGIN
    IF p_lock THEN
        -- Customers in id order, then invoices: concurrent postings serialise per customer and cannot deadlock.
        PERFORM 1 FROM ar.customers WHERE id IN (SELECT i.customer_id FROM ar.invoices i WHERE i.id = ANY (p_ids)) ORDER BY id FOR UPDATE;
        PERFORM 1 FROM ar.invoices WHERE id = ANY (p_ids) ORDER BY id FOR UPDATE;
    END IF;
    RETURN QUERY SELECT * FROM ar.invoice_facts(p_ids) f ORDER BY f.invoice_id;
END
$$;
COMMENT ON FUNCTION api.posting_facts(bigint[], boolean) IS 'Locks the customers (in id order) and invoices, and returns the facts the posting rules read. Service only.';
CREATE OR REPLACE FUNCTION api.posting_settings()
RETURNS TABLE (key text, value text) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT key, value::text FROM ar.settings ORDER BY key
$$;

CREATE OR REPLACE FUNCTION api.set_setting(p_key text, p_value jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    UPDATE ar.settings SET value = p_value WHERE key = p_key;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'key', format('there is no setting %L', p_key), format('Use one of: %s.', (SELECT string_agg(key, ', ' ORDER BY key) FROM ar.settings)));
    END IF;
END
$$;
COMMENT ON FUNCTION api.set_setting(text, jsonb) IS 'Changes a global setting (the posting rules read them at each posting).';

-- Posts draft invoices whose decisions allowed it: numbers, ledger, stock and serials out,
-- customer items, audit. Refuses (changing nothing) if any data rule is broken. Works on the
-- owner's tables only: nothing it reads can be created or named by its caller.
CREATE OR REPLACE FUNCTION api.post_invoices(p_ids bigint[], p_findings jsonb, p_actor text, p_mode text, p_batch uuid)
RETURNS TABLE (invoice_id bigint, number bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v_problem record;
    v_next bigint;
    v_count integer := cardinality(p_ids);
    v_ids bigint[];
    v_totals numeric[];
    v_refused jsonb;
    v_expected integer;
    v_updated integer;
BEGIN
    IF v_count IS NULL OR v_count = 0 THEN
        RETURN;
    END IF;
    IF p_mode IS NULL OR p_mode NOT IN ('single', 'mass', 'post_and_pay', 'pos') THEN
        PERFORM ar.fail('PG400', 'mode', format('%L is not a posting mode: single, mass, post_and_pay or pos', p_mode), NULL);
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(p_ids) x) <> v_count THEN
        PERFORM ar.fail('PG400', 'invoices', 'an invoice is named twice in the posting', 'Name each invoice once.');
    END IF;
    IF nullif(btrim(p_actor), '') IS NULL THEN
        PERFORM ar.fail('PG400', 'actor', 'the posting names no actor', 'Say who asked for the posting.');
    END IF;
    -- The facts are read once: the totals to book, and the first invoice a data rule refuses.
    SELECT array_agg(f.invoice_id ORDER BY f.invoice_id), array_agg(f.total_customer ORDER BY f.invoice_id),
           (array_agg(to_jsonb(f) ORDER BY f.invoice_id) FILTER (
               WHERE f.status <> 'draft' OR f.line_count = 0 OR f.missing_serials <> '[]' OR f.disallowed_taxes <> '[]'
                  OR f.short_stock <> '[]' OR f.unavailable_serials <> '[]'))[1]
    INTO v_ids, v_totals, v_refused
    FROM ar.invoice_facts(p_ids) f;
    IF coalesce(cardinality(v_ids), 0) <> v_count THEN
        PERFORM ar.fail('PG404', 'invoices', 'some invoices to post do not exist', 'Preview the selection again.');
    END IF;
    IF v_refused IS NOT NULL THEN
        PERFORM ar.fail(CASE WHEN v_refused ->> 'status' <> 'draft' THEN 'PG423' ELSE 'PG422' END, 'invoices',
            format('%s: ', v_refused ->> 'reference') || CASE
                 WHEN v_refused ->> 'status' <> 'draft' THEN 'it is already posted'
                 WHEN (v_refused ->> 'line_count')::integer = 0 THEN 'it has no lines'
                 WHEN v_refused -> 'missing_serials' <> '[]' THEN format('serials are missing on %s', v_refused -> 'missing_serials')
                 WHEN v_refused -> 'disallowed_taxes' <> '[]' THEN format('tax rates not allowed on %s', v_refused -> 'disallowed_taxes')
                 WHEN v_refused -> 'unavailable_serials' <> '[]' THEN format('serials cannot be sold from here: %s', v_refused -> 'unavailable_serials')
                 ELSE format('not enough stock: %s', v_refused -> 'short_stock') END,
            'Preview again and fix what it reports.');
    END IF;
    -- A unique serial leaves once: two invoices of one posting cannot both sell it.
    SELECT m.serial, p.code AS product INTO v_problem
    FROM ar.sale_moves(p_ids) m JOIN ar.products p ON p.id = m.product_id
    WHERE p.serial_tracking = 'unique' AND m.serial IS NOT NULL
    GROUP BY m.product_id, m.serial, p.code HAVING count(DISTINCT m.invoice_id) > 1 LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', 'invoices', format('serial %s of %s is on more than one of these invoices', v_problem.serial, v_problem.product),
                        'A unique serial is sold once: take it off all but one invoice.');
    END IF;

    -- Gapless numbers, in invoice id order.
    SELECT n.next INTO v_next FROM ar.invoice_numbers n WHERE n.series = 'invoice' FOR UPDATE;
    UPDATE ar.invoice_numbers SET next = next + v_count WHERE series = 'invoice';

    -- Whether each serial is picked from stock or entered at the sale is settled now, as posted.
    UPDATE ar.invoice_line_serials ls SET added_at_sale = m.added_at_sale
    FROM ar.sale_moves(p_ids) m, ar.invoice_lines l
    WHERE l.invoice_id = m.invoice_id AND l.line_no = m.line_no AND ls.line_id = l.id AND ls.serial = m.serial
      AND ls.added_at_sale IS DISTINCT FROM m.added_at_sale;

    UPDATE ar.invoices i SET status = 'posted', number = v_next + o.k - 1, posted_at = now(), posted_by = p_actor,
        due_date = i.invoice_date + pt.net_days, version = i.version + 1
    FROM (SELECT x AS id, row_number() OVER (ORDER BY x) AS k FROM unnest(p_ids) x) o, ar.customers c, ar.payment_terms pt
    WHERE i.id = o.id AND c.id = i.customer_id AND pt.id = c.payment_terms_id;

    -- The receivable enters the customer's balance.
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                   amount_customer)
    SELECT i.customer_id, 'invoice', i.id, i.invoice_date, i.currency, i.total,
           CASE WHEN i.total = 0 THEN 1 ELSE f.total_customer / i.total END, c.currency, c.currency_epoch, f.total_customer
    FROM unnest(v_ids, v_totals) f(invoice_id, total_customer) JOIN ar.invoices i ON i.id = f.invoice_id JOIN ar.customers c ON c.id = i.customer_id;

    -- Serials entered at sale that were never recorded are recorded now, marked for investigation.
    INSERT INTO ar.serials (product_id, serial, added_at_sale)
    SELECT DISTINCT m.product_id, m.serial, true FROM ar.sale_moves(p_ids) m WHERE m.added_at_sale AND m.serial_key = 0;

    -- Stock on hand goes down first: while their movements are not written, the serials entered at
    -- this sale still read as added at sale.
    WITH taken AS (
        SELECT m.product_id, m.location_id, m.serial_key, sum(m.quantity) AS quantity
        FROM ar.sale_moves(p_ids) m WHERE NOT m.added_at_sale GROUP BY 1, 2, 3
    ),
    updated AS (
        UPDATE ar.stock_on_hand h SET quantity = h.quantity - n.quantity
        FROM taken n
        WHERE h.product_id = n.product_id AND h.location_id = n.location_id AND h.serial_key = n.serial_key AND h.quantity >= n.quantity
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM taken), (SELECT count(*) FROM updated) INTO v_expected, v_updated;
    IF v_updated <> v_expected THEN
        PERFORM ar.fail('PG422', 'invoices', 'there is not enough stock for these invoices together (several take the same stock)',
                        'Post them in smaller groups, or receive more stock first.');
    END IF;

    -- Stock and serials leave, one sale document per invoice that moves stock.
    WITH moves AS MATERIALIZED (
        SELECT * FROM ar.sale_moves(p_ids)
    ),
    documents AS (
        INSERT INTO ar.stock_documents (kind, document_date, reference, customer_id, invoice_id)
        SELECT 'sale', i.invoice_date, 'invoice ' || i.number, i.customer_id, i.id
        FROM ar.invoices i WHERE i.id IN (SELECT DISTINCT m.invoice_id FROM moves m)
        RETURNING id, stock_documents.invoice_id
    )
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    SELECT d.id, m.line_no, m.product_id, m.location_id, nullif(m.serial_key, 0), q
    FROM moves m JOIN documents d ON d.invoice_id = m.invoice_id
    CROSS JOIN LATERAL (SELECT m.quantity AS q WHERE m.added_at_sale UNION ALL SELECT -m.quantity) qs;

    -- Customer items, one per pending item in force, under their buildup's item where they have one.
    -- Ids are drawn first, so a component can name its parent in the same insert.
    WITH pending AS MATERIALIZED (
        SELECT pi.*, nextval(pg_get_serial_sequence('ar.customer_items', 'id')) AS item_id
        FROM ar.items_to_create(p_ids) pi ORDER BY pi.id
    ),
    created AS (
        INSERT INTO ar.customer_items (id, customer_id, product_id, item_type_id, parent_id, serial, quantity, source, invoice_id, invoice_line_id,
                                       warranty_start, warranty_end, next_service, notes, created_by)
        OVERRIDING SYSTEM VALUE
        SELECT pi.item_id, i.customer_id, pi.product_id, pi.item_type_id, parent.item_id, pi.serial, pi.quantity,
               CASE p_mode WHEN 'pos' THEN 'pos' ELSE 'invoice' END, i.id, pi.line_id,
               coalesce(pi.warranty_start, i.invoice_date),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.warranty_months),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.service_interval_months),
               pi.notes, p_actor
        FROM pending pi JOIN ar.invoices i ON i.id = pi.invoice_id JOIN ar.customer_item_types t ON t.id = pi.item_type_id
        LEFT JOIN pending parent ON parent.id = pi.parent_id
        RETURNING id, warranty_start, warranty_end, next_service
    )
    INSERT INTO ar.customer_item_events (item_id, kind, on_date)
    SELECT c.id, e.kind, e.on_date FROM created c
    CROSS JOIN LATERAL (VALUES ('created', c.warranty_start), ('warranty_ends', c.warranty_end), ('service_due', c.next_service)) e(kind, on_date)
    WHERE e.on_date IS NOT NULL;

    -- Every decision is kept, with the actor the caller names and the login that called.
    INSERT INTO ar.posting_audit (invoice_id, batch_id, mode, findings, actor)
    SELECT x, p_batch, p_mode, coalesce(p_findings -> x::text, '[]'), p_actor FROM unnest(p_ids) x;

    RETURN QUERY SELECT i.id, i.number FROM ar.invoices i WHERE i.id = ANY (p_ids) ORDER BY i.id;
END
$$;
COMMENT ON FUNCTION api.post_invoices(bigint[], jsonb, text, text, uuid) IS
    'Posts drafts the policy allowed: gapless numbers, ledger entries, stock and serials out, customer items, audit (with the calling login). '
    'Call after api.posting_facts in the same transaction. Service only: the service is the gate that applies the posting rules.';

CREATE OR REPLACE FUNCTION api.receive_payment(p_payment jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_known text[] := ARRAY['customer', 'date', 'amount', 'currency', 'payment_method', 'financial_account', 'reference', 'allocations'];
    v_key text;
    c ar.customers;
    v_date date;
    v_amount numeric;
    v_currency text;
    v_minor smallint;
    v_rate numeric;
    v_id bigint;
    v_alloc jsonb;
    v_n integer := 0;
    v_invoice ar.invoices;
    v_alloc_amount numeric;
    v_allocated numeric := 0;
BEGIN
    PERFORM ar.check_fields(p_payment, v_known, 'a payment');
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(ar.required_text(ar.json_value(p_payment, 'customer', 'string') #>> '{}', 'customer'))) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'customer', format('there is no customer %L', p_payment ->> 'customer'), 'Check the code: postgate customers list --search TEXT');
    END IF;
    IF c.on_hold AND c.hold_payment_in THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is on hold for payments in', c.code), 'Release the hold first.');
    END IF;
    BEGIN
        v_date := coalesce((ar.json_value(p_payment, 'date', 'string') #>> '{}')::date, current_date);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM ar.fail('PG400', 'date', format('date %s is not a date', p_payment -> 'date'), 'Write dates as YYYY-MM-DD.');
    END;
    v_currency := CASE WHEN p_payment ? 'currency' THEN ar.currency_code(ar.json_value(p_payment, 'currency', 'string') #>> '{}', 'currency') ELSE c.currency END;
    SELECT minor_units INTO v_minor FROM ar.currencies WHERE code = v_currency;
    -- Amounts are stored with 2 decimals at most.
    v_amount := ar.decimal_field(p_payment, 'amount', 'amount', least(v_minor, 2), 1e12);
    IF v_amount IS NULL OR v_amount <= 0 THEN
        PERFORM ar.fail('PG400', 'amount', format('amount must be greater than zero with at most %s decimals, not %s', v_minor, coalesce(v_amount::text, 'empty')), NULL);
    END IF;
    v_rate := ar.conversion_rate(v_currency, c.currency, v_date);
    INSERT INTO ar.payments (customer_id, payment_date, currency, amount, payment_method_id, financial_account_id, reference)
    VALUES (c.id, v_date, v_currency, v_amount,
            coalesce(ar.lookup('payment_methods', ar.json_value(p_payment, 'payment_method', 'string') #>> '{}', 'payment_method', 'payment method', 'postgate ref payment-methods add CODE --name NAME'), c.payment_method_id),
            coalesce(ar.lookup('financial_accounts', ar.json_value(p_payment, 'financial_account', 'string') #>> '{}', 'financial_account', 'financial account', 'postgate ref accounts add ...'), c.financial_account_id),
            coalesce(ar.json_value(p_payment, 'reference', 'string') #>> '{}', ''))
    RETURNING id INTO v_id;
    FOR v_alloc IN SELECT * FROM jsonb_array_elements(coalesce(p_payment -> 'allocations', '[]')) LOOP
        v_n := v_n + 1;
        IF coalesce(v_alloc ->> 'invoice_number', v_alloc ->> 'invoice_id', '') !~ '^[0-9]{1,15}$' THEN
            PERFORM ar.fail('PG400', format('allocations[%s].invoice_number', v_n), format('%s is not an invoice number', coalesce(v_alloc ->> 'invoice_number', v_alloc ->> 'invoice_id', 'an empty value')),
                            'Name the invoice by its number, a whole number.');
        END IF;
        SELECT * INTO v_invoice FROM ar.invoices
        WHERE (number = (v_alloc ->> 'invoice_number')::bigint OR id = (v_alloc ->> 'invoice_id')::bigint) AND customer_id = c.id;
        IF NOT FOUND OR v_invoice.status <> 'posted' THEN
            PERFORM ar.fail('PG404', format('allocations[%s]', v_n), 'payments are allocated to posted invoices of the same customer', 'Name the invoice by invoice_number.');
        END IF;
        v_alloc_amount := coalesce(ar.decimal_field(v_alloc, 'amount', format('allocations[%s].amount', v_n), least(v_minor, 2), 1e12), v_amount - v_allocated);
        IF v_alloc_amount <= 0 OR v_alloc_amount + coalesce((SELECT sum(amount) FROM ar.payment_allocations WHERE invoice_id = v_invoice.id), 0) > v_invoice.total THEN
            PERFORM ar.fail('PG422', format('allocations[%s].amount', v_n), format('invoice %s has %s open; %s cannot be allocated to it', v_invoice.number,
                    v_invoice.total - coalesce((SELECT sum(amount) FROM ar.payment_allocations WHERE invoice_id = v_invoice.id), 0), v_alloc_amount), NULL);
        END IF;
        v_allocated := v_allocated + v_alloc_amount;
        INSERT INTO ar.payment_allocations (payment_id, invoice_id, amount) VALUES (v_id, v_invoice.id, v_alloc_amount);
    END LOOP;
    IF v_allocated > v_amount THEN
        PERFORM ar.fail('PG422', 'allocations', format('allocations of %s exceed the payment of %s', v_allocated, v_amount), NULL);
    END IF;
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
    VALUES (c.id, 'payment', v_id, v_date, v_currency, -v_amount, v_rate, c.currency, c.currency_epoch,
            -round(v_amount * v_rate, (SELECT minor_units FROM ar.currencies WHERE code = c.currency)));
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.receive_payment(jsonb) IS 'Records a payment in {"customer", "date", "amount", "currency", "payment_method", "financial_account", "reference", "allocations": [{"invoice_number", "amount"}]}; it reduces the balance at once.';

CREATE OR REPLACE FUNCTION api.save_preview(p_token uuid, p_invoices jsonb)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    INSERT INTO ar.preview_tokens (token, invoices) VALUES (p_token, p_invoices)
$$;

CREATE OR REPLACE FUNCTION api.preview_invoices(p_token uuid)
RETURNS TABLE (invoice_id bigint, version integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM ar.preview_tokens WHERE token = p_token) THEN
        PERFORM ar.fail('PG404', 'token', format('there is no preview %s', p_token), 'Preview the selection again.');
    END IF;
    RETURN QUERY SELECT (e ->> 'id')::bigint, (e ->> 'version')::integer
    FROM ar.preview_tokens t, jsonb_array_elements(t.invoices) e WHERE t.token = p_token;
END
$$;

CREATE OR REPLACE FUNCTION api.invoice_versions(p_ids bigint[])
RETURNS TABLE (invoice_id bigint, version integer, status text, number bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT id, version, status, number FROM ar.invoices WHERE id = ANY (p_ids)
$$;

-- Posting is the service's alone; the rest of the payment path too.
REVOKE EXECUTE ON FUNCTION api.posting_facts(bigint[], boolean), api.post_invoices(bigint[], jsonb, text, text, uuid) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.receive_payment(jsonb) TO postgate_client;

CREATE OR REPLACE FUNCTION api.posted_in_batch(p_batch uuid)
RETURNS TABLE (invoice_id bigint) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT a.invoice_id FROM ar.posting_audit a WHERE a.batch_id = p_batch
$$;
COMMENT ON FUNCTION api.posted_in_batch(uuid) IS 'Invoices a mass posting (its preview token is the batch id) has posted so far: a re-run skips them.';
REVOKE EXECUTE ON FUNCTION api.save_preview(uuid, jsonb), api.posted_in_batch(uuid) FROM postgate_client;

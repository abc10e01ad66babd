-- The facts the posting rules read, per invoice, and the settings the rules are built from. The
-- data rules (serials complete and in stock, stock available, tax allowed, still a draft) are
-- computed here once: the same functions feed the preview and guard the posting.
SET LOCAL ROLE postgate_owner;

-- What each line of these invoices takes from stock: untracked products (a buildup: its
-- components) and serials. A serial never recorded is entered at the sale: it comes in and goes
-- out on the sale document, so its history shows both. The facts and the posting both read this.
DROP FUNCTION IF EXISTS ar.sale_moves(bigint[]);
CREATE FUNCTION ar.sale_moves(p_ids bigint[]) RETURNS SETOF ar.sale_move
LANGUAGE sql STABLE AS $$
    SELECT l.invoice_id, l.line_no, l.product_id, l.location_id, 0::bigint, NULL::text, l.quantity, false
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id
    WHERE l.invoice_id = ANY (p_ids) AND NOT p.is_buildup AND p.serial_tracking = 'none' AND l.location_id IS NOT NULL
      AND l.shipment_line_id IS NULL
    UNION ALL
    SELECT l.invoice_id, l.line_no, b.component_id, l.location_id, 0, NULL, l.quantity * b.quantity, false
    FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id AND p.is_buildup
    JOIN ar.buildup_components b ON b.buildup_id = p.id JOIN ar.products cp ON cp.id = b.component_id AND cp.serial_tracking = 'none'
    WHERE l.invoice_id = ANY (p_ids) AND l.location_id IS NOT NULL AND l.shipment_line_id IS NULL
    UNION ALL
    SELECT l.invoice_id, l.line_no, coalesce(ls.component_id, l.product_id), l.location_id, coalesce(s.id, 0), ls.serial, ls.quantity,
           s.id IS NULL OR s.added_at_sale AND NOT EXISTS (SELECT FROM ar.stock_movements m WHERE m.serial_id = s.id)
    FROM ar.invoice_lines l JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
    LEFT JOIN ar.serials s ON s.product_id = coalesce(ls.component_id, l.product_id) AND s.serial = ls.serial
    WHERE l.invoice_id = ANY (p_ids) AND l.location_id IS NOT NULL AND l.shipment_line_id IS NULL
$$;
COMMENT ON FUNCTION ar.sale_moves(bigint[]) IS
    'What posting these invoices takes out of stock, line by line (added_at_sale: a serial never recorded before); a kit''s line '
    'takes its components, untracked ones by quantity and tracked ones by their serials. '
    'A line invoicing a shipment takes nothing: its stock left with the shipment.';

-- Each fact below is one function over a set of invoices, returning a row for each invoice it
-- has something to say about.

-- Lines of serial-tracked products (tracked on sales) with fewer serials than units; for a kit's
-- line, each serial-tracked component with fewer serials than the kits take of it.
CREATE OR REPLACE FUNCTION ar.missing_serials(p_ids bigint[]) RETURNS TABLE (invoice_id bigint, items jsonb)
LANGUAGE sql STABLE AS $$
    SELECT n.invoice_id, jsonb_agg(jsonb_build_object('line', n.line_no, 'product', p.code,
               'missing', trim_scale(n.needed - coalesce(st.quantity, 0))) ORDER BY n.line_no, p.code)
    FROM (SELECT l.id, l.invoice_id, l.line_no, l.product_id, NULL::bigint AS component_id, l.quantity AS needed
          FROM ar.invoice_lines l WHERE l.invoice_id = ANY (p_ids)
          UNION ALL
          SELECT l.id, l.invoice_id, l.line_no, b.component_id, b.component_id, l.quantity * b.quantity
          FROM ar.invoice_lines l JOIN ar.buildup_components b ON b.buildup_id = l.product_id
          WHERE l.invoice_id = ANY (p_ids)) n
    JOIN ar.products p ON p.id = n.product_id
    LEFT JOIN (SELECT s.line_id, s.component_id, sum(s.quantity) AS quantity
               FROM ar.invoice_line_serials s JOIN ar.invoice_lines sl ON sl.id = s.line_id
               WHERE sl.invoice_id = ANY (p_ids) GROUP BY s.line_id, s.component_id) st
        ON st.line_id = n.id AND st.component_id IS NOT DISTINCT FROM n.component_id
    WHERE p.serial_tracking <> 'none' AND p.track_on <> 'purchases' AND n.needed > coalesce(st.quantity, 0)
    GROUP BY n.invoice_id
$$;

-- Lines whose tax rate the customer may not use. Only customers that are exempt or have a
-- category are checked: the rest may use any rate.
CREATE OR REPLACE FUNCTION ar.disallowed_taxes(p_ids bigint[]) RETURNS TABLE (invoice_id bigint, items jsonb)
LANGUAGE sql STABLE AS $$
    SELECT x.invoice_id, jsonb_agg(jsonb_build_object('line', x.line_no, 'tax_rate', t.code, 'reason', x.problem) ORDER BY x.line_no)
    FROM (
        -- The invoices first, then their customers by key: a filter on the customers' flags
        -- alone is read as selective and scanned every customer.
        WITH invoices AS MATERIALIZED (SELECT i.id, i.customer_id FROM ar.invoices i WHERE i.id = ANY (p_ids))
        SELECT l.invoice_id, l.line_no, l.tax_rate_id, ar.tax_problem(i.customer_id, l.tax_rate_id) AS problem
        FROM invoices i JOIN ar.customers c ON c.id = i.customer_id JOIN ar.invoice_lines l ON l.invoice_id = i.id
        WHERE c.tax_exempt OR c.tax_category_id IS NOT NULL
    ) x JOIN ar.tax_rates t ON t.id = x.tax_rate_id
    WHERE x.problem IS NOT NULL
    GROUP BY x.invoice_id
$$;

-- Unique serials that cannot leave the line's location: a unique serial is in one place at a
-- time, so one sold, written off or at another location cannot leave this one, and one named
-- twice on the invoice cannot leave twice.
CREATE OR REPLACE FUNCTION ar.unavailable_serials(p_ids bigint[]) RETURNS TABLE (invoice_id bigint, items jsonb)
LANGUAGE sql STABLE AS $$
    SELECT u.invoice_id, jsonb_agg(jsonb_build_object('line', u.line_no, 'product', u.product_code, 'serial', u.serial,
               'reason', coalesce(u.whereabouts, 'named on more than one line of this invoice')) ORDER BY u.line_no, u.serial)
    FROM (
        SELECT l.invoice_id, l.line_no, p.code AS product_code, ls.serial,
               CASE WHEN s.id IS NULL OR h.quantity > 0 THEN NULL
                    ELSE ar.serial_whereabouts(p.id, ls.serial, l.location_id) END AS whereabouts,
               count(*) OVER (PARTITION BY l.invoice_id, p.id, ls.serial) AS times
        FROM ar.invoice_lines l JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
        JOIN ar.products p ON p.id = coalesce(ls.component_id, l.product_id) AND p.serial_tracking = 'unique'
        LEFT JOIN ar.serials s ON s.product_id = p.id AND s.serial = ls.serial
        LEFT JOIN ar.stock_on_hand h ON h.product_id = p.id AND h.location_id = l.location_id AND h.serial_key = s.id
        WHERE l.invoice_id = ANY (p_ids) AND l.shipment_line_id IS NULL
    ) u
    WHERE u.whereabouts IS NOT NULL OR u.times > 1
    GROUP BY u.invoice_id
$$;

-- Stock the invoice takes that is not on hand, per product, location and serial. A unique
-- serial that is not there is reported with its whereabouts instead (ar.unavailable_serials).
CREATE OR REPLACE FUNCTION ar.short_stock(p_ids bigint[]) RETURNS TABLE (invoice_id bigint, items jsonb)
LANGUAGE sql STABLE AS $$
    SELECT n.invoice_id, jsonb_agg(jsonb_build_object('line', n.line_no, 'product', p.code, 'location', loc.code, 'serial', s.serial,
               'needed', trim_scale(n.quantity), 'on_hand', trim_scale(coalesce(h.quantity, 0))) ORDER BY n.line_no)
    FROM (SELECT m.invoice_id, min(m.line_no) AS line_no, m.product_id, m.location_id, m.serial_key, sum(m.quantity) AS quantity
          FROM ar.sale_moves(p_ids) m WHERE NOT m.added_at_sale
          GROUP BY m.invoice_id, m.product_id, m.location_id, m.serial_key) n
    JOIN ar.products p ON p.id = n.product_id JOIN ar.locations loc ON loc.id = n.location_id
    LEFT JOIN ar.serials s ON s.id = n.serial_key
    LEFT JOIN ar.stock_on_hand h ON h.product_id = n.product_id AND h.location_id = n.location_id AND h.serial_key = n.serial_key
    WHERE coalesce(h.quantity, 0) < n.quantity AND NOT (p.serial_tracking = 'unique' AND n.serial_key <> 0)
    GROUP BY n.invoice_id
$$;

-- How many customer items posting the invoice would create, and how many of them are unreviewed.
CREATE OR REPLACE FUNCTION ar.customer_item_counts(p_ids bigint[]) RETURNS TABLE (invoice_id bigint, total integer, unreviewed integer)
LANGUAGE sql STABLE AS $$
    SELECT pi.invoice_id, count(*)::integer, (count(*) FILTER (WHERE pi.reviewed_at IS NULL))::integer
    FROM ar.items_to_create(p_ids) pi GROUP BY pi.invoice_id
$$;

-- The facts of one invoice, the row type of ar.invoice_facts and api.posting_facts. Made afresh
-- with the functions that return it, so that its columns may change; anything else built on it
-- is dropped with it, and made again by the later file that holds it.
DROP FUNCTION IF EXISTS api.posting_facts(bigint[], boolean);
DROP FUNCTION IF EXISTS ar.invoice_facts(bigint[]);
DROP TYPE IF EXISTS ar.invoice_fact CASCADE;
CREATE TYPE ar.invoice_fact AS (
    invoice_id          bigint,
    version             integer,
    status              text,
    reference           text,
    customer_id         bigint,
    customer            text,
    customer_currency   text,
    on_hold_invoices    boolean,
    cash_sales_only     boolean,
    credit_limit        numeric,
    open_balance        numeric,
    currency            text,
    total               numeric,
    total_customer      numeric,
    line_count          integer,
    missing_serials     jsonb,
    disallowed_taxes    jsonb,
    short_stock         jsonb,
    unavailable_serials jsonb,
    unreviewed          integer,
    items_to_create     integer,
    missing_rate        jsonb
);
COMMENT ON TYPE ar.invoice_fact IS
    'The facts of an invoice that the posting rules read: customer terms and flags, balance, totals, lines missing serials, '
    'taxes not allowed, stock short, serials that are elsewhere or gone, customer items, and the conversion rate the total needs when '
    'there is none (total_customer is then NULL).';

-- Per invoice: every fact of the data, set-based for any number of invoices.
CREATE FUNCTION ar.invoice_facts(p_ids bigint[]) RETURNS SETOF ar.invoice_fact
LANGUAGE sql STABLE AS $$
    -- The credit exposure once per customer, however many of its invoices there are, in one call
    -- for the chunk (ar.credit_exposures, given the customers' ids as a column so that it is
    -- planned into this query). With the setting credit_exposure = full, less what the drafts
    -- being posted carry of orders: they count as this posting's own totals.
    WITH balances AS MATERIALIZED (
        SELECT x.customer_id, x.exposure - coalesce(d.amount, 0) AS balance
        FROM (SELECT array_agg(DISTINCT i.customer_id) AS ids FROM ar.invoices i WHERE i.id = ANY (p_ids)) k
        CROSS JOIN LATERAL ar.credit_exposures(k.ids) x
        LEFT JOIN (
            SELECT iv.customer_id,
                   sum(CASE WHEN iv.currency = cc.currency THEN il.net_amount + il.tax_amount
                            ELSE round((il.net_amount + il.tax_amount) * ar.conversion_rate_or_null(iv.currency, cc.currency, current_date), 2)
                       END) AS amount
            FROM ar.invoice_lines il JOIN ar.invoices iv ON iv.id = il.invoice_id
            JOIN ar.customers cc ON cc.id = iv.customer_id
            WHERE ar.setting('credit_exposure') = '"full"'
              AND iv.id = ANY (p_ids) AND iv.status = 'draft' AND il.order_line_id IS NOT NULL
            GROUP BY iv.customer_id
        ) d ON d.customer_id = x.customer_id
    )
    SELECT i.id, i.version, i.status,
           CASE WHEN i.status = 'posted' THEN 'invoice ' || i.number WHEN i.reference = '' THEN 'draft ' || i.id ELSE i.reference END,
           i.customer_id, c.code, c.currency, c.on_hold AND c.hold_sales_invoice, pt.cash_sales_only, c.credit_limit,
           coalesce(b.balance, 0), i.currency, i.total,
           CASE WHEN i.currency = c.currency THEN i.total ELSE round(i.total * fx.rate, cur.minor_units) END,
           coalesce(lc.n, 0),
           coalesce(m.items, '[]'), coalesce(t.items, '[]'), coalesce(s.items, '[]'), coalesce(u.items, '[]'),
           coalesce(it.unreviewed, 0), coalesce(it.total, 0),
           CASE WHEN fx.rate IS NULL THEN jsonb_build_object('from', i.currency, 'to', c.currency, 'date', i.invoice_date) END
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    JOIN ar.payment_terms pt ON pt.id = c.payment_terms_id JOIN ar.currencies cur ON cur.code = c.currency
    -- A draft without a rate on its date is one blocked invoice with its own fact, never a failure of the rest.
    -- (The same currency needs no look-up: the function is not inlined, and each call cost more than the rest of the row.)
    CROSS JOIN LATERAL (SELECT CASE WHEN i.currency = c.currency THEN 1::numeric
                                    ELSE ar.conversion_rate_or_null(i.currency, c.currency, i.invoice_date) END AS rate) fx
    LEFT JOIN balances b ON b.customer_id = i.customer_id
    LEFT JOIN (SELECT l.invoice_id, count(*)::integer AS n FROM ar.invoice_lines l WHERE l.invoice_id = ANY (p_ids) GROUP BY l.invoice_id) lc
        ON lc.invoice_id = i.id
    LEFT JOIN ar.missing_serials(p_ids) m ON m.invoice_id = i.id
    LEFT JOIN ar.disallowed_taxes(p_ids) t ON t.invoice_id = i.id
    LEFT JOIN ar.short_stock(p_ids) s ON s.invoice_id = i.id
    LEFT JOIN ar.unavailable_serials(p_ids) u ON u.invoice_id = i.id
    LEFT JOIN ar.customer_item_counts(p_ids) it ON it.invoice_id = i.id
    WHERE i.id = ANY (p_ids)
$$;
COMMENT ON FUNCTION ar.invoice_facts(bigint[]) IS 'The facts of each invoice that the posting rules read (ar.invoice_fact).';

-- Whether a data rule refuses the invoice: posting it would break the books, whatever the policy says.
CREATE FUNCTION ar.refused_by_data_rules(f ar.invoice_fact) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT f.status <> 'draft' OR f.line_count = 0 OR f.missing_serials <> '[]' OR f.disallowed_taxes <> '[]'
        OR f.short_stock <> '[]' OR f.unavailable_serials <> '[]' OR f.missing_rate IS NOT NULL
$$;
COMMENT ON FUNCTION ar.refused_by_data_rules(ar.invoice_fact) IS
    'True when a data rule refuses the invoice (not a draft, no lines, serials missing or unavailable, tax not allowed, stock short, no rate).';

-- Planned as for solid-state storage (random_page_cost 1.1, for these statements only): a single
-- posting's plan is generic, made once per session, and cannot see how few invoices it gets; at
-- the default 4 it guessed ten and hashed every invoice's serials and every customer where a few
-- index look-ups do, and a posting took three times as long. And without JIT compilation: the
-- facts of a chunk of 1,000 invoices are estimated above jit_above_cost, and compiling them took
-- 200 ms of a query that runs in 70.
CREATE FUNCTION api.posting_facts(p_ids bigint[], p_lock boolean DEFAULT true) RETURNS SETOF ar.invoice_fact
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp SET random_page_cost = 1.1 SET jit = off AS $$
DECLARE
    v_facts ar.invoice_fact[];
BEGIN
    IF p_lock THEN
        -- Customers in id order, then invoices: concurrent postings serialise per customer and cannot deadlock.
        PERFORM 1 FROM ar.customers WHERE id IN (SELECT i.customer_id FROM ar.invoices i WHERE i.id = ANY (p_ids)) ORDER BY id FOR UPDATE;
        PERFORM 1 FROM ar.invoices WHERE id = ANY (p_ids) ORDER BY id FOR UPDATE;
    END IF;
    IF cardinality(p_ids) > 100 THEN
        -- A chunk is planned for its own size (EXECUTE). A kept plan is generic, made for ten
        -- invoices: after five chunks the plan cache chose it, and the facts of a thousand took
        -- 150 ms instead of 64.
        EXECUTE 'SELECT array_agg(f ORDER BY f.invoice_id) FROM ar.invoice_facts($1) f' INTO v_facts USING p_ids;
    ELSE
        v_facts := ARRAY(SELECT f FROM ar.invoice_facts(p_ids) f ORDER BY f.invoice_id);
    END IF;
    IF p_lock THEN
        -- What is read under the locks is kept for api.post_invoices in this transaction (ar.checked_facts).
        DELETE FROM ar.checked_facts k WHERE k.xact = pg_current_xact_id();
        -- What a finished transaction left (it read under its locks and posted nothing: its
        -- drafts were posted by another) is removed by the next one, skipping rows another
        -- posting is removing, so that no posting waits on them.
        DELETE FROM ar.checked_facts k
        WHERE k.ctid = ANY (ARRAY(SELECT o.ctid FROM ar.checked_facts o WHERE o.xact < pg_snapshot_xmin(pg_current_snapshot())
                                  LIMIT 1000 FOR UPDATE SKIP LOCKED));
        INSERT INTO ar.checked_facts (xact, invoice_id, version, total_customer, passed)
        SELECT pg_current_xact_id(), f.invoice_id, f.version, f.total_customer, NOT ar.refused_by_data_rules(f) FROM unnest(v_facts) f;
    END IF;
    RETURN QUERY SELECT * FROM unnest(v_facts);
END
$$;
COMMENT ON FUNCTION api.posting_facts(bigint[], boolean) IS
    'Locks the customers (in id order) and invoices, and returns the facts the posting rules read, keeping them for api.post_invoices '
    'in the same transaction; with p_lock false, only reads them (a preview). Service only.';
REVOKE EXECUTE ON FUNCTION api.posting_facts(bigint[], boolean) FROM postgate_client;

-- PL/pgSQL, so that the plan is kept for the session (a SQL function is planned at every call).
CREATE OR REPLACE FUNCTION api.posting_settings()
RETURNS TABLE (key text, value text) LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT s.key, s.value::text FROM ar.settings s ORDER BY s.key;
END
$$;

CREATE OR REPLACE FUNCTION api.set_setting(p_key text, p_value jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    UPDATE ar.settings SET value = p_value WHERE key = p_key;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'key', format('there is no setting %L', p_key),
                        format('Use one of: %s.', (SELECT string_agg(key, ', ' ORDER BY key) FROM ar.settings)));
    END IF;
END
$$;
COMMENT ON FUNCTION api.set_setting(text, jsonb) IS 'Changes a global setting (the posting rules read them at each posting).';

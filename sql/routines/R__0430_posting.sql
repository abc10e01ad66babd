-- Posting: draft invoices whose decisions allowed it get numbers, enter the ledger, take their
-- stock and serials, create their customer items and are audited. Only postgate_service may
-- post, so nothing posts without the policy. Every step works on the owner's tables only:
-- nothing it reads can be created or named by its caller.
SET LOCAL ROLE postgate_owner;

-- How a posting was asked for. The table keeps the same list in posting_audit_mode_check
-- (V0004): a new mode goes into both.
CREATE OR REPLACE FUNCTION ar.posting_modes() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$ SELECT ARRAY['single', 'mass', 'post_and_pay', 'pos'] $$;
COMMENT ON FUNCTION ar.posting_modes() IS 'The posting modes: single, mass, post and pay, point of sale (as posting_audit_mode_check allows).';

-- Refuses a posting that names no mode of ar.posting_modes(), an invoice twice, or no actor.
CREATE OR REPLACE FUNCTION ar.check_posting_request(p_ids bigint[], p_actor text, p_mode text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_modes text[] := ar.posting_modes();
BEGIN
    IF p_mode IS NULL OR p_mode <> ALL (v_modes) THEN
        PERFORM ar.fail('PG400', 'mode', format('%L is not a posting mode: %s or %s', p_mode,
                        array_to_string(v_modes[1:cardinality(v_modes) - 1], ', '), v_modes[cardinality(v_modes)]), NULL);
    END IF;
    IF (SELECT count(DISTINCT x) FROM unnest(p_ids) x) <> cardinality(p_ids) THEN
        PERFORM ar.fail('PG400', 'invoices', 'an invoice is named twice in the posting', 'Name each invoice once.');
    END IF;
    IF nullif(btrim(p_actor), '') IS NULL THEN
        PERFORM ar.fail('PG400', 'actor', 'the posting names no actor', 'Say who asked for the posting.');
    END IF;
END
$$;

-- The facts read once per posting: the totals to book in each customer's currency, in invoice id
-- order. Refuses the posting, naming the first invoice that a data rule refuses, or when an
-- invoice does not exist.
--
-- What api.posting_facts kept in this transaction (ar.checked_facts) is used when it read every
-- one of these invoices, each passed the data rules and is still at the version read (the locks
-- keep others out; a change of this transaction's own shows in the version); else the facts are
-- read now. Stock is not locked, so it is checked again as it is taken (ar.take_sale_stock).
CREATE OR REPLACE FUNCTION ar.postable_totals(p_ids bigint[], OUT invoice_ids bigint[], OUT totals_customer numeric[])
LANGUAGE plpgsql AS $$
DECLARE
    v_refused jsonb;
BEGIN
    SELECT CASE WHEN count(*) = cardinality(p_ids) AND bool_and(k.passed) THEN array_agg(k.invoice_id ORDER BY k.invoice_id) END,
           CASE WHEN count(*) = cardinality(p_ids) AND bool_and(k.passed) THEN array_agg(k.total_customer ORDER BY k.invoice_id) END
    INTO invoice_ids, totals_customer
    FROM ar.checked_facts k JOIN ar.invoices i ON i.id = k.invoice_id AND i.version = k.version
    WHERE k.xact = pg_current_xact_id_if_assigned() AND k.invoice_id = ANY (p_ids);
    DELETE FROM ar.checked_facts k WHERE k.xact = pg_current_xact_id_if_assigned();
    IF invoice_ids IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT array_agg(f.invoice_id ORDER BY f.invoice_id), array_agg(f.total_customer ORDER BY f.invoice_id),
           (array_agg(to_jsonb(f) ORDER BY f.invoice_id) FILTER (WHERE ar.refused_by_data_rules(f)))[1]
    INTO invoice_ids, totals_customer, v_refused
    FROM ar.invoice_facts(p_ids) f;
    IF coalesce(cardinality(invoice_ids), 0) <> cardinality(p_ids) THEN
        PERFORM ar.fail('PG404', 'invoices', 'some invoices to post do not exist', 'Preview the selection again.');
    END IF;
    IF v_refused IS NOT NULL THEN
        PERFORM ar.fail(CASE WHEN v_refused ->> 'status' <> 'draft' THEN 'PG423'
                             WHEN v_refused ->> 'missing_rate' IS NOT NULL THEN 'PG424' ELSE 'PG422' END, 'invoices',
            format('%s: ', v_refused ->> 'reference') || CASE
                 WHEN v_refused ->> 'status' <> 'draft' THEN 'it is already posted'
                 WHEN (v_refused ->> 'line_count')::integer = 0 THEN 'it has no lines'
                 WHEN v_refused ->> 'missing_rate' IS NOT NULL
                     THEN format('there is no conversion rate from %s to %s valid on %s', v_refused #>> '{missing_rate,from}',
                                 v_refused #>> '{missing_rate,to}', v_refused #>> '{missing_rate,date}')
                 WHEN v_refused -> 'missing_serials' <> '[]' THEN format('serials are missing on %s', v_refused -> 'missing_serials')
                 WHEN v_refused -> 'disallowed_taxes' <> '[]' THEN format('tax rates not allowed on %s', v_refused -> 'disallowed_taxes')
                 WHEN v_refused -> 'unavailable_serials' <> '[]'
                     THEN format('serials cannot be sold from here: %s', v_refused -> 'unavailable_serials')
                 ELSE format('not enough stock: %s', v_refused -> 'short_stock') END,
            'Preview again and fix what it reports.');
    END IF;
END
$$;

-- The steps below that take stock and serials work on the posting's moves (ar.sale_moves),
-- read once by api.post_invoices and handed to each of them.
DROP FUNCTION IF EXISTS ar.refuse_serial_on_two_invoices(bigint[]);
DROP FUNCTION IF EXISTS ar.settle_sale_serials(bigint[]);
DROP FUNCTION IF EXISTS ar.record_serials_added_at_sale(bigint[]);
DROP FUNCTION IF EXISTS ar.take_sale_stock(bigint[]);
DROP FUNCTION IF EXISTS ar.write_sale_documents(bigint[]);

-- A unique serial leaves once: two invoices of one posting cannot both sell it.
CREATE OR REPLACE FUNCTION ar.refuse_serial_on_two_invoices(p_moves ar.sale_move[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_problem record;
BEGIN
    SELECT m.serial, p.code AS product INTO v_problem
    FROM unnest(p_moves) m JOIN ar.products p ON p.id = m.product_id
    WHERE p.serial_tracking = 'unique' AND m.serial IS NOT NULL
    GROUP BY m.product_id, m.serial, p.code HAVING count(DISTINCT m.invoice_id) > 1 LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', 'invoices', format('serial %s of %s is on more than one of these invoices', v_problem.serial, v_problem.product),
                        'A unique serial is sold once: take it off all but one invoice.');
    END IF;
END
$$;

-- Gapless numbers, by series: each invoice is numbered by the series of its location, or the
-- company's (ar.invoice_series), in id order within its series. The series rows are locked in
-- the order of their codes (no two postings wait for each other in a circle) and stay locked to
-- the end of the transaction, so a posting rolled back leaves no gap. Returns the numbers in the
-- order of p_ids.
DROP FUNCTION IF EXISTS ar.take_invoice_numbers(integer);
CREATE OR REPLACE FUNCTION ar.take_invoice_numbers(p_ids bigint[]) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    v_series text[];
    v_counts bigint[];
    v_full ar.invoice_series;
    v_numbers bigint[];
BEGIN
    SELECT array_agg(c.series ORDER BY c.series), array_agg(c.n ORDER BY c.series) INTO v_series, v_counts
    FROM (SELECT coalesce(l.invoice_series, 'COMPANY') AS series, count(*) AS n
          FROM ar.invoices i LEFT JOIN ar.locations l ON l.id = i.location_id WHERE i.id = ANY (p_ids) GROUP BY 1) c;
    PERFORM FROM ar.invoice_series s WHERE s.code = ANY (v_series) ORDER BY s.code FOR UPDATE;
    SELECT s.* INTO v_full FROM unnest(v_series, v_counts) c(series, n) JOIN ar.invoice_series s ON s.code = c.series
    WHERE s.next + c.n - 1 > s.last_number LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', 'series', format('invoice number series %s is used up: its last number is %s', v_full.code, v_full.last_number),
                        'Add a new series and give it to the locations this one numbers.');
    END IF;
    WITH taken AS (
        UPDATE ar.invoice_series s SET next = s.next + c.n
        FROM unnest(v_series, v_counts) c(series, n) WHERE s.code = c.series
        RETURNING s.code, s.next - c.n AS first
    ), sold AS (
        SELECT x.id, x.k, coalesce(l.invoice_series, 'COMPANY') AS series,
               row_number() OVER (PARTITION BY coalesce(l.invoice_series, 'COMPANY') ORDER BY x.id) AS n
        FROM unnest(p_ids) WITH ORDINALITY x(id, k) JOIN ar.invoices i ON i.id = x.id LEFT JOIN ar.locations l ON l.id = i.location_id
    )
    SELECT array_agg(t.first + sold.n - 1 ORDER BY sold.k) INTO v_numbers FROM sold JOIN taken t ON t.code = sold.series;
    RETURN v_numbers;
END
$$;

-- Whether each serial is picked from stock or entered at the sale is settled now, as posted.
CREATE OR REPLACE FUNCTION ar.settle_sale_serials(p_moves ar.sale_move[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ar.invoice_line_serials ls SET added_at_sale = m.added_at_sale
    FROM unnest(p_moves) m, ar.invoice_lines l
    WHERE l.invoice_id = m.invoice_id AND l.line_no = m.line_no AND ls.line_id = l.id AND ls.serial = m.serial
      AND coalesce(ls.component_id, l.product_id) = m.product_id AND ls.added_at_sale IS DISTINCT FROM m.added_at_sale;
END
$$;

-- The invoices become posted under the numbers taken for them, due after their terms' days.
DROP FUNCTION IF EXISTS ar.mark_invoices_posted(bigint[], bigint, text);
CREATE OR REPLACE FUNCTION ar.mark_invoices_posted(p_ids bigint[], p_numbers bigint[], p_actor text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ar.invoices i SET status = 'posted', number = o.number, posted_at = now(), posted_by = p_actor,
        due_date = i.invoice_date + pt.net_days, version = i.version + 1
    FROM unnest(p_ids, p_numbers) o(id, number), ar.customers c, ar.payment_terms pt
    WHERE i.id = o.id AND c.id = i.customer_id AND pt.id = c.payment_terms_id;
END
$$;

-- The receivables enter their customers' balances, at the totals the facts computed.
CREATE OR REPLACE FUNCTION ar.book_invoices(p_ids bigint[], p_totals_customer numeric[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency,
                                   currency_epoch, amount_customer)
    SELECT i.customer_id, 'invoice', i.id, i.invoice_date, i.currency, i.total,
           CASE WHEN i.total = 0 THEN 1 ELSE f.total_customer / i.total END, c.currency, c.currency_epoch, f.total_customer
    FROM unnest(p_ids, p_totals_customer) f(invoice_id, total_customer)
    JOIN ar.invoices i ON i.id = f.invoice_id JOIN ar.customers c ON c.id = i.customer_id;
END
$$;

-- Serials entered at sale that were never recorded are recorded now, marked for investigation.
-- Returns the moves with those serials' new keys.
CREATE OR REPLACE FUNCTION ar.record_serials_added_at_sale(p_moves ar.sale_move[]) RETURNS ar.sale_move[]
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ar.serials (product_id, serial, added_at_sale)
    SELECT DISTINCT m.product_id, m.serial, true FROM unnest(p_moves) m WHERE m.added_at_sale AND m.serial_key = 0;
    IF NOT FOUND THEN
        RETURN p_moves;
    END IF;
    RETURN ARRAY(
        SELECT ROW(m.invoice_id, m.line_no, m.product_id, m.location_id, coalesce(s.id, m.serial_key), m.serial, m.quantity,
                   m.added_at_sale)::ar.sale_move
        FROM unnest(p_moves) WITH ORDINALITY m
        LEFT JOIN ar.serials s ON m.serial_key = 0 AND m.serial IS NOT NULL AND s.product_id = m.product_id AND s.serial = m.serial
        ORDER BY m.ordinality);
END
$$;

-- Stock on hand goes down, refusing the posting when invoices together take more than is
-- there. A serial entered at this sale was never on hand: it takes nothing.
CREATE OR REPLACE FUNCTION ar.take_sale_stock(p_moves ar.sale_move[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_expected integer;
    v_updated integer;
BEGIN
    WITH taken AS (
        SELECT m.product_id, m.location_id, m.serial_key, sum(m.quantity) AS quantity
        FROM unnest(p_moves) m WHERE NOT m.added_at_sale GROUP BY 1, 2, 3
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
END
$$;

-- Stock and serials leave, on one sale document per invoice that moves stock.
CREATE OR REPLACE FUNCTION ar.write_sale_documents(p_moves ar.sale_move[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH moves AS MATERIALIZED (
        SELECT * FROM unnest(p_moves)
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
END
$$;

-- Posts draft invoices whose decisions allowed it, step by step. Refuses (changing nothing) if
-- any data rule is broken.
-- Planned as for solid-state storage and without JIT compilation, as api.posting_facts is (R__0420).
CREATE OR REPLACE FUNCTION api.post_invoices(p_ids bigint[], p_findings jsonb, p_actor text, p_mode text, p_batch uuid)
RETURNS TABLE (invoice_id bigint, number bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp SET random_page_cost = 1.1 SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_totals record;
    v_moves ar.sale_move[];
BEGIN
    IF coalesce(cardinality(p_ids), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM ar.check_posting_request(p_ids, p_actor, p_mode);
    SELECT * INTO v_totals FROM ar.postable_totals(p_ids);
    -- What the invoices take out of stock, read once for the steps that follow.
    v_moves := ARRAY(SELECT m FROM ar.sale_moves(p_ids) m);
    PERFORM ar.refuse_serial_on_two_invoices(v_moves);
    PERFORM ar.settle_sale_serials(v_moves);
    PERFORM ar.book_invoices(v_totals.invoice_ids, v_totals.totals_customer);
    v_moves := ar.record_serials_added_at_sale(v_moves);
    PERFORM ar.take_sale_stock(v_moves);
    PERFORM ar.create_posted_customer_items(p_ids, p_mode, p_actor);
    -- The numbers last: the series row stays locked until the commit, and every posting waits
    -- for it, so it is held for as short a time as can be (the sale documents name the number).
    PERFORM ar.mark_invoices_posted(p_ids, ar.take_invoice_numbers(p_ids), p_actor);
    PERFORM ar.write_sale_documents(v_moves);
    -- Every decision is kept, with the actor the caller names and the login that called.
    INSERT INTO ar.posting_audit (invoice_id, batch_id, mode, findings, actor)
    SELECT x, p_batch, p_mode, coalesce(p_findings -> x::text, '[]'), p_actor FROM unnest(p_ids) x;
    RETURN QUERY SELECT i.id, i.number FROM ar.invoices i WHERE i.id = ANY (p_ids) ORDER BY i.id;
END
$$;
COMMENT ON FUNCTION api.post_invoices(bigint[], jsonb, text, text, uuid) IS
    'Posts drafts the policy allowed: gapless numbers, ledger entries, stock and serials out, customer items, audit (with the calling login). '
    'Call after api.posting_facts in the same transaction. Service only: the service is the gate that applies the posting rules.';
REVOKE EXECUTE ON FUNCTION api.post_invoices(bigint[], jsonb, text, text, uuid) FROM postgate_client;

-- A preview named by its token, or a refusal saying to preview again.
CREATE OR REPLACE FUNCTION ar.require_preview(p_token uuid) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM ar.preview_tokens WHERE token = p_token) THEN
        PERFORM ar.fail('PG404', 'token', format('there is no preview %s', p_token), 'Preview the selection again.');
    END IF;
END
$$;

-- A mass posting's preview: the invoices and versions the user confirmed, kept under a token
-- that is also the batch id of the posting. Saved a chunk at a time: each call appends its
-- invoices after those saved before, until a posting run starts from the token.
CREATE OR REPLACE FUNCTION api.save_preview(p_token uuid, p_invoices jsonb)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_after integer;
BEGIN
    IF p_token IS NULL OR jsonb_typeof(p_invoices) IS DISTINCT FROM 'array' THEN
        PERFORM ar.fail('PG400', 'token', 'a preview is saved with its token and the array of its invoices', NULL);
    END IF;
    IF EXISTS (SELECT FROM jsonb_array_elements(p_invoices) e
               WHERE jsonb_typeof(e) IS DISTINCT FROM 'object' OR jsonb_typeof(e -> 'id') IS DISTINCT FROM 'number'
                  OR jsonb_typeof(e -> 'version') IS DISTINCT FROM 'number' OR jsonb_typeof(e -> 'blocked') IS DISTINCT FROM 'boolean') THEN
        PERFORM ar.fail('PG400', 'invoices', 'each invoice of a preview has its id, version and whether it is blocked', NULL);
    END IF;
    INSERT INTO ar.preview_tokens (token) VALUES (p_token) ON CONFLICT (token) DO NOTHING;
    -- One writer per preview: the token's row is held while its chunk is appended.
    PERFORM FROM ar.preview_tokens t WHERE t.token = p_token FOR UPDATE;
    IF EXISTS (SELECT FROM ar.posting_runs r WHERE r.token = p_token) OR EXISTS (SELECT FROM ar.posting_audit a WHERE a.batch_id = p_token) THEN
        PERFORM ar.fail('PG423', 'token', format('preview %s is being posted: it can no longer grow', p_token), 'Preview the rest on its own.');
    END IF;
    SELECT coalesce(max(i.k), 0) INTO v_after FROM ar.preview_items i WHERE i.token = p_token;
    INSERT INTO ar.preview_items (token, k, invoice_id, version, blocked, warned, items_to_create, currency, total, reference, customer,
                                  findings)
    SELECT p_token, v_after + e.n::integer, (e.item ->> 'id')::bigint, (e.item ->> 'version')::integer, (e.item ->> 'blocked')::boolean,
           coalesce((e.item ->> 'warned')::boolean, false), coalesce((e.item ->> 'items_to_create')::integer, 0), e.item ->> 'currency',
           (e.item ->> 'total')::numeric, e.item ->> 'reference', e.item ->> 'customer', nullif(e.item -> 'findings', '[]')
    FROM jsonb_array_elements(p_invoices) WITH ORDINALITY e(item, n);
END
$$;
COMMENT ON FUNCTION api.save_preview(uuid, jsonb) IS
    'Appends invoices to a preview (creating it): [{"id", "version", "blocked", "warned", "items_to_create", "currency", "total", '
    '"reference", "customer", "findings"}].';

CREATE OR REPLACE FUNCTION api.preview_invoices(p_token uuid)
RETURNS TABLE (invoice_id bigint, version integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.require_preview(p_token);
    RETURN QUERY SELECT i.invoice_id, i.version FROM ar.preview_items i WHERE i.token = p_token ORDER BY i.k;
END
$$;

CREATE OR REPLACE FUNCTION api.preview_blocked(p_token uuid) RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT count(*)::integer FROM ar.preview_items i WHERE i.token = p_token AND i.blocked
$$;
COMMENT ON FUNCTION api.preview_blocked(uuid) IS 'How many of a preview''s invoices the posting rules blocked when it was made: a selection with any cannot be posted as a whole.';

-- What a preview says in all: its invoices, how many are blocked and how many warned, the
-- customer items they would create, and their totals per currency.
CREATE OR REPLACE FUNCTION api.preview_summary(p_token uuid)
RETURNS TABLE (invoices integer, blocked integer, warned integer, items_to_create bigint, totals jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.require_preview(p_token);
    RETURN QUERY
    SELECT count(*)::integer, (count(*) FILTER (WHERE i.blocked))::integer, (count(*) FILTER (WHERE i.warned AND NOT i.blocked))::integer,
           coalesce(sum(i.items_to_create), 0)::bigint,
           coalesce((SELECT jsonb_object_agg(c.currency, c.total) FROM (
                         SELECT j.currency, sum(j.total) AS total FROM ar.preview_items j
                         WHERE j.token = p_token AND j.currency IS NOT NULL GROUP BY j.currency) c), '{}')
    FROM ar.preview_items i WHERE i.token = p_token;
END
$$;
COMMENT ON FUNCTION api.preview_summary(uuid) IS
    'A preview in all: invoices, blocked, warned (and not blocked), customer items to create, totals per currency.';

-- A page of a preview's invoices as it showed them, in its order after position p_after: all,
-- the blocked ones, or those with findings that block or warn.
CREATE OR REPLACE FUNCTION api.preview_page(p_token uuid, p_after integer DEFAULT 0, p_limit integer DEFAULT 100, p_which text DEFAULT 'all')
RETURNS TABLE (k integer, invoice_id bigint, version integer, blocked boolean, warned boolean, items_to_create integer,
               currency text, total numeric, reference text, customer text, findings jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.require_preview(p_token);
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        PERFORM ar.fail('PG400', 'limit', format('a page holds 1 to 10000 invoices, not %s', coalesce(p_limit::text, 'none')), NULL);
    END IF;
    IF p_which IS NULL OR p_which NOT IN ('all', 'blocked', 'findings') THEN
        PERFORM ar.fail('PG400', 'which', format('a page lists all, blocked or findings, not %s', coalesce(p_which, 'none')), NULL);
    END IF;
    RETURN QUERY
    SELECT i.k, i.invoice_id, i.version, i.blocked, i.warned, i.items_to_create, i.currency, i.total, i.reference, i.customer,
           coalesce(i.findings, '[]')
    FROM ar.preview_items i
    WHERE i.token = p_token AND i.k > coalesce(p_after, 0)
      AND CASE p_which WHEN 'blocked' THEN i.blocked WHEN 'findings' THEN i.blocked OR i.warned ELSE true END
    ORDER BY i.k LIMIT p_limit;
END
$$;
COMMENT ON FUNCTION api.preview_page(uuid, integer, integer, text) IS
    'A page of a preview''s invoices after position p_after (k), as the preview showed them: all, blocked, or findings (blocked or warned).';

CREATE OR REPLACE FUNCTION api.invoice_versions(p_ids bigint[])
RETURNS TABLE (invoice_id bigint, version integer, status text, number bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT id, version, status, number FROM ar.invoices WHERE id = ANY (p_ids)
$$;

-- A draft as messages name it: its id, and its reference when it has one.
CREATE OR REPLACE FUNCTION ar.draft_name(i ar.invoices) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'draft ' || i.id || CASE WHEN i.reference <> '' THEN ' (' || i.reference || ')' ELSE '' END
$$;

-- A preview's drafts as they are now, in the preview's order: the version the preview pinned and
-- the current one, the status and number (NULL status: deleted since), and the name messages use.
CREATE OR REPLACE FUNCTION api.preview_drafts(p_token uuid)
RETURNS TABLE (invoice_id bigint, pinned_version integer, version integer, status text, number bigint, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.require_preview(p_token);
    RETURN QUERY
    SELECT p.invoice_id, p.version, i.version, i.status, i.number, coalesce(ar.draft_name(i), 'draft ' || p.invoice_id)
    FROM ar.preview_items p
    LEFT JOIN ar.invoices i ON i.id = p.invoice_id
    WHERE p.token = p_token
    ORDER BY p.k;
END
$$;
COMMENT ON FUNCTION api.preview_drafts(uuid) IS
    'A preview''s drafts now: the version it pinned and the current one, status and number (NULL status: deleted), and their names.';

-- A preview's drafts that are no longer as it pinned them: posted (by this preview's batch or by
-- another posting), edited (another version) or deleted (no status), in the preview's order, with
-- the names messages use. A confirmation reads these, not the whole preview.
CREATE OR REPLACE FUNCTION api.preview_exceptions(p_token uuid)
RETURNS TABLE (invoice_id bigint, status text, posted_here boolean, edited boolean, name text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.require_preview(p_token);
    RETURN QUERY
    SELECT p.invoice_id, i.status,
           i.status = 'posted' AND EXISTS (SELECT FROM ar.posting_audit a WHERE a.batch_id = p_token AND a.invoice_id = p.invoice_id),
           i.status = 'draft' AND i.version <> p.version, coalesce(ar.draft_name(i), 'draft ' || p.invoice_id)
    FROM ar.preview_items p
    LEFT JOIN ar.invoices i ON i.id = p.invoice_id
    WHERE p.token = p_token AND (i.id IS NULL OR i.status <> 'draft' OR i.version <> p.version)
    ORDER BY p.k;
END
$$;
COMMENT ON FUNCTION api.preview_exceptions(uuid) IS
    'A preview''s drafts no longer as pinned: posted (posted_here: by the preview''s own batch), edited, or deleted (NULL status).';

-- A preview's invoices after position p_after, p_limit of them, in its order: a confirmation
-- reads its selection a page at a time.
CREATE OR REPLACE FUNCTION api.preview_next(p_token uuid, p_after integer, p_limit integer)
RETURNS TABLE (k integer, invoice_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT i.k, i.invoice_id FROM ar.preview_items i
    WHERE i.token = p_token AND i.k > coalesce(p_after, 0) ORDER BY i.k LIMIT greatest(coalesce(p_limit, 0), 0)
$$;
COMMENT ON FUNCTION api.preview_next(uuid, integer, integer) IS 'A page of a preview''s invoice ids after position p_after, in its order.';

-- The versions a preview pinned for some of its invoices: one index look-up per id. (Written as
-- "invoice_id = ANY (p_ids)", a plan made while the table was small scans every kept row against
-- the whole array: 22 ms for a chunk of 1,000 in a preview of 20,000, growing with both.)
CREATE OR REPLACE FUNCTION api.preview_pinned(p_token uuid, p_ids bigint[])
RETURNS TABLE (invoice_id bigint, version integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT i.invoice_id, i.version
    FROM unnest(p_ids) x(id)
    CROSS JOIN LATERAL (SELECT p.invoice_id, p.version FROM ar.preview_items p WHERE p.token = p_token AND p.invoice_id = x.id) i
$$;
COMMENT ON FUNCTION api.preview_pinned(uuid, bigint[]) IS 'The versions a preview pinned for the given invoices of it.';

-- What changed since a preview was made that its confirmation must not post over, besides the
-- drafts' own versions (which the service compares): a customer of its drafts put on hold for
-- invoices, or given other terms (credit limit, payment terms, taxes, currency), since then.
-- Each change names the customer and the drafts it concerns.
CREATE OR REPLACE FUNCTION api.preview_changes(p_token uuid)
RETURNS TABLE (change text) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    -- The drafts' names are made only for the customers that changed (most previews have none).
    WITH customers AS (
        SELECT i.customer_id, min(t.created_at) AS since, count(*) AS n
        FROM ar.preview_tokens t JOIN ar.preview_items p ON p.token = t.token
        JOIN ar.invoices i ON i.id = p.invoice_id AND i.status = 'draft'
        WHERE t.token = p_token
        GROUP BY i.customer_id
    ), terms AS (
        SELECT k.customer_id, string_agg(DISTINCT CASE WHEN e.kind = 'currency_changed' THEN 'currency' ELSE replace(key, '_', ' ') END, ', ')
                   AS changed
        FROM customers k
        JOIN ar.customer_events e ON e.customer_id = k.customer_id AND e.at > k.since AND e.kind IN ('updated', 'currency_changed')
        CROSS JOIN LATERAL jsonb_object_keys(e.details) key
        WHERE (e.kind = 'currency_changed' AND key = 'to')
           OR key IN ('credit_limit', 'payment_terms', 'invoice_terms', 'tax_exempt', 'tax_category', 'active')
        GROUP BY k.customer_id
    )
    SELECT format('customer %s %s after the preview (%s)', c.code, what.said,
                  CASE WHEN k.n > 5 THEN k.n || ' drafts'
                       ELSE (SELECT CASE WHEN k.n > 1 THEN 'drafts ' ELSE '' END || string_agg(ar.draft_name(i), ', ' ORDER BY i.id)
                             FROM ar.preview_items p JOIN ar.invoices i ON i.id = p.invoice_id AND i.status = 'draft'
                             WHERE p.token = p_token AND i.customer_id = c.id) END)
    FROM customers k
    JOIN ar.customers c ON c.id = k.customer_id
    CROSS JOIN LATERAL (
        SELECT 'was put on hold for invoices' AS said
        WHERE c.hold_sales_invoice
          AND EXISTS (SELECT FROM ar.customer_events e WHERE e.customer_id = c.id AND e.kind = 'held' AND e.at > k.since)
        UNION ALL
        SELECT 'was given a new ' || t.changed FROM terms t WHERE t.customer_id = c.id
    ) what
    ORDER BY c.code, what.said
$$;
COMMENT ON FUNCTION api.preview_changes(uuid) IS
    'Customers of a preview''s drafts put on hold for invoices or given new terms since the preview was made, with the drafts they concern.';

CREATE OR REPLACE FUNCTION api.posted_in_batch(p_batch uuid)
RETURNS TABLE (invoice_id bigint) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT a.invoice_id FROM ar.posting_audit a WHERE a.batch_id = p_batch
$$;
COMMENT ON FUNCTION api.posted_in_batch(uuid) IS
    'Invoices a mass posting (its preview token is the batch id) has posted so far: a re-run skips them.';
REVOKE EXECUTE ON FUNCTION api.save_preview(uuid, jsonb), api.posted_in_batch(uuid), api.preview_changes(uuid), api.preview_drafts(uuid),
    api.preview_summary(uuid), api.preview_page(uuid, integer, integer, text), api.preview_exceptions(uuid),
    api.preview_next(uuid, integer, integer), api.preview_pinned(uuid, bigint[]) FROM postgate_client;

-- Posted invoices and credit notes, their lines and serials are never changed by anyone. One
-- trigger function for the six tables: the row is read as JSON, so each table's own columns are
-- used by name.
CREATE OR REPLACE FUNCTION ar.refuse_posted_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_old jsonb := to_jsonb(OLD);
    v_posted boolean;
    v_noun text := CASE WHEN TG_TABLE_NAME LIKE 'credit_note%' THEN 'credit note' ELSE 'invoice' END;
BEGIN
    v_posted := CASE TG_TABLE_NAME
        WHEN 'invoices' THEN v_old ->> 'status' = 'posted'
        WHEN 'credit_notes' THEN v_old ->> 'status' = 'posted'
        WHEN 'invoice_lines' THEN EXISTS (SELECT FROM ar.invoices WHERE id = (v_old ->> 'invoice_id')::bigint AND status = 'posted')
        WHEN 'invoice_line_serials' THEN EXISTS (
            SELECT FROM ar.invoice_lines l JOIN ar.invoices i ON i.id = l.invoice_id
            WHERE l.id = (v_old ->> 'line_id')::bigint AND i.status = 'posted')
        WHEN 'credit_note_lines' THEN EXISTS (SELECT FROM ar.credit_notes WHERE id = (v_old ->> 'credit_note_id')::bigint AND status = 'posted')
        WHEN 'credit_note_line_serials' THEN EXISTS (
            SELECT FROM ar.credit_note_lines l JOIN ar.credit_notes n ON n.id = l.credit_note_id
            WHERE l.id = (v_old ->> 'line_id')::bigint AND n.status = 'posted')
    END;
    IF v_posted AND TG_TABLE_NAME IN ('invoices', 'credit_notes') THEN
        RAISE EXCEPTION '% % is posted: it is never changed or deleted', v_noun, v_old ->> 'number'
            USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, HINT = 'Correct it with another document (a credit note or an adjustment).';
    END IF;
    IF v_posted THEN
        RAISE EXCEPTION 'the lines of a posted % are never changed or deleted', v_noun
            USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, HINT = 'Correct it with another document (a credit note or an adjustment).';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ar.refuse_posted_change() IS
    'Refuses any change to a posted invoice or credit note, its lines and their serials (PG423).';

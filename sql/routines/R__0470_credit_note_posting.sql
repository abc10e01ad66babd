-- Posting credit notes, through the same gate as invoices: the facts the rules read (under the
-- customer's lock), then the posting itself: a number of its own series, the ledger entry at the
-- invoice's rate, the credit allocated to what the invoice still owes, the goods and serials back
-- into stock, the customer items of returned goods ended, and the audit. Service only. Also
-- allocating a posted credit note's credit to other invoices of the customer.
SET LOCAL ROLE postgate_owner;

-- The facts of one credit note, the row type of ar.credit_note_facts and api.credit_note_facts.
-- Made afresh with the functions that return it, so that its columns may change.
DROP FUNCTION IF EXISTS api.credit_note_facts(bigint[], boolean);
DROP FUNCTION IF EXISTS ar.credit_note_facts(bigint[]);
DROP TYPE IF EXISTS ar.credit_note_fact CASCADE;
CREATE TYPE ar.credit_note_fact AS (
    credit_note_id    bigint,
    version           integer,
    status            text,
    reference         text,
    invoice_number    bigint,
    customer          text,
    customer_currency text,
    on_hold_invoices  boolean,
    currency          text,
    total             numeric,
    line_count        integer,
    returns           integer,
    problems          jsonb
);
COMMENT ON TYPE ar.credit_note_fact IS
    'The facts of a credit note that the posting rules read: its customer''s hold, its lines and returns, and what its data does not allow.';

CREATE FUNCTION ar.credit_note_facts(p_ids bigint[]) RETURNS SETOF ar.credit_note_fact
LANGUAGE sql STABLE AS $$
    SELECT n.id, n.version, n.status,
           CASE WHEN n.status = 'posted' THEN 'credit note ' || n.number ELSE 'credit note draft ' || n.id END,
           i.number, c.code, c.currency, c.on_hold AND c.hold_sales_invoice, n.currency, n.total,
           (SELECT count(*)::integer FROM ar.credit_note_lines cl WHERE cl.credit_note_id = n.id),
           (SELECT count(*)::integer FROM ar.credit_note_lines cl WHERE cl.credit_note_id = n.id AND cl.kind = 'return'),
           coalesce(p.items, '[]')
    FROM ar.credit_notes n JOIN ar.invoices i ON i.id = n.invoice_id JOIN ar.customers c ON c.id = n.customer_id
    LEFT JOIN ar.credit_note_problems(p_ids) p ON p.credit_note_id = n.id
    WHERE n.id = ANY (p_ids)
$$;
COMMENT ON FUNCTION ar.credit_note_facts(bigint[]) IS 'The facts of each credit note that the posting rules read (ar.credit_note_fact).';

CREATE FUNCTION api.credit_note_facts(p_ids bigint[], p_lock boolean DEFAULT true) RETURNS SETOF ar.credit_note_fact
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_lock THEN
        -- The customers in id order, as invoices lock them: credit notes and invoices of a customer post one at a time.
        PERFORM 1 FROM ar.customers WHERE id IN (SELECT n.customer_id FROM ar.credit_notes n WHERE n.id = ANY (p_ids)) ORDER BY id FOR UPDATE;
        PERFORM 1 FROM ar.credit_notes WHERE id = ANY (p_ids) ORDER BY id FOR UPDATE;
    END IF;
    RETURN QUERY SELECT * FROM ar.credit_note_facts(p_ids) f ORDER BY f.credit_note_id;
END
$$;
COMMENT ON FUNCTION api.credit_note_facts(bigint[], boolean) IS
    'Locks the customers (in id order) and credit notes, and returns the facts the posting rules read. Service only.';
REVOKE EXECUTE ON FUNCTION api.credit_note_facts(bigint[], boolean) FROM postgate_client;

-- What returns to stock when a credit note posts, line by line: untracked goods by quantity (a
-- kit's untracked components too), serial-tracked goods by their serials.
CREATE OR REPLACE FUNCTION ar.return_moves(p_id bigint)
RETURNS TABLE (line_no integer, product_id bigint, location_id bigint, serial_key bigint, quantity numeric)
LANGUAGE sql STABLE AS $$
    SELECT cl.line_no, il.product_id, cl.location_id, 0::bigint, cl.quantity
    FROM ar.credit_note_lines cl JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id JOIN ar.products p ON p.id = il.product_id
    WHERE cl.credit_note_id = p_id AND cl.kind = 'return' AND cl.location_id IS NOT NULL AND NOT p.is_buildup AND p.serial_tracking = 'none'
    UNION ALL
    SELECT cl.line_no, b.component_id, cl.location_id, 0, cl.quantity * b.quantity
    FROM ar.credit_note_lines cl JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id
    JOIN ar.buildup_components b ON b.buildup_id = il.product_id JOIN ar.products cp ON cp.id = b.component_id AND cp.serial_tracking = 'none'
    WHERE cl.credit_note_id = p_id AND cl.kind = 'return' AND cl.location_id IS NOT NULL
    UNION ALL
    SELECT cl.line_no, cs.product_id, cl.location_id, s.id, cs.quantity
    FROM ar.credit_note_lines cl JOIN ar.credit_note_line_serials cs ON cs.line_id = cl.id
    JOIN ar.serials s ON s.product_id = cs.product_id AND s.serial = cs.serial
    WHERE cl.credit_note_id = p_id AND cl.kind = 'return' AND cl.location_id IS NOT NULL
$$;
COMMENT ON FUNCTION ar.return_moves(bigint) IS 'What posting a credit note brings back into stock, line by line: a kit''s line brings its components.';

-- The goods come back on one return document, naming the credit note.
CREATE OR REPLACE FUNCTION ar.take_back_stock(n ar.credit_notes, p_invoice_number bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_document bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM ar.return_moves(n.id)) THEN
        RETURN;
    END IF;
    INSERT INTO ar.stock_documents (kind, document_date, reference, customer_id, credit_note_id)
    VALUES ('return', n.credit_date, format('credit note %s (invoice %s)', n.number, p_invoice_number), n.customer_id, n.id)
    RETURNING id INTO v_document;
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    SELECT v_document, m.line_no, m.product_id, m.location_id, nullif(m.serial_key, 0), m.quantity FROM ar.return_moves(n.id) m;
    INSERT INTO ar.stock_on_hand AS h (product_id, location_id, serial_key, unit_serial, quantity)
    SELECT m.product_id, m.location_id, m.serial_key, p.serial_tracking = 'unique' AND m.serial_key <> 0, sum(m.quantity)
    FROM ar.return_moves(n.id) m JOIN ar.products p ON p.id = m.product_id
    GROUP BY m.product_id, m.location_id, m.serial_key, p.serial_tracking
    ON CONFLICT (product_id, location_id, serial_key) DO UPDATE SET quantity = h.quantity + excluded.quantity;
END
$$;

-- The customer items of returned goods end: an item with a serial once all of its serial's
-- quantity is back; items without one, as many as the line's units that came back (a kit's
-- items take their component items with them).
CREATE OR REPLACE FUNCTION ar.end_returned_items(n ar.credit_notes) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_ended bigint[];
BEGIN
    WITH lines AS (
        SELECT il.id AS invoice_line_id, il.product_id AS line_product, il.quantity - coalesce(c.returned, 0) AS kept
        FROM ar.credit_note_lines cl JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id
        LEFT JOIN ar.credited_lines(n.invoice_id) c ON c.invoice_line_id = il.id
        WHERE cl.credit_note_id = n.id AND cl.kind = 'return'
    ),
    with_serial AS (
        SELECT ci.id FROM ar.customer_items ci JOIN lines l ON l.invoice_line_id = ci.invoice_line_id
        JOIN ar.sold_serials(n.invoice_id) s ON s.invoice_line_id = ci.invoice_line_id AND s.product_id = ci.product_id AND s.serial = ci.serial
        WHERE ci.status = 'active' AND ci.serial IS NOT NULL AND s.returned >= ci.quantity
    ),
    -- A kit's item whose component's serial came back ends first, then the last ones.
    counted AS (
        SELECT ci.id,
               row_number() OVER (PARTITION BY ci.invoice_line_id, ci.product_id
                                  ORDER BY EXISTS (SELECT FROM ar.customer_items child JOIN with_serial w ON w.id = child.id
                                                   WHERE child.parent_id = ci.id) DESC, ci.id DESC) AS k,
               count(*) OVER (PARTITION BY ci.invoice_line_id, ci.product_id) AS active,
               ceil(l.kept * CASE WHEN ci.product_id = l.line_product THEN 1
                                  ELSE coalesce((SELECT b.quantity FROM ar.buildup_components b
                                                 WHERE b.buildup_id = l.line_product AND b.component_id = ci.product_id), 1) END) AS keep
        FROM ar.customer_items ci JOIN lines l ON l.invoice_line_id = ci.invoice_line_id
        WHERE ci.status = 'active' AND ci.serial IS NULL AND ci.parent_id IS NULL
    ),
    ended AS (
        SELECT id FROM with_serial UNION SELECT id FROM counted WHERE k <= active - keep
    ),
    all_ended AS (
        SELECT id FROM ended
        UNION SELECT ci.id FROM ar.customer_items ci WHERE ci.parent_id IN (SELECT id FROM ended) AND ci.status = 'active'
    ),
    updated AS (
        UPDATE ar.customer_items ci SET status = 'returned', ended_on = n.credit_date, credit_note_id = n.id
        WHERE ci.id IN (SELECT id FROM all_ended) RETURNING ci.id
    )
    SELECT array_agg(id) INTO v_ended FROM updated;
    INSERT INTO ar.customer_item_events (item_id, kind, on_date, details)
    SELECT x, 'returned', n.credit_date, jsonb_build_object('credit_note', n.number) FROM unnest(v_ended) x ORDER BY x;
END
$$;

-- An amount in the customer's currency of one epoch, re-expressed in the currency of the
-- customer's current epoch through the rates of each currency change since (rounded as each
-- change rounded the balance it carried).
CREATE OR REPLACE FUNCTION ar.in_current_epoch(p_customer_id bigint, p_amount numeric, p_epoch integer) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_amount numeric := p_amount;
    e record;
BEGIN
    FOR e IN SELECT l.rate, cur.minor_units FROM ar.ledger_entries l JOIN ar.currencies cur ON cur.code = l.customer_currency
             WHERE l.customer_id = p_customer_id AND l.document_kind = 'currency_change' AND l.currency_epoch > p_epoch
             ORDER BY l.currency_epoch LOOP
        v_amount := round(v_amount * e.rate, e.minor_units);
    END LOOP;
    RETURN v_amount;
END
$$;

-- The credit note's ledger entry: the negative of the credited part at the invoice's own rate.
-- The credit note that completes the invoice's credit takes what is left of its entry, so a
-- fully credited invoice nets to exactly zero in the customer's currency.
CREATE OR REPLACE FUNCTION ar.book_credit_note(n ar.credit_notes) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    e ar.ledger_entries;
    c ar.customers;
    v_minor smallint;
    v_earlier numeric;
    v_earlier_customer numeric;
    v_base numeric;
    v_amount numeric;
BEGIN
    SELECT * INTO e FROM ar.ledger_entries WHERE document_kind = 'invoice' AND document_id = n.invoice_id;
    SELECT * INTO c FROM ar.customers WHERE id = n.customer_id;
    SELECT minor_units INTO v_minor FROM ar.currencies WHERE code = e.customer_currency;
    SELECT coalesce(sum(o.total), 0), coalesce(sum(round(o.total * e.amount_customer / nullif(e.amount, 0), v_minor)), 0)
    INTO v_earlier, v_earlier_customer
    FROM ar.credit_notes o WHERE o.invoice_id = n.invoice_id AND o.status = 'posted' AND o.id <> n.id;
    v_base := CASE WHEN e.amount = 0 THEN 0
                   WHEN v_earlier + n.total = e.amount THEN e.amount_customer - v_earlier_customer
                   ELSE round(n.total * e.amount_customer / e.amount, v_minor) END;
    v_amount := CASE WHEN e.currency_epoch = c.currency_epoch THEN v_base ELSE ar.in_current_epoch(c.id, v_base, e.currency_epoch) END;
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency,
                                   currency_epoch, amount_customer)
    VALUES (c.id, 'credit_note', n.id, n.credit_date, n.currency, -n.total,
            CASE WHEN n.total = 0 OR v_amount <= 0 THEN e.rate ELSE round(v_amount / n.total, 10) END,
            c.currency, c.currency_epoch, -v_amount);
END
$$;

-- Posts a draft credit note the policy allowed; returns its number. Refuses (changing nothing)
-- when it is not a draft, or when its data does not allow it.
CREATE OR REPLACE FUNCTION api.post_credit_note(p_id bigint, p_findings jsonb, p_actor text, p_batch uuid)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    n ar.credit_notes;
    f ar.credit_note_fact;
    v_open numeric;
    v_number bigint;
    v_sibling bigint;
BEGIN
    IF nullif(btrim(p_actor), '') IS NULL THEN
        PERFORM ar.fail('PG400', 'actor', 'the posting names no actor', 'Say who asked for the posting.');
    END IF;
    SELECT * INTO f FROM ar.credit_note_facts(ARRAY[p_id]);
    IF f.credit_note_id IS NULL THEN
        PERFORM ar.no_such_credit_note(p_id);
    END IF;
    IF f.status <> 'draft' THEN
        PERFORM ar.fail('PG423', 'credit_note', format('%s is posted already', f.reference), 'A posted credit note is final.');
    END IF;
    IF f.line_count = 0 THEN
        PERFORM ar.fail('PG422', 'credit_note', format('%s has no lines', f.reference), 'Delete it, or draft it again with its lines.');
    END IF;
    IF f.problems <> '[]' THEN
        PERFORM ar.fail('PG422', 'credit_note', format('%s: %s', f.reference, ar.credit_note_problem_text(f.problems -> 0)),
                        'Preview again and fix what it reports.');
    END IF;
    -- Gapless: the series row stays locked to the end of the transaction.
    UPDATE ar.invoice_numbers SET next = next + 1 WHERE series = 'credit_note' RETURNING next - 1 INTO v_number;
    UPDATE ar.credit_notes SET status = 'posted', number = v_number, posted_at = now(), posted_by = p_actor, version = version + 1
    WHERE id = p_id RETURNING * INTO n;
    PERFORM ar.book_credit_note(n);
    -- The credit goes first to what the invoice still owes; the rest is the customer's credit.
    v_open := ar.invoice_open_amount(n.invoice_id);
    IF least(v_open, n.total) > 0 THEN
        INSERT INTO ar.credit_allocations (credit_note_id, invoice_id, amount) VALUES (n.id, n.invoice_id, least(v_open, n.total));
    END IF;
    PERFORM ar.take_back_stock(n, f.invoice_number);
    PERFORM ar.end_returned_items(n);
    INSERT INTO ar.posting_audit (credit_note_id, batch_id, mode, findings, actor) VALUES (n.id, p_batch, 'single', coalesce(p_findings, '[]'), p_actor);
    INSERT INTO ar.customer_events (customer_id, kind, details)
    VALUES (n.customer_id, 'credited', jsonb_build_object('credit_note', n.number, 'invoice', f.invoice_number, 'total', n.total,
                                                         'currency', n.currency, 'returns', f.returns));
    -- Other drafts of the same invoice are priced again against what this one took.
    FOR v_sibling IN SELECT id FROM ar.credit_notes WHERE invoice_id = n.invoice_id AND status = 'draft' ORDER BY id FOR UPDATE LOOP
        PERFORM ar.price_credit_note(v_sibling);
    END LOOP;
    RETURN n.number;
END
$$;
COMMENT ON FUNCTION api.post_credit_note(bigint, jsonb, text, uuid) IS
    'Posts a draft credit note the policy allowed: its number, its ledger entry, its credit allocated, goods and serials back, customer '
    'items of returned goods ended, audit. Call after api.credit_note_facts in the same transaction. Service only.';
REVOKE EXECUTE ON FUNCTION api.post_credit_note(bigint, jsonb, text, uuid) FROM postgate_client;

-- Allocates what a posted credit note has not allocated yet to other posted invoices of its
-- customer in its currency ([{"invoice_number", "amount"}]; no amount: all that one can take).
-- Returns the amount allocated.
CREATE OR REPLACE FUNCTION api.apply_credit_note(p_number bigint, p_allocations jsonb)
RETURNS numeric LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    n ar.credit_notes;
    v_alloc jsonb;
    v_k integer := 0;
    v_field text;
    v_invoice ar.invoices;
    v_left numeric;
    v_amount numeric;
    v_total numeric := 0;
BEGIN
    SELECT * INTO n FROM ar.credit_notes WHERE number = p_number;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'credit_note', format('there is no credit note %s', coalesce(p_number::text, 'without a number')),
                        'Name a posted credit note by its number.');
    END IF;
    PERFORM 1 FROM ar.customers WHERE id = n.customer_id FOR UPDATE;
    IF jsonb_typeof(p_allocations) IS DISTINCT FROM 'array' OR jsonb_array_length(p_allocations) = 0 THEN
        PERFORM ar.fail('PG400', 'allocations', 'name the invoices the credit goes to', 'Give [{"invoice_number": 12, "amount": 10}].');
    END IF;
    FOR v_alloc IN SELECT * FROM jsonb_array_elements(p_allocations) LOOP
        v_k := v_k + 1;
        v_field := format('allocations[%s]', v_k);
        PERFORM ar.check_fields(v_alloc, ARRAY['invoice_number', 'amount'], 'an allocation', v_field);
        v_invoice := ar.invoice_to_allocate(n.customer_id, ar.integer_field(v_alloc, 'invoice_number', v_field || '.invoice_number'),
                                            v_field || '.invoice_number');
        IF v_invoice.currency <> n.currency THEN
            PERFORM ar.fail('PG422', v_field || '.invoice_number', format('invoice %s is in %s and credit note %s in %s', v_invoice.number,
                            v_invoice.currency, n.number, n.currency), 'Allocate credit to invoices in its own currency.');
        END IF;
        v_left := n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0);
        v_amount := coalesce(ar.decimal_field(v_alloc, 'amount', v_field || '.amount', 2, 1e12),
                             least(v_left, ar.invoice_open_amount(v_invoice.id)));
        IF v_amount <= 0 OR v_amount > v_left OR v_amount > ar.invoice_open_amount(v_invoice.id) THEN
            PERFORM ar.fail('PG422', v_field || '.amount',
                            format('credit note %s has %s left and invoice %s owes %s; %s cannot be allocated', n.number, v_left,
                                   v_invoice.number, ar.invoice_open_amount(v_invoice.id), v_amount),
                            'Allocate at most what both have.');
        END IF;
        INSERT INTO ar.credit_allocations (credit_note_id, invoice_id, amount) VALUES (n.id, v_invoice.id, v_amount);
        v_total := v_total + v_amount;
    END LOOP;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION api.apply_credit_note(bigint, jsonb) IS
    'Allocates a posted credit note''s remaining credit to other posted invoices of its customer in its currency: '
    '[{"invoice_number", "amount"}]. Returns the amount allocated.';
GRANT EXECUTE ON FUNCTION api.apply_credit_note(bigint, jsonb) TO postgate_client;

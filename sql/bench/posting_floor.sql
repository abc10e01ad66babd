-- R3, the posting floor: the writes a confirmed mass posting makes, as plain SQL with no checks,
-- for `postgate bench posting` to time against the confirm on the same drafts. It reads no
-- facts, applies no rule and trusts its input: invoice status and numbers, ledger entries, stock
-- on hand, sale documents and movements, customer items and their events, the posting audit.
-- Not part of the schema: the benchmark creates it in its scratch database only.
CREATE SCHEMA IF NOT EXISTS bench;

-- With the planner settings the posting functions carry (no JIT compilation, random_page_cost
-- 1.1), so that the floor is never slower for a setting the posting is spared.
CREATE OR REPLACE FUNCTION bench.post_floor(p_ids bigint[], p_actor text, p_batch uuid) RETURNS void
LANGUAGE plpgsql SET jit = off SET random_page_cost = 1.1 AS $$
DECLARE
    v_first bigint;
BEGIN
    UPDATE ar.invoice_series SET next = next + cardinality(p_ids) WHERE code = 'COMPANY'
    RETURNING next - cardinality(p_ids) INTO v_first;

    UPDATE ar.invoices i SET status = 'posted', number = v_first + o.k - 1, posted_at = now(), posted_by = p_actor,
        due_date = i.invoice_date + pt.net_days, version = i.version + 1
    FROM (SELECT x AS id, row_number() OVER (ORDER BY x) AS k FROM unnest(p_ids) x) o, ar.customers c, ar.payment_terms pt
    WHERE i.id = o.id AND c.id = i.customer_id AND pt.id = c.payment_terms_id;

    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency,
                                   currency_epoch, amount_customer)
    SELECT i.customer_id, 'invoice', i.id, i.invoice_date, i.currency, i.total, 1, c.currency, c.currency_epoch, i.total
    FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
    WHERE i.id = ANY (p_ids);

    WITH moves AS MATERIALIZED (
        SELECT l.invoice_id, l.line_no, l.product_id, l.location_id, coalesce(s.id, 0) AS serial_key,
               coalesce(ls.quantity, l.quantity) AS quantity
        FROM ar.invoice_lines l
        LEFT JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
        LEFT JOIN ar.serials s ON s.product_id = l.product_id AND s.serial = ls.serial
        WHERE l.invoice_id = ANY (p_ids)
    ),
    taken AS (
        UPDATE ar.stock_on_hand h SET quantity = h.quantity - t.quantity
        FROM (SELECT product_id, location_id, serial_key, sum(quantity) AS quantity FROM moves GROUP BY 1, 2, 3) t
        WHERE h.product_id = t.product_id AND h.location_id = t.location_id AND h.serial_key = t.serial_key
    ),
    documents AS (
        INSERT INTO ar.stock_documents (kind, document_date, reference, customer_id, invoice_id)
        SELECT 'sale', i.invoice_date, 'invoice ' || (v_first + o.k - 1), i.customer_id, i.id
        FROM (SELECT x AS id, row_number() OVER (ORDER BY x) AS k FROM unnest(p_ids) x) o JOIN ar.invoices i ON i.id = o.id
        RETURNING id, stock_documents.invoice_id
    )
    INSERT INTO ar.stock_movements (document_id, line_no, product_id, location_id, serial_id, quantity)
    SELECT d.id, m.line_no, m.product_id, m.location_id, nullif(m.serial_key, 0), -m.quantity
    FROM moves m JOIN documents d ON d.invoice_id = m.invoice_id;

    WITH created AS (
        INSERT INTO ar.customer_items (customer_id, product_id, item_type_id, serial, quantity, source, invoice_id, invoice_line_id,
                                       warranty_start, warranty_end, next_service, notes, created_by)
        SELECT i.customer_id, pi.product_id, pi.item_type_id, pi.serial, pi.quantity, 'invoice', i.id, pi.line_id,
               coalesce(pi.warranty_start, i.invoice_date),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.warranty_months),
               coalesce(pi.warranty_start, i.invoice_date) + make_interval(months => t.service_interval_months),
               pi.notes, p_actor
        FROM ar.pending_customer_items pi JOIN ar.invoices i ON i.id = pi.invoice_id
        JOIN ar.customer_item_types t ON t.id = pi.item_type_id
        WHERE pi.invoice_id = ANY (p_ids)
        RETURNING id, warranty_start, warranty_end, next_service
    )
    INSERT INTO ar.customer_item_events (item_id, kind, on_date)
    SELECT c.id, e.kind, e.on_date
    FROM created c CROSS JOIN LATERAL (VALUES ('created', c.warranty_start), ('warranty_ends', c.warranty_end),
                                              ('service_due', c.next_service)) e(kind, on_date)
    WHERE e.on_date IS NOT NULL;

    INSERT INTO ar.posting_audit (invoice_id, batch_id, mode, findings, actor)
    SELECT x, p_batch, 'mass', '[]', p_actor FROM unnest(p_ids) x;
END
$$;

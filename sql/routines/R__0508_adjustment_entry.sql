-- Entering customer adjustments: a whole staged file in one transaction, or one adjustment at a
-- time through the same checks. Each adjustment writes its ledger entry.
SET LOCAL ROLE postgate_owner;

-- Refuses a file whose checksum an earlier import had, unless importing it again is intended.
CREATE OR REPLACE FUNCTION ar.refuse_repeated_file(p_checksum text, p_allow_duplicate boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_earlier ar.adjustment_batches;
BEGIN
    IF p_checksum IS NOT NULL AND NOT coalesce(p_allow_duplicate, false) THEN
        SELECT * INTO v_earlier FROM ar.adjustment_batches WHERE checksum = p_checksum ORDER BY id LIMIT 1;
        IF FOUND THEN
            PERFORM ar.fail('PG409', 'file',
                            format('this file was imported before, as batch %s on %s', v_earlier.id, v_earlier.imported_at::date),
                            'If importing it again is intended, say so (allow duplicate); every row would become another adjustment.');
        END IF;
    END IF;
END
$$;

-- How many rows the import has, in one pass that checks every one of them; refused when it has
-- none, or any with a problem.
CREATE OR REPLACE FUNCTION ar.checked_row_count(p_import bigint) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_rows integer;
    v_problems bigint;
BEGIN
    SELECT count(*),
           count(*) FILTER (WHERE coalesce(customer_problem, date_problem, amount_problem, currency_problem, reason_problem) IS NOT NULL)
    INTO v_rows, v_problems
    FROM ar.staged_adjustment_problems(p_import);
    IF v_rows = 0 THEN
        PERFORM ar.fail('PG400', 'file', 'the file has no adjustments', 'Add rows under the headings.');
    END IF;
    IF v_problems > 0 THEN
        PERFORM ar.fail('PG422', 'file', 'the file has problems; nothing was imported',
                        'List them with api.validate_adjustment_import(import), fix the file and import it again.');
    END IF;
    RETURN v_rows;
END
$$;

-- Writes every staged row of a checked import as an adjustment of the batch, with its ledger
-- entry. Every row passed its checks, so its date text is a valid Y-M-D. Ids are drawn first, in
-- the file's order, so the adjustments and their ledger entries are two plain inserts.
CREATE OR REPLACE FUNCTION ar.insert_staged_adjustments(p_import bigint, p_batch bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    WITH settings AS MATERIALIZED (
        SELECT ar.setting('default_adjustment_reason') #>> '{}' AS reason, i.date_order, i.login
        FROM ar.adjustment_imports i WHERE i.id = p_import
    ),
    staged AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('ar.adjustments', 'id')) AS id, x.*,
               round(x.amount * x.rate, x.minor_units) AS amount_customer
        FROM (
            SELECT c.id AS customer_id, c.currency AS customer_currency, c.currency_epoch, cur.minor_units,
                   s.adjustment_date, btrim(s.amount)::numeric AS amount,
                   coalesce(upper(nullif(btrim(s.currency), '')), c.currency) AS currency,
                   r.id AS reason_id, coalesce(s.reference, '') AS reference, coalesce(s.notes, '') AS notes,
                   CASE WHEN coalesce(upper(nullif(btrim(s.currency), '')), c.currency) = c.currency THEN 1
                        ELSE ar.conversion_rate(upper(btrim(s.currency)), c.currency, s.adjustment_date) END AS rate
            FROM (SELECT t.record_no, t.customer_code, t.amount, t.currency, t.reason, t.reference, t.notes,
                         ar.import_date_text(btrim(t.adjustment_date), d.date_order)::date AS adjustment_date, d.reason AS default_reason
                  FROM staging.adjustment_import t CROSS JOIN settings d
                  WHERE t.import_id = p_import AND t.login = d.login OFFSET 0) s
            JOIN ar.customers c ON lower(c.code) = lower(btrim(s.customer_code))
            JOIN ar.currencies cur ON cur.code = c.currency
            JOIN ar.adjustment_reasons r ON lower(r.code) = lower(coalesce(nullif(btrim(s.reason), ''), s.default_reason))
            ORDER BY s.record_no
        ) x
    ),
    adjustments AS (
        INSERT INTO ar.adjustments (id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, batch_id)
        OVERRIDING SYSTEM VALUE
        SELECT id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, p_batch FROM staged
    )
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency,
                                   currency_epoch, amount_customer)
    SELECT customer_id, 'adjustment', id, adjustment_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer
    FROM staged;
END
$$;

-- Imports every staged row in one transaction, or nothing: refused if any row has a problem,
-- or if a file with the same checksum was imported before and p_allow_duplicate is false.
DROP FUNCTION IF EXISTS api.import_adjustments(text, text, boolean);
DROP FUNCTION IF EXISTS api.import_adjustments(bigint, text, text, boolean);
CREATE FUNCTION api.import_adjustments(p_import bigint, p_file_name text DEFAULT '', p_checksum text DEFAULT NULL,
                                       p_allow_duplicate boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_rows integer;
    v_batch bigint;
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    PERFORM ar.refuse_repeated_file(p_checksum, p_allow_duplicate);
    v_rows := ar.checked_row_count(p_import);
    INSERT INTO ar.adjustment_batches (file_name, checksum, rows) VALUES (coalesce(p_file_name, ''), p_checksum, v_rows)
    RETURNING id INTO v_batch;
    PERFORM ar.insert_staged_adjustments(p_import, v_batch);
    PERFORM ar.end_adjustment_import(p_import);
    RETURN v_batch;
END
$$;
COMMENT ON FUNCTION api.import_adjustments(bigint, text, text, boolean) IS
    'Imports every staged row of the caller''s import as a new adjustment in one transaction (each writes its ledger entry), or nothing; '
    'returns the batch id.';

CREATE OR REPLACE FUNCTION api.add_adjustment(p_adjustment jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_import bigint;
    v_problem record;
    v_batch bigint;
    v_id bigint;
BEGIN
    PERFORM ar.check_fields(p_adjustment, ARRAY['customer', 'date', 'amount', 'currency', 'reason', 'reference', 'notes'], 'an adjustment');
    -- One adjustment goes the import's way, so it is checked by the same rules; its row waits in
    -- the default partition for the length of this call.
    INSERT INTO ar.adjustment_imports DEFAULT VALUES RETURNING id INTO v_import;
    INSERT INTO staging.adjustment_import (import_id, customer_code, adjustment_date, amount, currency, reason, reference, notes)
    VALUES (v_import, p_adjustment ->> 'customer', coalesce(p_adjustment ->> 'date', current_date::text), p_adjustment ->> 'amount',
            p_adjustment ->> 'currency', p_adjustment ->> 'reason', p_adjustment ->> 'reference', p_adjustment ->> 'notes');
    SELECT * INTO v_problem FROM api.validate_adjustment_import(v_import, 1);
    IF FOUND THEN
        -- A value of the wrong form is 400; a code that names nothing 404; a rule (inactive, no rate) 422/424.
        PERFORM ar.fail(CASE WHEN v_problem.reason LIKE 'there is no %' THEN 'PG404'
                             WHEN v_problem.reason LIKE 'no conversion rate %' THEN 'PG424'
                             WHEN v_problem.reason LIKE '%inactive' THEN 'PG422'
                             ELSE 'PG400' END,
                        lower(replace(CASE v_problem.column_name WHEN 'Customer Code' THEN 'customer'
                                                                          WHEN 'Adjustment Date' THEN 'date'
                                                                          ELSE v_problem.column_name END, ' ', '_')),
                        format('%s %s: %s', v_problem.column_name, coalesce(quote_literal(v_problem.value), '(empty)'), v_problem.reason), NULL);
    END IF;
    v_batch := api.import_adjustments(v_import, '', NULL, true);
    DELETE FROM staging.adjustment_import_default WHERE import_id = v_import;
    SELECT id INTO v_id FROM ar.adjustments WHERE batch_id = v_batch;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.add_adjustment(jsonb) IS
    'Enters one adjustment {"customer", "date", "amount", "currency", "reason", "reference", "notes"}; returns its id.';

GRANT EXECUTE ON FUNCTION api.import_adjustments(bigint, text, text, boolean), api.add_adjustment(jsonb) TO postgate_client;

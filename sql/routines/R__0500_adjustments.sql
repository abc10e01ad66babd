-- Customer adjustments: one at a time, or imported in bulk from CSV through a staging table
-- that the importing session loads with COPY (the service, or psql's \copy).
SET LOCAL ROLE postgate_owner;
-- The import functions read the session's staging table, which exists only during an import.
SET LOCAL check_function_bodies = off;

CREATE OR REPLACE FUNCTION api.save_adjustment_reason(p_code text, p_name text, p_active boolean DEFAULT true, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.required_text(p_code, 'code');
    v_row ar.adjustment_reasons;
BEGIN
    SELECT * INTO v_row FROM ar.adjustment_reasons WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.adjustment_reasons (code, name, active) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_active, true));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('adjustment reason', v_row.code, v_row.version, p_version);
    UPDATE ar.adjustment_reasons SET name = ar.required_text(p_name, 'name'), active = coalesce(p_active, true), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_adjustment_reason(text, text, boolean, integer) IS 'Adds an adjustment reason code, or changes one when given its version.';

-- The staging table of an import: created in the caller's session, loaded with COPY.
CREATE OR REPLACE FUNCTION api.begin_adjustment_import() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.adjustment_import;
    CREATE TEMPORARY TABLE adjustment_import (
        line_no         bigint GENERATED ALWAYS AS IDENTITY (START WITH 2),
        customer_code   text,
        customer_name   text,
        adjustment_date text,
        amount          text,
        currency        text,
        reason          text,
        reference       text,
        notes           text,
        import_batch    text,
        created_at      text
    );
    GRANT INSERT, SELECT ON pg_temp.adjustment_import TO PUBLIC;
    RETURN 'pg_temp.adjustment_import';
END
$$;
COMMENT ON FUNCTION api.begin_adjustment_import() IS 'Creates the session''s empty staging table pg_temp.adjustment_import (text columns; line_no numbers the rows from 2, as a spreadsheet shows them). Load it with COPY, then call api.validate_adjustment_import and api.import_adjustments.';

-- A YYYY-MM-DD text as a date, or NULL when it is not one.
DROP FUNCTION IF EXISTS ar.try_date(text);
CREATE FUNCTION ar.try_date(p_text text) RETURNS date
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_text !~ '^\d{4}-\d{2}-\d{2}$' THEN
        RETURN NULL;
    END IF;
    RETURN p_text::date;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

-- Each staged row with its problem per column (NULL: none), in one pass over the rows.
CREATE OR REPLACE FUNCTION ar.staged_adjustment_problems()
RETURNS TABLE (line_no bigint, customer_code text, adjustment_date text, amount text, currency text, reason text,
               customer_problem text, date_problem text, amount_problem text, currency_problem text, reason_problem text)
LANGUAGE sql STABLE AS $$
    WITH rows AS (
        SELECT s.line_no, nullif(btrim(s.customer_code), '') AS customer_code, nullif(btrim(s.adjustment_date), '') AS adjustment_date,
               nullif(btrim(s.amount), '') AS amount, nullif(btrim(s.currency), '') AS currency,
               coalesce(nullif(btrim(s.reason), ''), d.reason) AS reason
        FROM pg_temp.adjustment_import s CROSS JOIN (SELECT ar.setting('default_adjustment_reason') #>> '{}' AS reason) d
    ),
    checked AS (
        SELECT r.*, c.id AS customer_id, c.active, c.currency AS customer_currency, cur.code AS currency_code, cur.minor_units,
               reason_row.id AS reason_id, reason_row.active AS reason_active,
               ar.try_date(r.adjustment_date) AS date_value, r.amount ~ '^[+-]?[0-9]+(\.[0-9]+)?$' AS amount_ok
        FROM rows r
        LEFT JOIN ar.customers c ON lower(c.code) = lower(r.customer_code)
        LEFT JOIN ar.currencies cur ON cur.code = coalesce(upper(r.currency), c.currency)
        LEFT JOIN ar.adjustment_reasons reason_row ON lower(reason_row.code) = lower(r.reason)
    ),
    problems AS (
        SELECT k.line_no, k.customer_code, k.adjustment_date, k.amount, k.currency, k.reason,
            CASE
                WHEN k.customer_code IS NULL THEN 'Customer Code is mandatory'
                WHEN k.customer_id IS NULL THEN 'there is no customer with this code'
                WHEN NOT k.active THEN 'the customer is inactive' END AS customer_problem,
            CASE
                WHEN k.adjustment_date IS NULL THEN 'Adjustment Date is mandatory'
                WHEN k.date_value IS NULL THEN 'not a date: write YYYY-MM-DD, such as 2026-11-01' END AS date_problem,
            CASE
                WHEN k.amount IS NULL THEN 'Amount is mandatory'
                WHEN NOT k.amount_ok THEN 'not an amount: write digits with a point for decimals, such as -125.50'
                WHEN k.amount::numeric = 0 THEN 'an adjustment of zero changes nothing'
                WHEN abs(k.amount::numeric) >= 1e12 THEN 'too large: at most 999999999999.9999'
                WHEN k.minor_units IS NOT NULL AND scale(k.amount::numeric) > k.minor_units THEN format('more decimals than %s has (%s)', k.currency_code, k.minor_units) END AS amount_problem,
            CASE
                WHEN k.currency IS NOT NULL AND k.currency_code IS NULL THEN 'there is no such currency'
                WHEN k.currency_code IS NOT NULL AND k.customer_id IS NOT NULL AND k.date_value IS NOT NULL AND k.currency_code <> k.customer_currency
                     AND NOT EXISTS (SELECT FROM ar.conversion_rates cr WHERE cr.valid_from <= k.date_value AND
                        ((cr.from_currency = k.currency_code AND cr.to_currency = k.customer_currency) OR (cr.from_currency = k.customer_currency AND cr.to_currency = k.currency_code)))
                THEN format('no conversion rate from %s to %s on %s', k.currency_code, k.customer_currency, k.date_value) END AS currency_problem,
            CASE
                WHEN k.reason_id IS NULL THEN 'there is no such reason code'
                WHEN NOT k.reason_active THEN 'the reason is inactive' END AS reason_problem
        FROM checked k
    )
    SELECT line_no, customer_code, adjustment_date, amount, currency, reason,
           customer_problem, date_problem, amount_problem, currency_problem, reason_problem
    FROM problems
$$;

-- Every problem of every staged row: line, column heading, value, reason. Empty: importable.
CREATE OR REPLACE FUNCTION api.validate_adjustment_import()
RETURNS TABLE (line bigint, column_name text, value text, reason text)
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    WITH problems AS MATERIALIZED (SELECT * FROM ar.staged_adjustment_problems())
    SELECT * FROM (
        SELECT line_no, 'Customer Code', customer_code, customer_problem FROM problems WHERE customer_problem IS NOT NULL
        UNION ALL SELECT line_no, 'Adjustment Date', adjustment_date, date_problem FROM problems WHERE date_problem IS NOT NULL
        UNION ALL SELECT line_no, 'Amount', amount, amount_problem FROM problems WHERE amount_problem IS NOT NULL
        UNION ALL SELECT line_no, 'Currency', currency, currency_problem FROM problems WHERE currency_problem IS NOT NULL
        UNION ALL SELECT line_no, 'Reason', reason, reason_problem FROM problems WHERE reason_problem IS NOT NULL
    ) found (line, column_name, value, reason)
    ORDER BY 1, 2
$$;
COMMENT ON FUNCTION api.validate_adjustment_import() IS 'Every problem of every staged row (line, column heading, value, reason); empty when the whole file can be imported.';

-- Imports every staged row in one transaction, or nothing: refused if any row has a problem,
-- or if a file with the same checksum was imported before and p_allow_duplicate is false.
CREATE OR REPLACE FUNCTION api.import_adjustments(p_file_name text DEFAULT '', p_checksum text DEFAULT NULL, p_allow_duplicate boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_problems bigint;
    v_rows integer;
    v_batch bigint;
    v_earlier ar.adjustment_batches;
BEGIN
    IF to_regclass('pg_temp.adjustment_import') IS NULL THEN
        PERFORM ar.fail('PG400', 'file', 'there is nothing staged to import', 'Call api.begin_adjustment_import() and load pg_temp.adjustment_import with COPY first.');
    END IF;
    SELECT count(*) INTO v_rows FROM pg_temp.adjustment_import;
    IF v_rows = 0 THEN
        PERFORM ar.fail('PG400', 'file', 'the file has no adjustments', 'Add rows under the headings.');
    END IF;
    IF p_checksum IS NOT NULL AND NOT coalesce(p_allow_duplicate, false) THEN
        SELECT * INTO v_earlier FROM ar.adjustment_batches WHERE checksum = p_checksum ORDER BY id LIMIT 1;
        IF FOUND THEN
            PERFORM ar.fail('PG409', 'file', format('this file was imported before, as batch %s on %s', v_earlier.id, v_earlier.imported_at::date),
                            'If importing it again is intended, say so (--allow-duplicate); every row would become another adjustment.');
        END IF;
    END IF;
    SELECT count(*) INTO v_problems FROM (
        SELECT 1 FROM ar.staged_adjustment_problems()
        WHERE coalesce(customer_problem, date_problem, amount_problem, currency_problem, reason_problem) IS NOT NULL LIMIT 1) any_problem;
    IF v_problems > 0 THEN
        PERFORM ar.fail('PG422', 'file', 'the file has problems; nothing was imported', 'List them with api.validate_adjustment_import(), fix the file and import it again.');
    END IF;
    INSERT INTO ar.adjustment_batches (file_name, checksum, rows) VALUES (coalesce(p_file_name, ''), p_checksum, v_rows) RETURNING id INTO v_batch;
    -- Ids are drawn first, so the adjustments and their ledger entries are two plain inserts.
    DROP TABLE IF EXISTS pg_temp.adjustment_rows;
    CREATE TEMPORARY TABLE adjustment_rows ON COMMIT DROP AS
    SELECT nextval(pg_get_serial_sequence('ar.adjustments', 'id')) AS id, x.*,
           round(x.amount * x.rate, x.minor_units) AS amount_customer
    FROM (
        SELECT s.line_no, c.id AS customer_id, c.currency AS customer_currency, c.currency_epoch, cur.minor_units,
               btrim(s.adjustment_date)::date AS adjustment_date, btrim(s.amount)::numeric AS amount,
               coalesce(upper(nullif(btrim(s.currency), '')), c.currency) AS currency,
               r.id AS reason_id, coalesce(s.reference, '') AS reference, coalesce(s.notes, '') AS notes,
               CASE WHEN coalesce(upper(nullif(btrim(s.currency), '')), c.currency) = c.currency THEN 1
                    ELSE ar.conversion_rate(upper(btrim(s.currency)), c.currency, btrim(s.adjustment_date)::date) END AS rate
        FROM pg_temp.adjustment_import s
        CROSS JOIN (SELECT ar.setting('default_adjustment_reason') #>> '{}' AS reason) d
        JOIN ar.customers c ON lower(c.code) = lower(btrim(s.customer_code))
        JOIN ar.currencies cur ON cur.code = c.currency
        JOIN ar.adjustment_reasons r ON lower(r.code) = lower(coalesce(nullif(btrim(s.reason), ''), d.reason))
        ORDER BY s.line_no
    ) x;
    INSERT INTO ar.adjustments (id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, batch_id)
    OVERRIDING SYSTEM VALUE
    SELECT id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, v_batch FROM pg_temp.adjustment_rows;
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
    SELECT customer_id, 'adjustment', id, adjustment_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer
    FROM pg_temp.adjustment_rows;
    DROP TABLE pg_temp.adjustment_import;
    RETURN v_batch;
END
$$;
COMMENT ON FUNCTION api.import_adjustments(text, text, boolean) IS 'Imports every staged row as a new adjustment in one transaction (each writes its ledger entry), or nothing; returns the batch id.';

CREATE OR REPLACE FUNCTION api.add_adjustment(p_adjustment jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_problem record;
    v_batch bigint;
    v_id bigint;
BEGIN
    PERFORM api.begin_adjustment_import();
    INSERT INTO pg_temp.adjustment_import (customer_code, adjustment_date, amount, currency, reason, reference, notes)
    VALUES (p_adjustment ->> 'customer', coalesce(p_adjustment ->> 'date', current_date::text), p_adjustment ->> 'amount',
            p_adjustment ->> 'currency', p_adjustment ->> 'reason', p_adjustment ->> 'reference', p_adjustment ->> 'notes');
    SELECT * INTO v_problem FROM api.validate_adjustment_import() LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG400', lower(replace(CASE v_problem.column_name WHEN 'Customer Code' THEN 'customer' WHEN 'Adjustment Date' THEN 'date' ELSE v_problem.column_name END, ' ', '_')),
                        format('%s %s: %s', v_problem.column_name, coalesce(quote_literal(v_problem.value), '(empty)'), v_problem.reason), NULL);
    END IF;
    v_batch := api.import_adjustments('', NULL, true);
    SELECT id INTO v_id FROM ar.adjustments WHERE batch_id = v_batch;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.add_adjustment(jsonb) IS 'Enters one adjustment {"customer", "date", "amount", "currency", "reason", "reference", "notes"}; returns its id.';

-- The export, with the import's headings. Filters: customer, from, to, reason, min, max, batch.
CREATE OR REPLACE FUNCTION api.export_adjustments(p_filter jsonb DEFAULT '{}')
RETURNS TABLE ("Customer Code" text, "Customer Name" text, "Adjustment Date" date, "Amount" numeric, "Currency" text,
               "Reason" text, "Reference" text, "Notes" text, "Import Batch" bigint, "Created At" timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT c.code, c.name, a.adjustment_date, trim_scale(a.amount), a.currency, r.code, a.reference, a.notes, a.batch_id, a.created_at
    FROM ar.adjustments a JOIN ar.customers c ON c.id = a.customer_id JOIN ar.adjustment_reasons r ON r.id = a.reason_id
    WHERE (p_filter ->> 'customer' IS NULL OR lower(c.code) = lower(p_filter ->> 'customer'))
      AND (p_filter ->> 'from' IS NULL OR a.adjustment_date >= (p_filter ->> 'from')::date)
      AND (p_filter ->> 'to' IS NULL OR a.adjustment_date <= (p_filter ->> 'to')::date)
      AND (p_filter ->> 'reason' IS NULL OR lower(r.code) = lower(p_filter ->> 'reason'))
      AND (p_filter ->> 'min' IS NULL OR a.amount >= (p_filter ->> 'min')::numeric)
      AND (p_filter ->> 'max' IS NULL OR a.amount <= (p_filter ->> 'max')::numeric)
      AND (p_filter ->> 'batch' IS NULL OR a.batch_id = (p_filter ->> 'batch')::bigint)
    ORDER BY a.id
$$;
COMMENT ON FUNCTION api.export_adjustments(jsonb) IS 'Adjustments with the CSV headings of the import, filtered by {"customer", "from", "to", "reason", "min", "max", "batch"}.';

CREATE OR REPLACE VIEW report.adjustments AS
SELECT a.id AS adjustment_id, c.code AS customer, a.adjustment_date, a.amount, a.currency, r.code AS reason, a.reference, a.notes,
       a.batch_id, b.file_name, a.created_by, a.created_at
FROM ar.adjustments a JOIN ar.customers c ON c.id = a.customer_id JOIN ar.adjustment_reasons r ON r.id = a.reason_id
LEFT JOIN ar.adjustment_batches b ON b.id = a.batch_id;
COMMENT ON VIEW report.adjustments IS 'Every customer adjustment, with its reason and import batch.';

GRANT EXECUTE ON FUNCTION api.save_adjustment_reason(text, text, boolean, integer), api.begin_adjustment_import(),
    api.validate_adjustment_import(), api.import_adjustments(text, text, boolean), api.add_adjustment(jsonb), api.export_adjustments(jsonb)
TO postgate_client;

-- Customer adjustments: one at a time, or imported in bulk from CSV through a staging table
-- that the importing session loads with COPY (the service, or psql's \copy).
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_adjustment_reason(p_code text, p_name text, p_active boolean DEFAULT true, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
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

-- An import's rows go into a partition of staging.adjustment_import of their own. The session
-- setting postgate.adjustment_import tells COPY which import the rows belong to.
DROP FUNCTION IF EXISTS api.begin_adjustment_import();
DROP FUNCTION IF EXISTS api.begin_adjustment_import(jsonb);
CREATE FUNCTION api.begin_adjustment_import(p_options jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_id bigint;
    v_stale bigint;
    v_order text;
BEGIN
    PERFORM ar.check_fields(coalesce(p_options, '{}'), ARRAY['date_order'], 'the import options');
    v_order := upper(coalesce(ar.json_value(p_options, 'date_order', 'string') #>> '{}', 'ISO'));
    IF v_order NOT IN ('ISO', 'MDY', 'DMY') THEN
        PERFORM ar.fail('PG400', 'date_order', format('date_order %L is not one of ISO, MDY, DMY', p_options ->> 'date_order'),
                        'ISO reads YYYY-MM-DD only; MDY also reads 11/01/2026 as November 1; DMY as 11 January.');
    END IF;
    -- Imports whose session is gone are swept, with their rows.
    FOR v_stale IN SELECT i.id FROM ar.adjustment_imports i
                   WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = i.backend)
                      OR (i.login = session_user AND i.backend = pg_catalog.pg_backend_pid()) LOOP
        PERFORM ar.end_adjustment_import(v_stale);
    END LOOP;
    INSERT INTO ar.adjustment_imports (date_order) VALUES (v_order) RETURNING id INTO v_id;
    EXECUTE format('CREATE TABLE staging.%I PARTITION OF staging.adjustment_import FOR VALUES IN (%s)', 'adjustment_import_' || v_id, v_id);
    PERFORM pg_catalog.set_config('postgate.adjustment_import', v_id::text, false);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.begin_adjustment_import(jsonb) IS
    'Begins an adjustment import ({"date_order": "ISO" (default), "MDY" or "DMY"}): returns its id and makes it the session''s, so that COPY staging.adjustment_import (headings) '
    'FROM STDIN WITH (FORMAT csv, HEADER true) stages the file''s rows under it. Then api.validate_adjustment_import(id) and api.import_adjustments(id, ...).';

-- Drops an import's rows and forgets it.
CREATE OR REPLACE FUNCTION ar.end_adjustment_import(p_import bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS staging.%I', 'adjustment_import_' || p_import);
    DELETE FROM ar.adjustment_imports WHERE id = p_import;
END
$$;

-- The caller's own import, or a refusal: an import is read only by the login that began it. Its
-- staged rows are analysed once, so that the checks join them to customers by hash, not row by row.
CREATE OR REPLACE FUNCTION ar.own_adjustment_import(p_import bigint) RETURNS ar.adjustment_imports
LANGUAGE plpgsql AS $$
DECLARE
    v ar.adjustment_imports;
BEGIN
    SELECT * INTO v FROM ar.adjustment_imports WHERE id = p_import AND login = session_user;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'import', format('there is no adjustment import %s of login %s', coalesce(p_import::text, '(none)'), session_user),
                        'Begin one with api.begin_adjustment_import() and stage the rows in the same session.');
    END IF;
    IF (SELECT c.reltuples FROM pg_catalog.pg_class c
        WHERE c.oid = to_regclass(format('staging.%I', 'adjustment_import_' || p_import))) < 0 THEN
        EXECUTE format('ANALYZE staging.%I', 'adjustment_import_' || p_import);
    END IF;
    RETURN v;
END
$$;

DROP FUNCTION IF EXISTS api.discard_adjustment_import(bigint);
CREATE FUNCTION api.discard_adjustment_import(p_import bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    PERFORM ar.end_adjustment_import(p_import);
END
$$;
COMMENT ON FUNCTION api.discard_adjustment_import(bigint) IS 'Ends an import without importing: its staged rows are dropped.';

DROP FUNCTION IF EXISTS ar.staged_adjustments(bigint);

-- Dates as spreadsheets write them, read without raising: ISO (YYYY-MM-DD) always; with a date
-- order, also M/D/YYYY (MDY) or D/M/YYYY (DMY), with '/', '-' or '.' between. NULL: not a date.
DROP FUNCTION IF EXISTS ar.try_date(text);
CREATE OR REPLACE FUNCTION ar.days_in_month(p_year integer, p_month integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p_month IN (4, 6, 9, 11) THEN 30
                WHEN p_month = 2 THEN CASE WHEN p_year % 4 = 0 AND (p_year % 100 <> 0 OR p_year % 400 = 0) THEN 29 ELSE 28 END
                ELSE 31 END
$$;

-- The date as Y-M-D text when it is written in a form the order reads; NULL otherwise. These
-- functions are single expressions, so the planner inlines them into the import's queries.
CREATE OR REPLACE FUNCTION ar.import_date_text(p_text text, p_order text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_text ~ '^\d{4}-\d{1,2}-\d{1,2}$' THEN p_text
        WHEN p_order = 'MDY' THEN substring(regexp_replace(p_text, '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$', '\3-\1-\2') FROM '^\d{4}-\d{1,2}-\d{1,2}$')
        WHEN p_order = 'DMY' THEN substring(regexp_replace(p_text, '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$', '\3-\2-\1') FROM '^\d{4}-\d{1,2}-\d{1,2}$')
    END
$$;

-- A Y-M-D text as a date, or NULL when there is no such day.
CREATE OR REPLACE FUNCTION ar.ymd_date(p_ymd text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN split_part(p_ymd, '-', 1)::integer >= 1
                 AND split_part(p_ymd, '-', 2)::integer BETWEEN 1 AND 12
                 AND split_part(p_ymd, '-', 3)::integer BETWEEN 1
                     AND ar.days_in_month(split_part(p_ymd, '-', 1)::integer, split_part(p_ymd, '-', 2)::integer)
                THEN make_date(split_part(p_ymd, '-', 1)::integer, split_part(p_ymd, '-', 2)::integer, split_part(p_ymd, '-', 3)::integer) END
$$;

CREATE OR REPLACE FUNCTION ar.parse_import_date(p_text text, p_order text) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ar.ymd_date(ar.import_date_text(p_text, p_order))
$$;
COMMENT ON FUNCTION ar.parse_import_date(text, text) IS 'A date written YYYY-MM-DD, or (with the order MDY or DMY) M/D/YYYY or D/M/YYYY; NULL when it is not a valid date.';

-- Why a date text cannot be read in the import's date order, or NULL when it can.
CREATE OR REPLACE FUNCTION ar.import_date_problem(p_text text, p_order text, p_date date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_text IS NULL THEN 'Adjustment Date is mandatory'
        WHEN p_date IS NOT NULL THEN NULL
        WHEN p_text ~ '^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$' THEN 'a two-digit year is not read: write the year in full, such as 2026'
        WHEN p_order = 'ISO' AND p_text ~ '^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}$'
            THEN 'dates written like 11/01/2026 are read only when the order is given: date order MDY (month first) or DMY (day first)'
        WHEN p_order = 'MDY' THEN 'not a date: write MM/DD/YYYY (month first, such as 11/01/2026) or YYYY-MM-DD'
        WHEN p_order = 'DMY' THEN 'not a date: write DD/MM/YYYY (day first, such as 01/11/2026) or YYYY-MM-DD'
        ELSE 'not a date: write YYYY-MM-DD, such as 2026-11-01' END
$$;

-- Each staged row (by its record_no) with its problem per column (NULL: none), in one pass over
-- the rows. Every check is an expression: no row opens a subtransaction. The one-row settings are
-- read once, and each date is parsed once (the LATERAL subqueries).
DROP FUNCTION IF EXISTS ar.staged_adjustment_problems();
DROP FUNCTION IF EXISTS ar.staged_adjustment_problems(bigint);
CREATE FUNCTION ar.staged_adjustment_problems(p_import bigint)
RETURNS TABLE (record_no bigint, customer_code text, adjustment_date text, amount text, currency text, reason text,
               customer_problem text, date_problem text, amount_problem text, currency_problem text, reason_problem text)
LANGUAGE sql STABLE AS $$
    WITH settings AS MATERIALIZED (
        SELECT ar.setting('default_adjustment_reason') #>> '{}' AS reason, i.date_order, i.login
        FROM ar.adjustment_imports i WHERE i.id = p_import
    ),
    rows AS (
        SELECT s.record_no, nullif(btrim(s.customer_code), '') AS customer_code, nullif(btrim(s.adjustment_date), '') AS adjustment_date,
               nullif(btrim(s.amount), '') AS amount, nullif(btrim(s.currency), '') AS currency,
               coalesce(nullif(btrim(s.reason), ''), d.reason) AS reason, d.date_order, dt.ymd
        FROM staging.adjustment_import s CROSS JOIN settings d
        CROSS JOIN LATERAL (SELECT ar.import_date_text(nullif(btrim(s.adjustment_date), ''), d.date_order) AS ymd OFFSET 0) dt
        WHERE s.import_id = p_import AND s.login = d.login
    ),
    checked AS (
        SELECT r.*, c.id AS customer_id, c.active, c.currency AS customer_currency, cur.code AS currency_code, cur.minor_units,
               reason_row.id AS reason_id, reason_row.active AS reason_active, dv.date_value,
               r.amount ~ '^[+-]?[0-9]+(\.[0-9]+)?$' AS amount_ok
        FROM rows r
        CROSS JOIN LATERAL (SELECT ar.ymd_date(r.ymd) AS date_value OFFSET 0) dv
        LEFT JOIN ar.customers c ON lower(c.code) = lower(r.customer_code)
        LEFT JOIN ar.currencies cur ON cur.code = coalesce(upper(r.currency), c.currency)
        LEFT JOIN ar.adjustment_reasons reason_row ON lower(reason_row.code) = lower(r.reason)
    )
    SELECT k.record_no, k.customer_code, k.adjustment_date, k.amount, k.currency, k.reason,
        CASE
            WHEN k.customer_code IS NULL THEN 'Customer Code is mandatory'
            WHEN k.customer_id IS NULL THEN 'there is no customer with this code'
            WHEN NOT k.active THEN 'the customer is inactive' END,
        ar.import_date_problem(k.adjustment_date, k.date_order, k.date_value),
        CASE
            WHEN k.amount IS NULL THEN 'Amount is mandatory'
            WHEN NOT k.amount_ok THEN 'not an amount: write digits with a point for decimals, such as -125.50'
            WHEN k.amount::numeric = 0 THEN 'an adjustment of zero changes nothing'
            WHEN abs(k.amount::numeric) >= 1e12 THEN 'too large: at most 999999999999.9999'
            WHEN k.minor_units IS NOT NULL AND scale(trim_scale(k.amount::numeric)) > k.minor_units
                THEN format('more decimals than %s has (%s)', k.currency_code, k.minor_units) END,
        CASE
            WHEN k.currency IS NOT NULL AND k.currency_code IS NULL THEN 'there is no such currency'
            WHEN k.currency_code IS NOT NULL AND k.customer_id IS NOT NULL AND k.date_value IS NOT NULL AND k.currency_code <> k.customer_currency
                 AND NOT EXISTS (SELECT FROM ar.conversion_rates cr WHERE cr.valid_from <= k.date_value AND
                    ((cr.from_currency = k.currency_code AND cr.to_currency = k.customer_currency)
                     OR (cr.from_currency = k.customer_currency AND cr.to_currency = k.currency_code)))
            THEN format('no conversion rate from %s to %s on %s', k.currency_code, k.customer_currency, k.date_value) END,
        CASE
            WHEN k.reason_id IS NULL THEN 'there is no such reason code'
            WHEN NOT k.reason_active THEN 'the reason is inactive' END
    FROM checked k
$$;

-- Every problem of every staged row, one per row and column, with the row as a spreadsheet
-- numbers it (the headings are row 1). Only a refused file pays for the numbering.
CREATE OR REPLACE FUNCTION ar.adjustment_import_problems(p_import bigint)
RETURNS TABLE (line bigint, column_name text, value text, reason text)
LANGUAGE sql STABLE AS $$
    WITH problems AS MATERIALIZED (
        SELECT p.* FROM ar.staged_adjustment_problems(p_import) p
        WHERE coalesce(p.customer_problem, p.date_problem, p.amount_problem, p.currency_problem, p.reason_problem) IS NOT NULL
    ),
    numbered AS (
        SELECT n.record_no, n.line FROM (
            SELECT s.record_no, row_number() OVER (ORDER BY s.record_no) + 1 AS line
            FROM staging.adjustment_import s
            WHERE s.import_id = p_import AND s.login = (SELECT i.login FROM ar.adjustment_imports i WHERE i.id = p_import)) n
        WHERE n.record_no IN (SELECT record_no FROM problems)
    )
    SELECT found.* FROM problems p JOIN numbered n ON n.record_no = p.record_no
    CROSS JOIN LATERAL (VALUES
        (n.line, 'Customer Code', p.customer_code, p.customer_problem), (n.line, 'Adjustment Date', p.adjustment_date, p.date_problem),
        (n.line, 'Amount', p.amount, p.amount_problem), (n.line, 'Currency', p.currency, p.currency_problem),
        (n.line, 'Reason', p.reason, p.reason_problem)) found (line, column_name, value, reason)
    WHERE found.reason IS NOT NULL
$$;

-- The first problems of the caller's import (p_limit of them: a file where every row is wrong
-- could have millions), in row order. Empty: the file can be imported.
DROP FUNCTION IF EXISTS api.validate_adjustment_import();
DROP FUNCTION IF EXISTS api.validate_adjustment_import(bigint);
CREATE FUNCTION api.validate_adjustment_import(p_import bigint, p_limit integer DEFAULT 1000)
RETURNS TABLE (line bigint, column_name text, value text, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    RETURN QUERY SELECT * FROM ar.adjustment_import_problems(p_import) p ORDER BY p.line, p.column_name LIMIT greatest(coalesce(p_limit, 1000), 0);
END
$$;
COMMENT ON FUNCTION api.validate_adjustment_import(bigint, integer) IS
    'The first p_limit problems of the caller''s staged import (row, column heading, value, reason), in row order; empty when the file can be imported.';

-- How many problems of each kind the import has, and in how many rows: the whole picture of a
-- file, however large, in a few rows.
CREATE OR REPLACE FUNCTION api.adjustment_import_summary(p_import bigint)
RETURNS TABLE (column_name text, reason text, problems bigint, first_line bigint, rows_with_problems bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    RETURN QUERY
    WITH problems AS MATERIALIZED (
        SELECT p.line, p.column_name,
               -- Reasons that name a row's own values are counted under their general kind.
               regexp_replace(p.reason, '^no conversion rate from .*', 'no conversion rate for the currency on the date') AS reason
        FROM ar.adjustment_import_problems(p_import) p
    )
    SELECT k.column_name, k.reason, count(*), min(k.line), (SELECT count(DISTINCT x.line) FROM problems x)
    FROM problems k GROUP BY k.column_name, k.reason ORDER BY min(k.line), k.column_name;
END
$$;
COMMENT ON FUNCTION api.adjustment_import_summary(bigint) IS
    'The problems of the caller''s staged import counted by column and reason, with the first row of each and the number of rows with any problem.';

-- Imports every staged row in one transaction, or nothing: refused if any row has a problem,
-- or if a file with the same checksum was imported before and p_allow_duplicate is false.
DROP FUNCTION IF EXISTS api.import_adjustments(text, text, boolean);
DROP FUNCTION IF EXISTS api.import_adjustments(bigint, text, text, boolean);
CREATE FUNCTION api.import_adjustments(p_import bigint, p_file_name text DEFAULT '', p_checksum text DEFAULT NULL,
                                       p_allow_duplicate boolean DEFAULT false)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_problems bigint;
    v_rows integer;
    v_batch bigint;
    v_earlier ar.adjustment_batches;
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    IF p_checksum IS NOT NULL AND NOT coalesce(p_allow_duplicate, false) THEN
        SELECT * INTO v_earlier FROM ar.adjustment_batches WHERE checksum = p_checksum ORDER BY id LIMIT 1;
        IF FOUND THEN
            PERFORM ar.fail('PG409', 'file', format('this file was imported before, as batch %s on %s', v_earlier.id, v_earlier.imported_at::date),
                            'If importing it again is intended, say so (allow duplicate); every row would become another adjustment.');
        END IF;
    END IF;
    -- One pass counts the rows and checks every one of them.
    SELECT count(*), count(*) FILTER (WHERE coalesce(customer_problem, date_problem, amount_problem, currency_problem, reason_problem) IS NOT NULL)
    INTO v_rows, v_problems
    FROM ar.staged_adjustment_problems(p_import);
    IF v_rows = 0 THEN
        PERFORM ar.fail('PG400', 'file', 'the file has no adjustments', 'Add rows under the headings.');
    END IF;
    IF v_problems > 0 THEN
        PERFORM ar.fail('PG422', 'file', 'the file has problems; nothing was imported',
                        'List them with api.validate_adjustment_import(import), fix the file and import it again.');
    END IF;
    INSERT INTO ar.adjustment_batches (file_name, checksum, rows) VALUES (coalesce(p_file_name, ''), p_checksum, v_rows) RETURNING id INTO v_batch;
    -- Every row passed its checks, so its date text is a valid Y-M-D. Ids are drawn first, in the
    -- file's order, so the adjustments and their ledger entries are two plain inserts.
    WITH settings AS MATERIALIZED (
        SELECT ar.setting('default_adjustment_reason') #>> '{}' AS reason, i.date_order, i.login
        FROM ar.adjustment_imports i WHERE i.id = p_import
    ),
    staged AS MATERIALIZED (
        SELECT nextval(pg_get_serial_sequence('ar.adjustments', 'id')) AS id, x.*,
               round(x.amount * x.rate, x.minor_units) AS amount_customer
        FROM (
            SELECT c.id AS customer_id, c.currency AS customer_currency, c.currency_epoch, cur.minor_units,
                   s.adjustment_date, btrim(s.amount)::numeric AS amount, coalesce(upper(nullif(btrim(s.currency), '')), c.currency) AS currency,
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
        SELECT id, customer_id, adjustment_date, currency, amount, reason_id, reference, notes, v_batch FROM staged
    )
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                   amount_customer)
    SELECT customer_id, 'adjustment', id, adjustment_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer
    FROM staged;
    PERFORM ar.end_adjustment_import(p_import);
    RETURN v_batch;
END
$$;
COMMENT ON FUNCTION api.import_adjustments(bigint, text, text, boolean) IS
    'Imports every staged row of the caller''s import as a new adjustment in one transaction (each writes its ledger entry), or nothing; returns the batch id.';

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
        PERFORM ar.fail('PG400', lower(replace(CASE v_problem.column_name WHEN 'Customer Code' THEN 'customer' WHEN 'Adjustment Date' THEN 'date'
                                                ELSE v_problem.column_name END, ' ', '_')),
                        format('%s %s: %s', v_problem.column_name, coalesce(quote_literal(v_problem.value), '(empty)'), v_problem.reason), NULL);
    END IF;
    v_batch := api.import_adjustments(v_import, '', NULL, true);
    DELETE FROM staging.adjustment_import_default WHERE import_id = v_import;
    SELECT id INTO v_id FROM ar.adjustments WHERE batch_id = v_batch;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.add_adjustment(jsonb) IS 'Enters one adjustment {"customer", "date", "amount", "currency", "reason", "reference", "notes"}; returns its id.';

-- The export, with the import's headings. Filters: customer, from, to, reason, min, max, batch.
DROP FUNCTION IF EXISTS api.export_adjustments(jsonb);
CREATE OR REPLACE FUNCTION api.export_adjustments(p_filter jsonb DEFAULT '{}')
RETURNS TABLE ("Customer Code" text, "Customer Name" text, "Adjustment Date" date, "Amount" numeric, "Currency" text,
               "Reason" text, "Reference" text, "Notes" text, "Import Batch" bigint, "Created At (UTC)" text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT c.code, c.name, a.adjustment_date, round(a.amount, cur.minor_units), a.currency, r.code, a.reference, a.notes, a.batch_id,
           to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
    FROM ar.adjustments a JOIN ar.customers c ON c.id = a.customer_id JOIN ar.adjustment_reasons r ON r.id = a.reason_id
    JOIN ar.currencies cur ON cur.code = a.currency
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

-- Reason codes are reference data: the service's. Clients enter, import and export adjustments.
REVOKE EXECUTE ON FUNCTION api.save_adjustment_reason(text, text, boolean, integer) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.begin_adjustment_import(jsonb), api.validate_adjustment_import(bigint, integer), api.adjustment_import_summary(bigint),
    api.discard_adjustment_import(bigint),
    api.import_adjustments(bigint, text, text, boolean), api.add_adjustment(jsonb), api.export_adjustments(jsonb)
TO postgate_client;

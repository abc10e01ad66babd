-- The checks of staged adjustment rows: every problem of every row, in one pass, for the
-- report a user fixes the file from and for the guard of the import.
SET LOCAL ROLE postgate_owner;

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
DROP FUNCTION IF EXISTS api.validate_adjustment_import(bigint, integer);
CREATE FUNCTION api.validate_adjustment_import(p_import bigint, p_limit integer DEFAULT 1000)
RETURNS TABLE (line bigint, column_name text, value text, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    RETURN QUERY SELECT * FROM ar.adjustment_import_problems(p_import) p
    ORDER BY p.line, p.column_name LIMIT greatest(coalesce(p_limit, 1000), 0);
END
$$;
COMMENT ON FUNCTION api.validate_adjustment_import(bigint, integer) IS
    'The first p_limit problems of the caller''s staged import, in row order: line (the row as the spreadsheet numbers it, the '
    'headings being row 1), column heading, value, reason; empty when the file can be imported.';

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
    'The problems of the caller''s staged import counted by column and reason, with the first row of each (first_line, the row as '
    'the spreadsheet numbers it) and the number of rows with any problem.';

GRANT EXECUTE ON FUNCTION api.validate_adjustment_import(bigint, integer), api.adjustment_import_summary(bigint) TO postgate_client;

-- What the caller's staged import would add, per customer and currency: the totals a clerk checks
-- after a dry run, before importing. Rows with a problem in their customer or amount are left out.
CREATE OR REPLACE FUNCTION api.adjustment_import_totals(p_import bigint)
RETURNS TABLE (customer text, currency text, adjustments bigint, total numeric)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    RETURN QUERY
    SELECT c.code, coalesce(upper(p.currency), c.currency), count(*), sum(p.amount::numeric)
    FROM ar.staged_adjustment_problems(p_import) p JOIN ar.customers c ON lower(c.code) = lower(p.customer_code)
    WHERE p.customer_problem IS NULL AND p.amount_problem IS NULL
    GROUP BY 1, 2 ORDER BY 1, 2;
END
$$;
COMMENT ON FUNCTION api.adjustment_import_totals(bigint) IS
    'Per customer and currency, how many adjustments the caller''s staged import holds and their total (rows whose customer or amount has a problem left out).';
GRANT EXECUTE ON FUNCTION api.adjustment_import_totals(bigint) TO postgate_client;

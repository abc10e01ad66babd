-- The dates of adjustment files, as spreadsheets write them.
SET LOCAL ROLE postgate_owner;

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
        WHEN p_order = 'MDY'
            THEN substring(regexp_replace(p_text, '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$', '\3-\1-\2') FROM '^\d{4}-\d{1,2}-\d{1,2}$')
        WHEN p_order = 'DMY'
            THEN substring(regexp_replace(p_text, '^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$', '\3-\2-\1') FROM '^\d{4}-\d{1,2}-\d{1,2}$')
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
COMMENT ON FUNCTION ar.parse_import_date(text, text) IS
    'A date written YYYY-MM-DD, or (with the order MDY or DMY) M/D/YYYY or D/M/YYYY; NULL when it is not a valid date.';

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

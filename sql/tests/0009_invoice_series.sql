-- Invoice number series: added, given to locations, taken without gaps per series by postings,
-- refused when they would overlap or are used up; the books check counts each series.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(24);

\ir fixtures/company.sql
\ir fixtures/stock.sql
\ir fixtures/customers.sql

SELECT api.save_location('SHOP', 'Shop');
SELECT api.post_receipt('{"location": "SHOP", "lines": [{"product": "CABLE", "quantity": 100}]}');
CREATE TEMPORARY TABLE t_drafts (k integer, location text, id bigint);
CREATE FUNCTION pg_temp.draft(p_location text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    v_id := (api.create_invoice(jsonb_build_object('customer', 'ACME', 'date', '2026-03-01', 'location', p_location)) ->> 'invoice_id')::bigint;
    PERFORM api.add_invoice_line(v_id, '{"product": "CABLE", "quantity": 1}');
    RETURN v_id;
END
$$;
CREATE FUNCTION pg_temp.post(p_ids bigint[]) RETURNS SETOF bigint LANGUAGE sql AS $$
    SELECT count(*) FROM api.posting_facts(p_ids, true);
    SELECT number FROM api.post_invoices(p_ids, '{}', 'tap', 'single', gen_random_uuid()) ORDER BY invoice_id;
$$;

-- The company's series.
SELECT results_eq($$SELECT code, prefix, first_number, last_number, next_number, used FROM api.list_invoice_series()$$,
                  $$VALUES ('COMPANY', '', 1::bigint, 999999999::bigint, 1::bigint, 0::bigint)$$,
                  'one series to begin with: the company''s, numbers 1 to 999,999,999');
SELECT is((SELECT * FROM pg_temp.post(ARRAY[pg_temp.draft('SHOP')])), 1::bigint, 'a location without a series numbers from the company''s');

-- Adding series.
SELECT results_eq($$SELECT * FROM api.save_invoice_series('TILL1', 'T1-')$$,
                  $$VALUES ('TILL1', 'T1-', 1000000000::bigint, 1099999999::bigint)$$,
                  'a series without a range takes the next hundred million numbers');
SELECT results_eq($$SELECT * FROM api.save_invoice_series('TILL2', 'T2-', 2000000000, 2000000002)$$,
                  $$VALUES ('TILL2', 'T2-', 2000000000::bigint, 2000000002::bigint)$$, 'a series with its own range');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series('till1', 'X')$$, 'PG409',
                 'invoice number series TILL1 already exists (numbers 1000000000 to 1099999999)', 'a code is taken once, in any case');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series('OVER', 'O-', 1099999999, 1100000005)$$, 'PG422',
                 'numbers 1099999999 to 1100000005 overlap series TILL1 (1000000000 to 1099999999): an invoice number names one invoice',
                 'ranges never overlap');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series('BACK', 'B-', 10, 5)$$, 'PG400', 'the last number (5) is before the first (10)',
                 'a range runs forwards');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series('ZERO', 'Z-', 0, 5)$$, 'PG400', 'the first number of a series is 1 or more, not 0',
                 'numbers are positive');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series(NULL)$$, 'PG400', 'code is required and cannot be blank', 'a series has a code');
SELECT throws_ok($$SELECT * FROM api.save_invoice_series('LONG', repeat('x', 17))$$, 'PG400',
                 'a series prefix is at most 16 characters, without control characters', 'a prefix is short');
SELECT throws_ok($$INSERT INTO ar.invoice_series (code, first_number, last_number, next) VALUES ('RAW', 1500, 1600, 1500)$$, '23P01', NULL,
                 'the table itself refuses an overlap, whoever writes it');

-- Locations.
SELECT lives_ok($$SELECT api.set_location_series('shop', 'till2')$$, 'a location is given a series (codes in any case)');
SELECT throws_ok($$SELECT api.set_location_series('SHOP', 'NOPE')$$, 'PG404', 'there is no invoice number series ''NOPE''',
                 'an unknown series is refused');
SELECT throws_ok($$SELECT api.set_location_series('NOWHERE', 'TILL1')$$, 'PG404', 'location: there is no location ''NOWHERE''',
                 'an unknown location is refused');
SELECT is((SELECT locations FROM api.list_invoice_series() WHERE code = 'TILL2'), ARRAY['SHOP'], 'the list names the series'' locations');

-- Postings take numbers per series.
SELECT results_eq($$SELECT * FROM pg_temp.post(ARRAY[pg_temp.draft('SHOP'), pg_temp.draft('MAIN'), pg_temp.draft('SHOP')])$$,
                  $$VALUES (2000000000::bigint), (2::bigint), (2000000001::bigint)$$,
                  'one posting across locations numbers each invoice from its location''s series, in id order within each');
SELECT results_eq($$SELECT series, document_number FROM report.invoices WHERE number = 2000000001$$, $$VALUES ('TILL2', 'T2-2000000001')$$,
                  'report.invoices prints the number after its series'' prefix');
SELECT throws_ok($$SELECT * FROM pg_temp.post(ARRAY[pg_temp.draft('SHOP'), pg_temp.draft('SHOP')])$$, 'PG422',
                 'invoice number series TILL2 is used up: its last number is 2000000002', 'a series that cannot number them all refuses the posting');
SELECT is((SELECT next_number FROM api.list_invoice_series() WHERE code = 'TILL2'), 2000000002::bigint, 'and takes none');
SELECT is((SELECT * FROM pg_temp.post(ARRAY[pg_temp.draft('SHOP')])), 2000000002::bigint, 'its last number is still taken');
SELECT lives_ok($$SELECT api.set_location_series('SHOP', 'COMPANY')$$, 'a location goes back to the company''s series');
SELECT is((SELECT * FROM pg_temp.post(ARRAY[pg_temp.draft('SHOP')])), 3::bigint,
          'and its next invoice is numbered from it');
SELECT is_empty($$SELECT * FROM ar.invoices i WHERE status = 'posted' AND number IS NULL$$, 'every posted invoice is numbered');

-- Rights.
SELECT function_privs_are('api', 'save_invoice_series', ARRAY['text', 'text', 'bigint', 'bigint'], 'postgate_client', ARRAY[]::text[],
                          'other applications do not add series');
SELECT * FROM finish();
ROLLBACK;

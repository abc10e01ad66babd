-- Adjustments: the import functions as psql users call them, immutability, privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

\ir fixtures/company.sql
\ir fixtures/customers.sql

SELECT ok(api.begin_adjustment_import() > 0, 'an import starts with an id of its own');
INSERT INTO staging.adjustment_import (customer_code, adjustment_date, amount) VALUES ('ACME', '2026-11-01', '-20.5'), ('NOPE', '2026-02-30', 'x');
SELECT results_eq($$SELECT line, column_name FROM api.validate_adjustment_import(current_setting('postgate.adjustment_import')::bigint)$$,
                  $$VALUES (3::bigint, 'Adjustment Date'), (3, 'Amount'), (3, 'Customer Code')$$,
                  'every problem of every row, with its line and column');
SELECT throws_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false)$$,
                 'PG422', 'the file has problems; nothing was imported',
                 'a file with a bad row imports nothing');
SELECT is((SELECT count(*)::integer FROM ar.adjustments), 0, 'nothing was imported');
DELETE FROM staging.adjustment_import WHERE customer_code = 'NOPE';
SELECT ok(api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false) > 0, 'a clean file imports');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'ACME'), -20.50::numeric(16,2), 'the adjustment is in the balance at once');
SELECT api.begin_adjustment_import();
INSERT INTO staging.adjustment_import (customer_code, adjustment_date, amount) VALUES ('ACME', '2026-11-01', '1');
SELECT throws_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false)$$,
                 'PG409', format('this file was imported before, as batch %s on %s', (SELECT max(id) FROM ar.adjustment_batches), current_date),
                 'the same file (checksum) is refused the second time');
SELECT lives_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', true)$$,
                'unless that is intended');
SELECT throws_ok($$SELECT api.add_adjustment('{"customer": "ACME", "amount": "1.001"}')$$,
                 'PG400', 'Amount ''1.001'': more decimals than EUR has (2)',
                 'one adjustment is checked the same way');
SELECT throws_ok($$UPDATE ar.adjustments SET amount = 0$$, 'PG423', 'adjustments rows are never changed or deleted', 'adjustments are never changed');
SELECT throws_ok($$DELETE FROM ar.adjustments$$, 'PG423', 'adjustments rows are never changed or deleted', 'adjustments are never deleted');
SELECT throws_ok($$TRUNCATE ar.adjustments CASCADE$$, 'PG423', 'adjustments rows are never changed or deleted', 'adjustments are never truncated');
SELECT function_privs_are('api', 'import_adjustments', ARRAY['bigint', 'text', 'text', 'boolean'], 'postgate_client', ARRAY['EXECUTE'],
                          'other applications may import');
SELECT function_privs_are('api', 'add_adjustment', ARRAY['jsonb'], 'postgate_reporting', ARRAY[]::text[], 'reporting users may not');

SELECT * FROM finish();
ROLLBACK;

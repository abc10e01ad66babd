-- Adjustments: the import functions as psql users call them, immutability, privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);

SELECT api.save_currency('EUR', 'Euro');
SELECT api.save_price_list('SALES', 'Sales', 'EUR');
SELECT api.save_payment_terms('NET30', '30 days', 30);
SELECT api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30"}');

SELECT ok(api.begin_adjustment_import() > 0, 'an import starts with an id of its own');
INSERT INTO staging.adjustment_import (customer_code, adjustment_date, amount) VALUES ('ACME', '2026-11-01', '-20.5'), ('NOPE', '2026-02-30', 'x');
SELECT results_eq($$SELECT line, column_name FROM api.validate_adjustment_import(current_setting('postgate.adjustment_import')::bigint)$$,
                  $$VALUES (3::bigint, 'Adjustment Date'), (3, 'Amount'), (3, 'Customer Code')$$, 'every problem of every row, with its line and column');
SELECT throws_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false)$$, 'PG422', NULL,
                 'a file with a bad row imports nothing');
SELECT is((SELECT count(*)::integer FROM ar.adjustments), 0, 'nothing was imported');
DELETE FROM staging.adjustment_import WHERE customer_code = 'NOPE';
SELECT ok(api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false) > 0, 'a clean file imports');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'ACME'), -20.50::numeric(16,2), 'the adjustment is in the balance at once');
SELECT api.begin_adjustment_import();
INSERT INTO staging.adjustment_import (customer_code, adjustment_date, amount) VALUES ('ACME', '2026-11-01', '1');
SELECT throws_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', false)$$, 'PG409', NULL,
                 'the same file (checksum) is refused the second time');
SELECT lives_ok($$SELECT api.import_adjustments(current_setting('postgate.adjustment_import')::bigint, 'f.csv', 'abc', true)$$, 'unless that is intended');
SELECT throws_ok($$SELECT api.add_adjustment('{"customer": "ACME", "amount": "1.001"}')$$, 'PG400', NULL, 'one adjustment is checked the same way');
SELECT throws_ok($$UPDATE ar.adjustments SET amount = 0$$, 'PG423', NULL, 'adjustments are never changed');
SELECT throws_ok($$DELETE FROM ar.adjustments$$, 'PG423', NULL, 'adjustments are never deleted');
SELECT throws_ok($$TRUNCATE ar.adjustments CASCADE$$, 'PG423', NULL, 'adjustments are never truncated');
SELECT ok(has_function_privilege('postgate_client', 'api.import_adjustments(bigint, text, text, boolean)', 'EXECUTE'), 'other applications may import');
SELECT ok(NOT has_function_privilege('postgate_reporting', 'api.add_adjustment(jsonb)', 'EXECUTE'), 'reporting users may not');

SELECT * FROM finish();
ROLLBACK;

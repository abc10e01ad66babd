-- The customer master: its rules, hold switches, alerts, balances, currency changes, privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(58);

\ir fixtures/company.sql

-- Creating.
SELECT ok(api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30", "payment_method": "TRANSFER",
    "financial_account": "BANK", "credit_limit": 1000, "sales_rep": "ANN", "tax_category": "STD"}') > 0, 'a customer is created');
SELECT results_eq($$SELECT currency, invoice_terms, on_hold, hold_sales_order, hold_goods_shipment, hold_sales_invoice, hold_payment_in,
                      create_customer_items, version FROM api.get_customer('acme')$$,
                  $$VALUES ('EUR', 'immediate', false, true, true, true, false, true, 1)$$,
                  'defaults: the price list''s currency, immediate invoicing, not on hold, the source''s hold switches, customer items on');
SELECT throws_ok($$SELECT api.create_customer('{"code": "acme", "name": "Dup", "price_list": "SALES", "payment_terms": "NET30"}')$$,
                 'PG409', 'a customer with code acme already exists',
                 'customer codes are unique in any case');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "colour": "red"}')$$,
                 'PG400', 'colour is not a field of a customer',
                 'an unknown field is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30",
                     "credit_limit": "lots"}')$$,
                 'PG400', 'credit_limit must be a number, not "lots"',
                 'a field of the wrong type is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "price_list": "SALES", "payment_terms": "NET30"}')$$,
                 'PG400', 'name is required',
                 'a missing name is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "payment_terms": "NET30"}')$$,
                 'PG400', 'price_list is required',
                 'a missing price list is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "NOPE", "payment_terms": "NET30"}')$$,
                 'PG404', 'price_list: there is no price list with code ''NOPE''',
                 'an unknown price list is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30",
                     "payment_method": "CASH", "financial_account": "BANK"}')$$,
                 'PG422', 'financial account BANK does not accept payment method CASH',
                 'the financial account must accept the payment method');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "sales_rep": "BOB"}')$$,
                 'PG422', 'employee BOB is not a sales representative', 'only a sales representative can be one');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30",
                     "invoice_terms": "customer_schedule_after_delivery"}')$$,
                 'PG422', 'invoice terms "customer schedule after delivery" need an invoice schedule',
                 'invoicing on a customer schedule needs the schedule');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30",
                     "invoice_terms": "weekly"}')$$,
                 'PG400', 'invoice_terms ''weekly'' is not one of the invoice terms',
                 'unknown invoice terms are refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "credit_limit": -1}')$$,
                 'PG400', 'credit_limit must be zero or more, not -1',
                 'a negative credit limit is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30",
                     "credit_limit": 10.005}')$$,
                 'PG400', 'credit_limit: 10.005 has 3 decimals, and at most 2 are kept',
                 'a credit limit is not rounded: more than 2 decimals are refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "USCO", "name": "US Co", "price_list": "SALES", "payment_terms": "NET30",
                     "currency": "USD"}')$$,
                 'PG424', 'the customer''s currency USD differs from its price list''s currency EUR, and there is no conversion rate between them',
                 'a currency other than the price list''s needs a conversion rate');
SELECT api.add_conversion_rate('USD', 'EUR', 0.92, '2026-01-01');
SELECT lives_ok($$SELECT api.create_customer('{"code": "USCO", "name": "US Co", "price_list": "SALES", "payment_terms": "NET30", "currency": "USD",
    "invoice_terms": "customer_schedule_after_delivery", "invoice_schedule": "MONTHLY"}')$$, 'with a rate (in either direction) it is accepted');
SELECT lives_ok($$SELECT api.create_customer('{"code": "SHOP", "name": "Corner Shop", "price_list": "SALES", "payment_terms": "CASHONLY"}')$$,
                'a cash-sales-only customer is created');
SELECT is((SELECT cash_sales_only FROM api.get_customer('SHOP')), true, 'its terms are cash sales only');

-- Updating.
SELECT throws_ok($$SELECT api.update_customer('ACME', 9, '{"name": "x"}')$$,
                 'PG412', 'customer ACME was changed by someone else: it is now at version 1, not 9',
                 'a stale version is refused');
SELECT throws_ok($$SELECT api.update_customer('NOPE', 1, '{"name": "x"}')$$,
                 'PG404', 'there is no customer with code ''NOPE''',
                 'an unknown customer is refused');
SELECT throws_ok($$SELECT api.update_customer('ACME', 1, '{"currency": "USD"}')$$,
                 'PG422', 'a customer''s currency changes only with its balance re-expressed (customer ACME is in EUR; USD was given)',
                 'the currency changes only through set new currency');
SELECT is(api.update_customer('ACME', 1, '{"credit_limit": null, "name": "Acme Ltd"}'), 2, 'an update returns the next version');
SELECT results_eq($$SELECT credit_limit, name, sales_rep FROM api.get_customer('ACME')$$, $$VALUES (NULL::numeric, 'Acme Ltd', 'ANN')$$,
                  'null clears the credit limit; untouched fields stay');
SELECT throws_ok($$SELECT api.save_employee('ANN', 'Ann', false, 1)$$,
                 'PG422', 'ANN is the sales representative of customers ACME',
                 'a sales rep of customers stays one');

-- Holds and alerts.
SELECT is(api.hold_customer('ACME'), 3, 'a customer is put on hold');
SELECT is((SELECT alert FROM api.customer_alerts('ACME', 'sales_invoice')), 'on_hold', 'invoices show the hold');
SELECT is_empty($$SELECT * FROM api.customer_alerts('ACME', 'payment_in')$$, 'payments in are not blocked by default');
SELECT api.hold_customer('SHOP', false, false, false, true);
SELECT is_empty($$SELECT * FROM api.customer_alerts('SHOP', 'sales_order')$$, 'a hold blocks only the chosen documents');
SELECT is((SELECT severity FROM api.customer_alerts('SHOP', 'payment_in')), 'block', 'the chosen document is blocked');
SELECT throws_ok($$SELECT api.hold_customer('SHOP', false, false, false, false)$$,
                 'PG422', 'a hold must block at least one kind of document',
                 'a hold that blocks nothing is refused');
SELECT throws_ok($$SELECT * FROM api.customer_alerts('ACME', 'quote')$$,
                 'PG400', '''quote'' is not a kind of sales document',
                 'an unknown document kind is refused');
SELECT api.release_customer('ACME');
SELECT is_empty($$SELECT * FROM api.customer_alerts('ACME', 'sales_invoice')$$, 'a released customer has no hold alert');

-- Balances, credit status and the ledger.
SELECT api.update_customer('ACME', 4, '{"credit_limit": 100}');
INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
SELECT id, 'adjustment', '2026-03-01', 'EUR', 100.01, 1, 'EUR', 1, 100.01 FROM ar.customers WHERE code = 'ACME';
SELECT results_eq($$SELECT balance, headroom, credit_status FROM report.customer_balances WHERE code = 'ACME'$$,
                  $$VALUES (100.01::numeric(16,2), -0.01::numeric, 'over limit')$$,
                  'the balance report shows the balance, headroom and credit status');
SELECT is((SELECT credit_status FROM report.customer_balances WHERE code = 'SHOP'), 'no limit', 'no credit limit: no limit');
SELECT is((SELECT alert FROM api.customer_alerts('ACME', 'sales_order')), 'over_credit_limit', 'over the limit, sales documents carry an alert');
SELECT throws_ok($$UPDATE ar.ledger_entries SET amount = 0$$,
                 'PG423', 'ledger_entries rows are never changed or deleted',
                 'ledger entries are never changed');
SELECT throws_ok($$DELETE FROM ar.ledger_entries$$, 'PG423', 'ledger_entries rows are never changed or deleted', 'ledger entries are never deleted');
SELECT throws_ok($$TRUNCATE ar.ledger_entries$$, 'PG423', 'ledger_entries rows are never changed or deleted', 'ledger entries are never truncated');

-- Set new currency.
SELECT api.add_conversion_rate('EUR', 'JPY', 160, '2026-01-01');
SELECT is(api.set_customer_currency('ACME', 'JPY', 161.234), 16125::numeric, 'the balance is re-expressed at the rate given, in whole yen');
SELECT results_eq($$SELECT currency, balance FROM report.customer_balances WHERE code = 'ACME'$$, $$VALUES ('JPY', 16125::numeric(16,2))$$,
                  'the report shows the new currency and balance');
SELECT is((SELECT balance FROM ar.customers WHERE code = 'ACME'), 16125::numeric, 'the balance kept on the row starts the new epoch at the re-expressed balance');
INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
SELECT id, 'adjustment', '2026-03-02', 'JPY', -125, 1, 'JPY', 1, -125 FROM ar.customers WHERE code = 'ACME';
SELECT is((SELECT balance FROM ar.customers WHERE code = 'ACME'), 16125::numeric, 'an entry of an earlier epoch leaves the kept balance alone');
SELECT is((SELECT details ->> 'from' FROM report.customer_events WHERE customer = 'ACME' AND kind = 'currency_changed'), 'EUR',
          'the change is recorded as an event');
SELECT throws_ok($$SELECT api.set_customer_currency('ACME', 'JPY', 1)$$,
                 'PG422', 'customer ACME already uses JPY',
                 'setting the same currency is refused');
SELECT throws_ok($$SELECT api.set_customer_currency('SHOP', 'USD', 0)$$,
                 'PG400', 'rate must be greater than zero, not 0',
                 'a rate of zero is refused');

-- The table guards the same rules by name.
SELECT throws_ok($$UPDATE ar.customers SET credit_limit = -5 WHERE code = 'SHOP'$$,
                 '23514', 'new row for relation "customers" violates check constraint "customers_credit_limit_check"',
                 'customers_credit_limit_check');
SELECT throws_ok($$UPDATE ar.customers SET invoice_terms = 'customer_schedule_after_delivery' WHERE code = 'SHOP'$$,
                 '23514', 'new row for relation "customers" violates check constraint "customers_invoice_schedule_check"',
                 'customers_invoice_schedule_check');
SELECT throws_ok($$UPDATE ar.customers SET sales_rep_id = (SELECT id FROM ar.employees WHERE code = 'BOB') WHERE code = 'SHOP'$$,
                 '23503', 'insert or update on table "customers" violates foreign key constraint "customers_sales_rep_fkey"',
                 'customers_sales_rep_fkey');
SELECT throws_ok($$UPDATE ar.customers SET payment_method_id = (SELECT id FROM ar.payment_methods WHERE code = 'CASH'), financial_account_id =
                     (SELECT id FROM ar.financial_accounts WHERE code = 'BANK') WHERE code = 'SHOP'$$,
                 '23503', 'insert or update on table "customers" violates foreign key constraint "customers_payment_method_accepted_fkey"',
                 'customers_payment_method_accepted_fkey');

-- Who may do what.
\ir fixtures/reporting_login.sql
SET ROLE pgtap_reader;
SELECT lives_ok($$SELECT * FROM report.customer_balances$$, 'a reporting login reads customer balances');
SELECT throws_ok($$SELECT api.create_customer('{}')$$,
                 '42501', 'permission denied for schema api',
                 'a reporting login calls no api function that writes');
RESET ROLE;
-- Other applications read customers and their alerts; the service writes them.
SELECT function_privs_are('api', 'create_customer', ARRAY['jsonb'], 'postgate_client', ARRAY[]::text[],
                          'other applications do not create customers');
SELECT function_privs_are('api', 'update_customer', ARRAY['text', 'integer', 'jsonb'], 'postgate_client', ARRAY[]::text[],
                          'other applications do not change customers');
SELECT function_privs_are('api', 'get_customer', ARRAY['text'], 'postgate_client', ARRAY['EXECUTE'], 'other applications read customers');
-- Reporting users may change nothing through api.
SELECT function_privs_are('api', 'update_customer', ARRAY['text', 'integer', 'jsonb'], 'postgate_reporting', ARRAY[]::text[],
                          'reporting users do not change customers');
SELECT function_privs_are('api', 'hold_customer', ARRAY['text', 'boolean', 'boolean', 'boolean', 'boolean'], 'postgate_reporting',
                          ARRAY[]::text[], 'reporting users do not hold customers');
SELECT function_privs_are('api', 'set_customer_currency', ARRAY['text', 'text', 'numeric', 'date'], 'postgate_reporting', ARRAY[]::text[],
                          'reporting users do not set a customer''s currency');
SELECT function_privs_are('api', 'save_currency', ARRAY['text', 'text', 'integer', 'integer'], 'postgate_reporting', ARRAY[]::text[],
                          'reporting users do not change reference data');

SELECT * FROM finish();
ROLLBACK;

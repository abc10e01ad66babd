-- The customer master: its rules, hold switches, alerts, balances, currency changes, privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(51);

SELECT api.save_currency('EUR', 'Euro');
SELECT api.save_currency('USD', 'US Dollar');
SELECT api.save_currency('JPY', 'Yen', 0);
SELECT api.save_price_list('SALES', 'Sales', 'EUR');
SELECT api.save_payment_method('TRANSFER', 'Bank transfer');
SELECT api.save_payment_method('CASH', 'Cash');
SELECT api.save_financial_account('BANK', 'Main bank', 'EUR', ARRAY['TRANSFER']);
SELECT api.save_payment_terms('NET30', '30 days', 30);
SELECT api.save_payment_terms('CASHONLY', 'Cash sales only', 0, true);
SELECT api.save_invoice_schedule('MONTHLY', 'Monthly');
SELECT api.save_tax_rate('VAT21', 'VAT 21%', 21);
SELECT api.save_tax_category('STD', 'Standard', ARRAY['VAT21']);
SELECT api.save_employee('ANN', 'Ann', true);
SELECT api.save_employee('BOB', 'Bob', false);

-- Creating.
SELECT ok(api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30", "payment_method": "TRANSFER",
    "financial_account": "BANK", "credit_limit": 1000, "sales_rep": "ANN", "tax_category": "STD"}') > 0, 'a customer is created');
SELECT results_eq($$SELECT currency, invoice_terms, on_hold, hold_sales_order, hold_goods_shipment, hold_sales_invoice, hold_payment_in, create_customer_items, version
                    FROM api.get_customer('acme')$$,
                  $$VALUES ('EUR', 'immediate', false, true, true, true, false, true, 1)$$,
                  'defaults: the price list''s currency, immediate invoicing, not on hold, the source''s hold switches, customer items on');
SELECT throws_ok($$SELECT api.create_customer('{"code": "acme", "name": "Dup", "price_list": "SALES", "payment_terms": "NET30"}')$$, 'PG409', NULL, 'customer codes are unique in any case');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "colour": "red"}')$$, 'PG400', NULL, 'an unknown field is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "credit_limit": "lots"}')$$, 'PG400', NULL, 'a field of the wrong type is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "price_list": "SALES", "payment_terms": "NET30"}')$$, 'PG400', NULL, 'a missing name is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "payment_terms": "NET30"}')$$, 'PG400', NULL, 'a missing price list is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "NOPE", "payment_terms": "NET30"}')$$, 'PG404', NULL, 'an unknown price list is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "payment_method": "CASH", "financial_account": "BANK"}')$$,
                 'PG422', NULL, 'the financial account must accept the payment method');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "sales_rep": "BOB"}')$$,
                 'PG422', NULL, 'only a sales representative can be one');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "customer_schedule_after_delivery"}')$$,
                 'PG422', NULL, 'invoicing on a customer schedule needs the schedule');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "weekly"}')$$,
                 'PG400', NULL, 'unknown invoice terms are refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "credit_limit": -1}')$$, 'PG400', NULL, 'a negative credit limit is refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "X", "name": "X", "price_list": "SALES", "payment_terms": "NET30", "credit_limit": 10.005}')$$, 'PG400', NULL, 'a credit limit is not rounded: more than 2 decimals are refused');
SELECT throws_ok($$SELECT api.create_customer('{"code": "USCO", "name": "US Co", "price_list": "SALES", "payment_terms": "NET30", "currency": "USD"}')$$,
                 'PG424', NULL, 'a currency other than the price list''s needs a conversion rate');
SELECT api.add_conversion_rate('USD', 'EUR', 0.92, '2026-01-01');
SELECT lives_ok($$SELECT api.create_customer('{"code": "USCO", "name": "US Co", "price_list": "SALES", "payment_terms": "NET30", "currency": "USD",
    "invoice_terms": "customer_schedule_after_delivery", "invoice_schedule": "MONTHLY"}')$$, 'with a rate (in either direction) it is accepted');
SELECT lives_ok($$SELECT api.create_customer('{"code": "SHOP", "name": "Corner Shop", "price_list": "SALES", "payment_terms": "CASHONLY"}')$$, 'a cash-sales-only customer is created');
SELECT is((SELECT cash_sales_only FROM api.get_customer('SHOP')), true, 'its terms are cash sales only');

-- Updating.
SELECT throws_ok($$SELECT api.update_customer('ACME', 9, '{"name": "x"}')$$, 'PG412', NULL, 'a stale version is refused');
SELECT throws_ok($$SELECT api.update_customer('NOPE', 1, '{"name": "x"}')$$, 'PG404', NULL, 'an unknown customer is refused');
SELECT throws_ok($$SELECT api.update_customer('ACME', 1, '{"currency": "USD"}')$$, 'PG422', NULL, 'the currency changes only through set new currency');
SELECT is(api.update_customer('ACME', 1, '{"credit_limit": null, "name": "Acme Ltd"}'), 2, 'an update returns the next version');
SELECT results_eq($$SELECT credit_limit, name, sales_rep FROM api.get_customer('ACME')$$, $$VALUES (NULL::numeric, 'Acme Ltd', 'ANN')$$,
                  'null clears the credit limit; untouched fields stay');
SELECT throws_ok($$SELECT api.save_employee('ANN', 'Ann', false, 1)$$, 'PG422', NULL, 'a sales rep of customers stays one');

-- Holds and alerts.
SELECT is(api.hold_customer('ACME'), 3, 'a customer is put on hold');
SELECT is((SELECT alert FROM api.customer_alerts('ACME', 'sales_invoice')), 'on_hold', 'invoices show the hold');
SELECT is_empty($$SELECT * FROM api.customer_alerts('ACME', 'payment_in')$$, 'payments in are not blocked by default');
SELECT api.hold_customer('SHOP', false, false, false, true);
SELECT is_empty($$SELECT * FROM api.customer_alerts('SHOP', 'sales_order')$$, 'a hold blocks only the chosen documents');
SELECT is((SELECT severity FROM api.customer_alerts('SHOP', 'payment_in')), 'block', 'the chosen document is blocked');
SELECT throws_ok($$SELECT api.hold_customer('SHOP', false, false, false, false)$$, 'PG400', NULL, 'a hold that blocks nothing is refused');
SELECT throws_ok($$SELECT * FROM api.customer_alerts('ACME', 'quote')$$, 'PG400', NULL, 'an unknown document kind is refused');
SELECT api.release_customer('ACME');
SELECT is_empty($$SELECT * FROM api.customer_alerts('ACME', 'sales_invoice')$$, 'a released customer has no hold alert');

-- Balances, credit status and the ledger.
SELECT api.update_customer('ACME', 4, '{"credit_limit": 100}');
INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
SELECT id, 'adjustment', '2026-03-01', 'EUR', 100.01, 1, 'EUR', 1, 100.01 FROM ar.customers WHERE code = 'ACME';
SELECT results_eq($$SELECT balance, headroom, credit_status FROM report.customer_balances WHERE code = 'ACME'$$,
                  $$VALUES (100.01::numeric(16,2), -0.01::numeric, 'over limit')$$, 'the balance report shows the balance, headroom and credit status');
SELECT is((SELECT credit_status FROM report.customer_balances WHERE code = 'SHOP'), 'no limit', 'no credit limit: no limit');
SELECT is((SELECT alert FROM api.customer_alerts('ACME', 'sales_order')), 'over_credit_limit', 'over the limit, sales documents carry an alert');
SELECT throws_ok($$UPDATE ar.ledger_entries SET amount = 0$$, 'PG423', NULL, 'ledger entries are never changed');
SELECT throws_ok($$DELETE FROM ar.ledger_entries$$, 'PG423', NULL, 'ledger entries are never deleted');
SELECT throws_ok($$TRUNCATE ar.ledger_entries$$, 'PG423', NULL, 'ledger entries are never truncated');

-- Set new currency.
SELECT api.add_conversion_rate('EUR', 'JPY', 160, '2026-01-01');
SELECT is(api.set_customer_currency('ACME', 'JPY', 161.234), 16125::numeric, 'the balance is re-expressed at the rate given, in whole yen');
SELECT results_eq($$SELECT currency, balance FROM report.customer_balances WHERE code = 'ACME'$$, $$VALUES ('JPY', 16125::numeric(16,2))$$,
                  'the report shows the new currency and balance');
SELECT is((SELECT details ->> 'from' FROM report.customer_events WHERE customer = 'ACME' AND kind = 'currency_changed'), 'EUR', 'the change is recorded as an event');
SELECT throws_ok($$SELECT api.set_customer_currency('ACME', 'JPY', 1)$$, 'PG400', NULL, 'setting the same currency is refused');
SELECT throws_ok($$SELECT api.set_customer_currency('SHOP', 'USD', 0)$$, 'PG400', NULL, 'a rate of zero is refused');

-- The table guards the same rules by name.
SELECT throws_ok($$UPDATE ar.customers SET credit_limit = -5 WHERE code = 'SHOP'$$, '23514', NULL, 'customers_credit_limit_check');
SELECT throws_ok($$UPDATE ar.customers SET invoice_terms = 'customer_schedule_after_delivery' WHERE code = 'SHOP'$$, '23514', NULL, 'customers_invoice_schedule_check');
SELECT throws_ok($$UPDATE ar.customers SET sales_rep_id = (SELECT id FROM ar.employees WHERE code = 'BOB') WHERE code = 'SHOP'$$, '23503', NULL, 'customers_sales_rep_fkey');
SELECT throws_ok($$UPDATE ar.customers SET payment_method_id = (SELECT id FROM ar.payment_methods WHERE code = 'CASH'),
                   financial_account_id = (SELECT id FROM ar.financial_accounts WHERE code = 'BANK') WHERE code = 'SHOP'$$, '23503', NULL, 'customers_payment_method_accepted_fkey');

-- Who may do what.
CREATE ROLE pgtap_customer_reader LOGIN IN ROLE postgate_reporting;
SET ROLE pgtap_customer_reader;
SELECT lives_ok($$SELECT * FROM report.customer_balances$$, 'a reporting login reads customer balances');
SELECT throws_ok($$SELECT api.create_customer('{}')$$, '42501', NULL, 'a reporting login calls no api function that writes');
RESET ROLE;
SELECT ok(NOT has_function_privilege('postgate_client', 'api.create_customer(jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('postgate_client', 'api.update_customer(text, integer, jsonb)', 'EXECUTE')
          AND has_function_privilege('postgate_client', 'api.get_customer(text)', 'EXECUTE'), 'other applications read customers; the service writes them');
SELECT ok(NOT has_function_privilege('postgate_reporting', 'api.update_customer(text, integer, jsonb)', 'EXECUTE')
          AND NOT has_function_privilege('postgate_reporting', 'api.hold_customer(text, boolean, boolean, boolean, boolean)', 'EXECUTE')
          AND NOT has_function_privilege('postgate_reporting', 'api.set_customer_currency(text, text, numeric, date)', 'EXECUTE')
          AND NOT has_function_privilege('postgate_reporting', 'api.save_currency(text, text, integer, integer)', 'EXECUTE'), 'reporting users may change nothing through api');

SELECT * FROM finish();
ROLLBACK;

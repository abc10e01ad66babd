-- Reference data: currencies, conversion rates, price lists, payment methods, accounts, terms,
-- schedules, tax rates and categories, employees.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(39);

-- Versioned saves: create, refuse without a version, refuse a stale one, change with the right one.
SELECT is(api.save_currency('EUR', 'Euro'), 1, 'a currency is added at version 1');
SELECT throws_ok($$SELECT api.save_currency('eur', 'Euro again')$$, 'PG409', NULL, 'an existing code (any case) needs its version to change');
SELECT throws_ok($$SELECT api.save_currency('EUR', 'Euro', 2, 7)$$, 'PG412', NULL, 'a stale version is refused');
SELECT is(api.save_currency('EUR', 'Euro (EU)', 2, 1), 2, 'the right version changes it');
SELECT is((SELECT name FROM ar.currencies WHERE code = 'EUR'), 'Euro (EU)', 'the change is stored');
SELECT is(api.save_currency('usd', 'US Dollar'), 1, 'currency codes are stored in capitals');
SELECT ok(EXISTS (SELECT FROM ar.currencies WHERE code = 'USD'), 'USD exists');
SELECT api.save_currency('JPY', 'Yen', 0);
SELECT throws_ok($$SELECT api.save_currency('EURO', 'x')$$, 'PG400', NULL, 'a code that is not three letters is refused');
SELECT throws_ok($$SELECT api.save_currency('GBP', ' ')$$, 'PG400', NULL, 'a blank name is refused');
SELECT throws_ok($$SELECT api.save_currency('GBP', 'Pound', 5)$$, 'PG400', NULL, 'minor units above 4 are refused');
SELECT throws_ok($$INSERT INTO ar.currencies (code, name) VALUES ('gbp', 'Pound')$$, '23514', NULL, 'currencies_code_check guards the table');

-- Conversion rates and their boundaries.
SELECT ok(api.add_conversion_rate('EUR', 'USD', 1.10, '2026-01-01') > 0, 'a rate is added');
SELECT api.add_conversion_rate('EUR', 'USD', 1.20, '2026-02-01');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'USD', 1.3, '2026-02-01')$$, 'PG409', NULL, 'a second rate for the same pair and day is refused');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'USD', 0, '2026-03-01')$$, 'PG400', NULL, 'a rate must be greater than zero');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'EUR', 1, '2026-03-01')$$, 'PG400', NULL, 'a rate needs two currencies');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'XXX', 1, '2026-03-01')$$, 'PG404', NULL, 'an unknown currency is refused');
SELECT is(api.conversion_rate('EUR', 'USD', '2026-02-01'), 1.2::numeric, 'a rate applies from exactly its first day');
SELECT is(api.conversion_rate('EUR', 'USD', '2026-01-31'), 1.1::numeric, 'the day before, the older rate applies');
SELECT is(api.conversion_rate('USD', 'EUR', '2026-02-01'), round(1 / 1.2, 10), 'the inverse pair is used when only the opposite exists');
SELECT throws_ok($$SELECT api.conversion_rate('EUR', 'USD', '2025-12-31')$$, 'PG424', NULL, 'no rate before the first one');
SELECT throws_ok($$SELECT api.conversion_rate('EUR', 'JPY', '2026-02-01')$$, 'PG424', NULL, 'no rate for a pair without one');
SELECT is(api.conversion_rate('JPY', 'JPY', '2026-02-01'), 1::numeric, 'a currency converts to itself at 1');
SELECT throws_ok($$INSERT INTO ar.conversion_rates (from_currency, to_currency, valid_from, rate) VALUES ('EUR', 'JPY', '2026-01-01', -1)$$, '23514', NULL, 'conversion_rates_rate_check guards the table');
SELECT throws_ok($$INSERT INTO ar.conversion_rates (from_currency, to_currency, valid_from, rate) VALUES ('EUR', 'EUR', '2026-01-01', 1)$$, '23514', NULL, 'conversion_rates_pair_check guards the table');

-- The other kinds.
SELECT is(api.save_price_list('SALES', 'Sales', 'EUR'), 1, 'a price list is added');
SELECT throws_ok($$SELECT api.save_price_list('sales', 'Sales', 'EUR')$$, 'PG409', NULL, 'price list codes are unique in any case');
SELECT is(api.save_payment_method('TRANSFER', 'Bank transfer'), 1, 'a payment method is added');
SELECT api.save_payment_method('CASH', 'Cash');
SELECT is(api.save_financial_account('BANK', 'Main bank', 'EUR', ARRAY['TRANSFER']), 1, 'a financial account is added with its methods');
SELECT throws_ok($$SELECT api.save_financial_account('BANK2', 'Other', 'EUR', ARRAY['CHEQUE'])$$, 'PG404', NULL, 'an unknown payment method is refused');
SELECT is(api.save_financial_account('BANK', 'Main bank', 'EUR', ARRAY['TRANSFER', 'CASH'], 1), 2, 'the account''s methods change with its version');
SELECT is(api.save_payment_terms('NET30', '30 days', 30), 1, 'payment terms are added');
SELECT throws_ok($$SELECT api.save_payment_terms('NET-1', 'x', -1)$$, 'PG400', NULL, 'negative net days are refused');
SELECT is(api.save_invoice_schedule('MONTHLY', 'Monthly'), 1, 'an invoice schedule is added');
SELECT is(api.save_tax_rate('VAT21', 'VAT 21%', 21), 1, 'a tax rate is added');
SELECT throws_ok($$SELECT api.save_tax_rate('BIG', 'x', 101)$$, 'PG400', NULL, 'a tax rate above 100 percent is refused');
SELECT is(api.save_tax_category('STD', 'Standard', ARRAY['VAT21']), 1, 'a tax category is added with its rates');
SELECT is(api.save_employee('ANN', 'Ann', true), 1, 'an employee is added');
SELECT throws_ok($$SELECT * FROM api.list_reference('planets')$$, 'PG400', NULL, 'listing an unknown kind is refused');
SELECT is((SELECT details ->> 'payment_methods' FROM api.list_reference('accounts') WHERE code = 'BANK'), '["CASH", "TRANSFER"]', 'listing shows each kind''s details');

SELECT * FROM finish();
ROLLBACK;

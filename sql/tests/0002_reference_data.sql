-- Reference data: currencies, conversion rates, price lists, payment methods, accounts, terms,
-- schedules, tax rates and categories, employees.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(39);

-- Versioned saves: create, refuse without a version, refuse a stale one, change with the right one.
SELECT is(api.save_currency('EUR', 'Euro'), 1, 'a currency is added at version 1');
SELECT throws_ok($$SELECT api.save_currency('eur', 'Euro again')$$,
                 'PG409', 'currency EUR already exists (version 1)',
                 'an existing code (any case) needs its version to change');
SELECT throws_ok($$SELECT api.save_currency('EUR', 'Euro', 2, 7)$$,
                 'PG412', 'currency EUR was changed by someone else: it is now at version 1, not 7',
                 'a stale version is refused');
SELECT is(api.save_currency('EUR', 'Euro (EU)', 2, 1), 2, 'the right version changes it');
SELECT is((SELECT name FROM ar.currencies WHERE code = 'EUR'), 'Euro (EU)', 'the change is stored');
SELECT is(api.save_currency('usd', 'US Dollar'), 1, 'currency codes are stored in capitals');
SELECT ok(EXISTS (SELECT FROM ar.currencies WHERE code = 'USD'), 'USD exists');
SELECT api.save_currency('JPY', 'Yen', 0);
SELECT throws_ok($$SELECT api.save_currency('EURO', 'x')$$,
                 'PG400', 'code ''EURO'' is not a currency code',
                 'a code that is not three letters is refused');
SELECT throws_ok($$SELECT api.save_currency('GBP', ' ')$$, 'PG400', 'name is required and cannot be blank', 'a blank name is refused');
SELECT throws_ok($$SELECT api.save_currency('GBP', 'Pound', 5)$$,
                 'PG400', 'minor_units must be between 0 and 4, not 5',
                 'minor units above 4 are refused');
SELECT throws_ok($$INSERT INTO ar.currencies (code, name) VALUES ('gbp', 'Pound')$$,
                 '23514', 'new row for relation "currencies" violates check constraint "currencies_code_check"',
                 'currencies_code_check guards the table');

-- Conversion rates and their boundaries.
SELECT ok(api.add_conversion_rate('EUR', 'USD', 1.10, '2026-01-01') > 0, 'a rate is added');
SELECT api.add_conversion_rate('EUR', 'USD', 1.20, '2026-02-01');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'USD', 1.3, '2026-02-01')$$,
                 'PG409', 'a EUR to USD rate valid from 2026-02-01 already exists',
                 'a second rate for the same pair and day is refused');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'USD', 0, '2026-03-01')$$,
                 'PG400', 'rate must be greater than zero, not 0',
                 'a rate must be greater than zero');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'EUR', 1, '2026-03-01')$$,
                 'PG400', 'a rate converts between two currencies; both are EUR',
                 'a rate needs two currencies');
SELECT throws_ok($$SELECT api.add_conversion_rate('EUR', 'XXX', 1, '2026-03-01')$$,
                 'PG404', 'to: there is no currency ''XXX''',
                 'an unknown currency is refused');
SELECT is(api.conversion_rate('EUR', 'USD', '2026-02-01'), 1.2::numeric, 'a rate applies from exactly its first day');
SELECT is(api.conversion_rate('EUR', 'USD', '2026-01-31'), 1.1::numeric, 'the day before, the older rate applies');
SELECT is(api.conversion_rate('USD', 'EUR', '2026-02-01'), round(1 / 1.2, 10), 'the inverse pair is used when only the opposite exists');
SELECT throws_ok($$SELECT api.conversion_rate('EUR', 'USD', '2025-12-31')$$,
                 'PG424', 'no conversion rate from EUR to USD valid on 2025-12-31',
                 'no rate before the first one');
SELECT throws_ok($$SELECT api.conversion_rate('EUR', 'JPY', '2026-02-01')$$,
                 'PG424', 'no conversion rate from EUR to JPY valid on 2026-02-01',
                 'no rate for a pair without one');
SELECT is(api.conversion_rate('JPY', 'JPY', '2026-02-01'), 1::numeric, 'a currency converts to itself at 1');
SELECT throws_ok($$INSERT INTO ar.conversion_rates (from_currency, to_currency, valid_from, rate) VALUES ('EUR', 'JPY', '2026-01-01', -1)$$,
                 '23514', 'new row for relation "conversion_rates" violates check constraint "conversion_rates_rate_check"',
                 'conversion_rates_rate_check guards the table');
SELECT throws_ok($$INSERT INTO ar.conversion_rates (from_currency, to_currency, valid_from, rate) VALUES ('EUR', 'EUR', '2026-01-01', 1)$$,
                 '23514', 'new row for relation "conversion_rates" violates check constraint "conversion_rates_pair_check"',
                 'conversion_rates_pair_check guards the table');

-- The other kinds.
SELECT is(api.save_price_list('SALES', 'Sales', 'EUR'), 1, 'a price list is added');
SELECT throws_ok($$SELECT api.save_price_list('sales', 'Sales', 'EUR')$$,
                 'PG409', 'price list SALES already exists (version 1)',
                 'price list codes are unique in any case');
SELECT is(api.save_payment_method('TRANSFER', 'Bank transfer'), 1, 'a payment method is added');
SELECT api.save_payment_method('CASH', 'Cash');
SELECT is(api.save_financial_account('BANK', 'Main bank', 'EUR', ARRAY['TRANSFER']), 1, 'a financial account is added with its methods');
SELECT throws_ok($$SELECT api.save_financial_account('BANK2', 'Other', 'EUR', ARRAY['CHEQUE'])$$,
                 'PG404', 'payment_methods: there is no payment method with code ''CHEQUE''',
                 'an unknown payment method is refused');
SELECT is(api.save_financial_account('BANK', 'Main bank', 'EUR', ARRAY['TRANSFER', 'CASH'], 1), 2, 'the account''s methods change with its version');
SELECT is(api.save_payment_terms('NET30', '30 days', 30), 1, 'payment terms are added');
SELECT throws_ok($$SELECT api.save_payment_terms('NET-1', 'x', -1)$$,
                 'PG400', 'net_days must be between 0 and 3650, not -1',
                 'negative net days are refused');
SELECT is(api.save_invoice_schedule('MONTHLY', 'Monthly'), 1, 'an invoice schedule is added');
SELECT is(api.save_tax_rate('VAT21', 'VAT 21%', 21), 1, 'a tax rate is added');
SELECT throws_ok($$SELECT api.save_tax_rate('BIG', 'x', 101)$$,
                 'PG400', 'rate must be a percentage from 0 to 100 with at most 4 decimals, not 101',
                 'a tax rate above 100 percent is refused');
SELECT is(api.save_tax_category('STD', 'Standard', ARRAY['VAT21']), 1, 'a tax category is added with its rates');
SELECT is(api.save_employee('ANN', 'Ann', true), 1, 'an employee is added');
SELECT throws_ok($$SELECT * FROM api.list_reference('planets')$$,
                 'PG400', 'there is no reference data kind ''planets''',
                 'listing an unknown kind is refused');
SELECT is((SELECT details ->> 'payment_methods' FROM api.list_reference('accounts') WHERE code = 'BANK'), '["CASH", "TRANSFER"]',
          'listing shows each kind''s details');

SELECT * FROM finish();
ROLLBACK;

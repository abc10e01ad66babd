-- Products, serial tracking, buildups, prices, locations and stock.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(46);

\ir fixtures/company.sql

SELECT is(api.save_item_type('T_TV', 'Television', 24, 12), 1, 'a customer item type is added');
SELECT throws_ok($$SELECT api.save_item_type('T_X', 'X', -1)$$,
                 'PG400', 'warranty_months must be between 0 and 600, not -1',
                 'a negative warranty is refused');
SELECT throws_ok($$SELECT api.save_item_type('T_X', 'X', 12, 0)$$,
                 'PG400', 'service_interval_months must be between 1 and 600, not 0',
                 'a service interval of zero months is refused');
SELECT is(api.save_location('T_MAIN', 'Main'), 1, 'a location is added');
SELECT is(api.save_location('T_VAN', 'Van'), 1, 'a second location is added');
SELECT api.save_location('T_OLD', 'Closed', false);

SELECT is(api.save_product('{"code": "T_TV", "name": "TV", "serial_tracking": "unique", "customer_item_type": "T_TV", "default_tax_rate": "VAT"}'), 1,
          'a unique-serial product is added');
SELECT is(api.save_product('{"code": "T_CARPET", "name": "Carpet", "serial_tracking": "batch", "track_expiry": true, "unit": "m"}'), 1,
          'a batch-serial product with expiry is added');
SELECT is(api.save_product('{"code": "T_CABLE", "name": "Cable"}'), 1, 'an untracked product is added');
SELECT throws_ok($$SELECT api.save_product('{"code": "t_cable", "name": "Cable"}')$$,
                 'PG409', 'product T_CABLE already exists (version 1)',
                 'codes are unique in any case, and a change needs the version');
SELECT throws_ok($$SELECT api.save_product('{"code": "T_X", "name": "X", "serial_tracking": "some"}')$$,
                 'PG400', 'serial_tracking ''some'' is not none, unique or batch',
                 'an unknown tracking is refused');
SELECT throws_ok($$SELECT api.save_product('{"code": "T_X", "name": "X", "track_expiry": true}')$$,
                 'PG422', 'expiry dates are kept per serial, so a product without serial tracking cannot track them',
                 'expiry needs serial tracking');
SELECT throws_ok($$SELECT api.save_product('{"code": "T_X", "name": "X", "colour": "red"}')$$,
                 'PG400', 'colour is not a field of a product',
                 'an unknown field is refused');
SELECT throws_ok($$SELECT api.save_product('{"code": "T_X", "name": "X", "customer_item_type": "NOPE"}')$$,
                 'PG404', 'customer_item_type: there is no customer item type with code ''NOPE''',
                 'an unknown item type is refused');
SELECT throws_ok($$INSERT INTO ar.products (code, name, track_expiry) VALUES ('T_Y', 'Y', true)$$,
                 '23514', 'new row for relation "products" violates check constraint "products_expiry_needs_serials_check"',
                 'products_expiry_needs_serials_check guards the table');

-- Buildups.
SELECT api.save_product('{"code": "T_KIT", "name": "Kit", "is_buildup": true}');
SELECT is(api.set_buildup_components('T_KIT', '[{"product": "T_TV", "quantity": 1}, {"product": "T_CABLE", "quantity": 2}]'), 2,
          'buildup components are set');
SELECT throws_ok($$SELECT api.set_buildup_components('T_CABLE', '[{"product": "T_TV", "quantity": 1}]')$$,
                 'PG422', 'product T_CABLE is not a buildup',
                 'only a buildup has components');
SELECT throws_ok($$SELECT api.set_buildup_components('T_KIT', '[{"product": "T_KIT", "quantity": 1}]')$$,
                 'PG422', 'buildup T_KIT cannot contain itself',
                 'a buildup cannot contain itself');
SELECT api.save_product('{"code": "T_BOX", "name": "Box", "is_buildup": true}');
SELECT api.set_buildup_components('T_BOX', '[{"product": "T_KIT", "quantity": 1}]');
SELECT throws_ok($$SELECT api.set_buildup_components('T_KIT', '[{"product": "T_BOX", "quantity": 1}]')$$,
                 'PG422', 'buildup T_KIT would contain itself: T_KIT > T_BOX > T_KIT',
                 'a cycle through another buildup is refused');
SELECT throws_ok($$SELECT api.set_buildup_components('T_KIT', '[{"product": "T_TV", "quantity": 0}]')$$,
                 'PG400', 'component quantity must be greater than zero with at most 4 decimals, not 0',
                 'a component quantity must be positive');

-- Prices.
SELECT api.set_product_price('SALES', 'T_TV', 799, '2026-01-01');
SELECT api.set_product_price('SALES', 'T_TV', 749.5, '2026-06-01');
SELECT is(api.product_price('SALES', 'T_TV', '2026-06-01'), 749.5::numeric, 'the price valid from exactly the date applies');
SELECT is(api.product_price('SALES', 'T_TV', '2026-05-31'), 799::numeric, 'the day before, the older price applies');
SELECT throws_ok($$SELECT api.product_price('SALES', 'T_TV', '2025-12-31')$$,
                 'PG404', 'price list SALES has no price for T_TV on 2025-12-31',
                 'no price before the first one');
SELECT throws_ok($$SELECT api.set_product_price('SALES', 'T_TV', -1)$$,
                 'PG400', 'price must be zero or more with at most 4 decimals, not -1',
                 'a negative price is refused');

-- Receipts, transfers, write-offs.
SELECT lives_ok($$SELECT api.post_receipt('{"location": "T_MAIN", "reference": "PO-1", "lines": [
    {"product": "T_TV", "quantity": 2, "serials": ["S1", "S2"]},
    {"product": "T_CARPET", "quantity": 100, "serials": [{"serial": "R1", "quantity": 60, "expiry": "2027-01-31"},
                                                         {"serial": "R2", "quantity": 40, "expiry": "2026-12-31"}]},
    {"product": "T_CABLE", "quantity": 10}]}')$$,
                'a receipt with unique serials, batch serials and an untracked line is posted');
SELECT throws_ok($$SELECT api.post_receipt('{"location": "T_VAN", "lines": [{"product": "T_TV", "quantity": 1, "serials": ["S1"]}]}')$$,
                 'PG422', 'serial S1 of T_TV is already in stock (T_MAIN); a unique serial is one unit in one place',
                 'a unique serial in stock cannot be received again');
SELECT throws_ok($$SELECT api.post_receipt('{"location": "T_OLD", "lines": [{"product": "T_CABLE", "quantity": 1}]}')$$,
                 'PG422', 'location: location T_OLD is inactive',
                 'an inactive location takes no stock');
SELECT throws_ok($$SELECT api.post_receipt('{"location": "T_MAIN", "lines": [{"product": "T_KIT", "quantity": 1}]}')$$,
                 'PG422', 'T_KIT is a buildup: its stock is the stock of its components',
                 'a buildup is not received: its components are');
SELECT throws_ok($$SELECT api.post_receipt('{"location": "T_MAIN", "lines": [{"product": "T_CABLE", "quantity": 1},
                                                                       {"product": "T_TV", "quantity": 1}]}')$$,
                 'PG422', 'T_TV is tracked by unique serial: line 2 needs its serials',
                 'a line missing serials refuses the whole receipt');
SELECT is((SELECT quantity FROM report.stock_on_hand WHERE product = 'T_CABLE' AND location = 'T_MAIN'), 10::numeric,
          'the refused receipt left the first line''s stock unchanged');
SELECT throws_ok($$SELECT api.post_transfer('{"from": "T_MAIN", "to": "T_MAIN", "lines": [{"product": "T_CABLE", "quantity": 1}]}')$$,
                 'PG400', 'a transfer moves stock between two different locations',
                 'a transfer needs two locations');
SELECT lives_ok($$SELECT api.post_transfer('{"from": "T_MAIN", "to": "T_VAN", "lines": [{"product": "T_TV", "quantity": 1, "serials": ["S2"]},
                  {"product": "T_CARPET", "quantity": 20, "serials": [{"serial": "R1", "quantity": 20}]}]}')$$,
                'serials move with a transfer');
SELECT throws_ok($$SELECT api.post_write_off('{"location": "T_MAIN", "lines": [{"product": "T_CABLE", "quantity": 11}]}')$$,
                 'PG422', 'T_CABLE: 10 on hand at T_MAIN, 11 asked for',
                 'untracked stock does not go below zero either');
SELECT throws_ok($$SELECT api.post_write_off('{"location": "T_MAIN", "lines": [{"product": "T_TV", "quantity": 1, "serials": ["S9"]}]}')$$,
                 'PG404', 'serial S9 of T_TV was never received',
                 'a serial never received cannot be written off');
SELECT lives_ok($$SELECT api.post_write_off('{"location": "T_MAIN", "reference": "typo",
                                             "lines": [{"product": "T_TV", "quantity": 1, "serials": ["S1"]}]}')$$,
                'a wrong serial is written off');
SELECT is((SELECT status FROM report.serial_numbers WHERE serial = 'S1'), 'written off', 'the written-off serial shows as such');
SELECT is((SELECT count(*)::integer FROM report.serial_history WHERE serial = 'S2'), 3,
          'a serial''s history has its receipt and both sides of its transfer');
SELECT is((SELECT array_agg(serial ORDER BY expiry) FROM api.pick_serials('T_CARPET', 'T_MAIN')), ARRAY['R2', 'R1'],
          'serials are picked oldest expiry first');

-- Tracking changes only at zero stock.
SELECT throws_ok($$SELECT api.save_product('{"code": "T_CABLE", "serial_tracking": "unique"}', 1)$$,
                 'PG422', 'product T_CABLE has stock (10 on hand: 10 at T_MAIN); its serial tracking changes only at zero stock',
                 'tracking cannot change while stock is on hand');

-- The database itself guards what the functions check.
SELECT throws_ok($$UPDATE ar.stock_on_hand SET quantity = -1 WHERE serial_key = 0$$,
                 '23514', 'new row for relation "stock_on_hand" violates check constraint "stock_on_hand_quantity_check"',
                 'stock_on_hand_quantity_check: never negative');
SELECT throws_ok($$UPDATE ar.serials SET serial = 'S1b' WHERE serial = 'S1'$$,
                 'PG423', 'serials rows are never changed or deleted',
                 'serials are never edited');
SELECT throws_ok($$DELETE FROM ar.stock_movements$$, 'PG423', 'stock_movements rows are never changed or deleted', 'movements are never deleted');
SELECT throws_ok($$TRUNCATE ar.stock_movements$$, 'PG423', 'stock_movements rows are never changed or deleted', 'movements are never truncated');
SELECT is_empty($$SELECT * FROM report.stock_discrepancies$$, 'kept on-hand quantities equal a recount of the movements');

-- Who may do what.
SELECT function_privs_are('api', 'post_receipt', ARRAY['jsonb'], 'postgate_client', ARRAY['EXECUTE'], 'other applications may post receipts');
SELECT function_privs_are('api', 'post_write_off', ARRAY['jsonb'], 'postgate_reporting', ARRAY[]::text[],
                          'reporting users may not post write-offs');
SELECT table_privs_are('report', 'serial_numbers', 'postgate_reporting', ARRAY['SELECT'],
                       'reporting users read the serial enquiry, and only read it');

SELECT * FROM finish();
ROLLBACK;

-- Sales orders, goods shipments and Generate Invoices: every refusal, the stock a shipment moves,
-- what each invoice term invoices, the generated lines' guards, reports and rights.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(53);

\ir fixtures/company.sql
\ir fixtures/stock.sql
\ir fixtures/customers.sql
\ir fixtures/reporting_login.sql

SELECT api.save_location('BACK', 'Back store');
SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "CABLE", "quantity": 95}]}');
SELECT api.post_receipt('{"location": "BACK", "lines": [{"product": "TV", "quantity": 1, "serials": ["S3"]}]}');
SELECT api.save_product('{"code": "KIT", "name": "Kit", "is_buildup": true, "default_tax_rate": "VAT"}');
SELECT api.create_customer('{"code": "DEL", "name": "After delivery", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "after_delivery"}');
SELECT api.create_customer('{"code": "WHOLE", "name": "Whole orders", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "after_order_delivered"}');
SELECT api.create_customer('{"code": "NEVER", "name": "Never", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "do_not_invoice"}');
SELECT api.create_customer('{"code": "SCHED", "name": "Scheduled", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "customer_schedule_after_delivery", "invoice_schedule": "MONTHLY"}');
SELECT api.create_customer('{"code": "NOINV", "name": "Held for invoices", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "after_delivery"}');

-- Orders.
SELECT is(api.create_order('{"customer": "ACME", "location": "MAIN", "date": "2026-03-02"}') -> 'alerts', '[]'::jsonb,
          'a draft order is created with the customer''s alerts');
CREATE TEMPORARY TABLE t_order AS SELECT max(id) AS id FROM ar.sales_orders;
SELECT is(api.add_order_line((SELECT id FROM t_order), '{"product": "TV", "quantity": 2}'), 1, 'a TV line');
SELECT is(api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 10}'), 2, 'a cable line');
SELECT is((SELECT total FROM ar.sales_orders WHERE id = (SELECT id FROM t_order)), 1330.88::numeric(16, 2),
          'priced from the price list with tax: 2 x 500 and 10 x 9.99, 21%');
SELECT throws_ok($$SELECT api.create_order('{"customer": "NOPE", "location": "MAIN"}')$$, 'PG404', NULL, 'an unknown customer is refused');
SELECT throws_ok($$SELECT api.create_order('{"customer": "ACME", "location": "NOWHERE"}')$$, 'PG404', NULL, 'an unknown location is refused');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "NOPE", "quantity": 1}')$$, 'PG404', NULL,
                 'an unknown product is refused');
SELECT throws_like($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "KIT", "quantity": 1}')$$,
                   '%KIT is a buildup%', 'a buildup is not ordered: its components are');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 0}')$$, 'PG400', NULL,
                 'a quantity of zero is refused');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "TV", "quantity": 1.5}')$$, 'PG400', NULL,
                 'a unique-serial product is ordered in whole units');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 1, "tax_rate": "ZERO"}')$$,
                 'PG422', 'ZERO is not one of the rates of tax category STD', 'a tax rate the customer may not use is refused');

-- Booking.
SELECT api.create_order('{"customer": "ACME", "location": "MAIN"}');
SELECT throws_like($$SELECT api.book_order((SELECT max(id) FROM ar.sales_orders), '[]', 'me')$$, '%has no lines%', 'an empty order is not booked');
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_order), '[]', ' ')$$, 'PG400', NULL, 'a booking names its actor');
SELECT is(api.book_order((SELECT id FROM t_order), '[]', 'me'), 1::bigint, 'booked as order number 1');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 1}')$$, 'PG423', NULL,
                 'a booked order''s lines no longer change');
SELECT throws_ok($$SELECT api.delete_order((SELECT id FROM t_order))$$, 'PG423', NULL, 'a booked order is not deleted');
SELECT api.hold_customer('FREE', true, false, false, false);
SELECT api.create_order('{"customer": "FREE", "location": "MAIN"}');
SELECT api.add_order_line((SELECT max(id) FROM ar.sales_orders), '{"product": "CABLE", "quantity": 1, "tax_rate": "ZERO"}');
SELECT throws_ok($$SELECT api.book_order((SELECT max(id) FROM ar.sales_orders), '[]', 'me')$$, 'PG422', 'customer FREE is on hold for sales orders',
                 'a customer on hold for sales orders cannot have one booked');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT max(id) FROM ar.sales_orders)))$$,
                   '%only a booked order ships%', 'a draft order does not ship');
SELECT api.release_customer('FREE');

-- Shipments: what may ship.
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 11}]'::jsonb))$$,
                   '%has 10 open to ship%', 'nothing ships beyond what is open');
SELECT ok((api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'date', '2026-03-03',
                                                  'lines', '[{"line": 2, "quantity": 6}]'::jsonb)) ->> 'shipment_id') IS NOT NULL,
          'a draft shipment of 6 of the 10 cables');
CREATE TEMPORARY TABLE t_shipment AS SELECT max(id) AS id FROM ar.shipments;
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 5}]'::jsonb))$$,
                   '%6 on other draft shipments%', 'what other draft shipments take is not open');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 1, "serials": ["S3"]}]'::jsonb))$$,
                   '%in stock at BACK%', 'a serial at another location does not ship');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 1, "serials": ["NOPE"]}]'::jsonb))$$,
                   '%never received%', 'a serial never received does not ship');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 2, "serials": ["S1"]}]'::jsonb))$$,
                   '%serials cover 1 of the 2 shipped%', 'a serial-tracked line ships exactly its serials');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 2, "serials": ["S1", "S1"]}]'::jsonb))$$,
                   '%appears twice%', 'a serial named twice is refused');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 1, "serials": ["X"]}]'::jsonb))$$,
                 'PG400', NULL, 'an untracked product ships without serials');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 9}]'::jsonb))$$,
                 'PG404', NULL, 'a line the order does not have is refused');

-- Completing.
SELECT api.hold_customer('ACME', false, true, false, false);
SELECT throws_ok($$SELECT api.complete_shipment((SELECT id FROM t_shipment))$$, 'PG422', 'customer ACME is on hold for goods shipments',
                 'a customer on hold for goods shipments gets nothing shipped');
SELECT api.release_customer('ACME');
SELECT is(api.complete_shipment((SELECT id FROM t_shipment)), 1::bigint, 'completed as shipment 1');
SELECT is((SELECT quantity FROM report.stock_on_hand WHERE product = 'CABLE' AND location = 'MAIN'), 94::numeric,
          'the cables left stock: 100 received, 6 shipped');
SELECT is((SELECT kind || ' ' || reference FROM ar.stock_documents WHERE id = (SELECT document_id FROM ar.shipments WHERE id = (SELECT id FROM t_shipment))),
          'sale shipment 1 (order 1)', 'on a sale document to the customer');
SELECT throws_ok($$SELECT api.complete_shipment((SELECT id FROM t_shipment))$$, 'PG423', NULL, 'a shipment completes once');
SELECT throws_ok($$SELECT api.delete_shipment((SELECT id FROM t_shipment))$$, 'PG423', NULL, 'a completed shipment is never deleted');
SELECT api.complete_shipment((api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'date', '2026-03-03',
                                                                     'lines', '[{"line": 1}]'::jsonb)) ->> 'shipment_id')::bigint);
SELECT is((SELECT array_agg(serial ORDER BY serial) FROM ar.shipment_line_serials ss JOIN ar.shipment_lines sl ON sl.id = ss.line_id
           JOIN ar.shipments s ON s.id = sl.shipment_id WHERE s.order_id = (SELECT id FROM t_order)), ARRAY['S1', 'S2'],
          'the TVs'' serials were picked from stock at MAIN');
SELECT api.create_order('{"customer": "DEL", "location": "MAIN", "date": "2026-03-02"}');
SELECT api.add_order_line((SELECT max(id) FROM ar.sales_orders), '{"product": "TV", "quantity": 1}');
SELECT api.book_order((SELECT max(id) FROM ar.sales_orders), '[]', 'me');
SELECT throws_like($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT max(id) FROM ar.sales_orders), 'lines', '[{"line": 1, "serials": ["S1"]}]'::jsonb))$$,
                   '%already sold%', 'a serial ships once');
SELECT api.end_order((SELECT max(id) FROM ar.sales_orders), 'cancel');
SELECT throws_like($$SELECT api.end_order((SELECT id FROM t_order), 'cancel')$$, '%shipped or invoiced lines, so it cannot be cancelled%', 'an order that shipped is closed, not cancelled');
SELECT throws_ok($$SELECT api.end_order((SELECT id FROM t_order), 'drop')$$, 'PG400', NULL, 'closing says close or cancel');
SELECT is((SELECT (l ->> 'shipped')::numeric || '/' || (l ->> 'open')::numeric FROM jsonb_array_elements(api.get_order((SELECT id FROM t_order)) -> 'lines') l
           WHERE (l ->> 'line')::integer = 2), '6.0000/4.0000', 'the order shows 6 shipped and 4 open');

-- Generate Invoices, term by term. ACME is invoiced Immediately (the default terms).
CREATE FUNCTION pg_temp.ship(p_customer text, p_date date, p_quantities numeric[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_order bigint := (api.create_order(jsonb_build_object('customer', p_customer, 'location', 'MAIN', 'date', '2026-03-01')) ->> 'order_id')::bigint;
    q numeric;
BEGIN
    FOREACH q IN ARRAY p_quantities LOOP
        PERFORM api.add_order_line(v_order, jsonb_build_object('product', 'CABLE', 'quantity', q));
    END LOOP;
    PERFORM api.book_order(v_order, '[]', 'me');
    PERFORM api.complete_shipment((api.create_shipment(jsonb_build_object('order', v_order, 'date', p_date,
                                                                          'lines', '[{"line": 1}]'::jsonb)) ->> 'shipment_id')::bigint);
    RETURN v_order;
END
$$;
SELECT pg_temp.ship('DEL', '2026-03-03', ARRAY[3, 2]);
SELECT pg_temp.ship('WHOLE', '2026-03-03', ARRAY[3, 2]);
SELECT pg_temp.ship('NEVER', '2026-03-03', ARRAY[1]);
SELECT pg_temp.ship('SCHED', '2026-03-03', ARRAY[1]);
SELECT pg_temp.ship('NOINV', '2026-03-03', ARRAY[1]);
SELECT api.hold_customer('NOINV', false, false, true, false);
SELECT api.set_schedule_dates('MONTHLY', ARRAY['2026-03-31'::date, '2026-04-30']);
SELECT results_eq($$SELECT customer, lines, skipped_because IS NOT NULL FROM api.preview_invoice_generation('2026-03-30') ORDER BY customer$$,
                  $$VALUES ('ACME'::text, 3, false), ('DEL', 1, false), ('NOINV', 1, true)$$,
                  'on the 30th: ACME''s shipped TVs and cables and its 4 open cables (Immediate), what DEL was shipped; NOINV skipped; WHOLE, NEVER and SCHED nothing');
SELECT is((SELECT skipped_because FROM api.preview_invoice_generation('2026-03-30') WHERE customer = 'NOINV'),
          'customer NOINV is on hold for sales invoices', 'the preview says why a customer is skipped');
SELECT is((SELECT count(*)::integer FROM api.generate_invoices('2026-03-30')), 2, 'two drafts, one per order: ACME''s and DEL''s');
SELECT is((SELECT count(*)::integer FROM api.generate_invoices('2026-03-30')), 0, 'running it again makes nothing twice');
SELECT is((SELECT array_agg(customer ORDER BY customer) FROM api.preview_invoice_generation('2026-03-31')), ARRAY['NOINV', 'SCHED'],
          'on the schedule''s date SCHED is invoiced; NOINV still waits');
SELECT api.complete_shipment((api.create_shipment(jsonb_build_object('order', (SELECT max(o.id) FROM ar.sales_orders o JOIN ar.customers c ON c.id = o.customer_id WHERE c.code = 'WHOLE'),
                                                                     'date', '2026-04-01')) ->> 'shipment_id')::bigint);
SELECT is((SELECT lines FROM api.preview_invoice_generation('2026-04-01') WHERE customer = 'WHOLE'), 2,
          'after order delivered: both shipments once every line has shipped');

-- The lines Generate Invoices made.
CREATE TEMPORARY TABLE t_line AS
SELECT l.id, l.invoice_id, l.line_no, l.shipment_line_id FROM ar.invoice_lines l JOIN ar.invoices i ON i.id = l.invoice_id
WHERE l.shipment_line_id IS NOT NULL AND l.product_id = (SELECT id FROM ar.products WHERE code = 'TV') LIMIT 1;
SELECT is((SELECT count(*)::integer FROM ar.invoice_line_serials WHERE line_id = (SELECT id FROM t_line)), 2, 'the TV line carries the two shipped serials');
SELECT throws_ok($$SELECT api.update_invoice_line((SELECT invoice_id FROM t_line), (SELECT line_no FROM t_line), '{"quantity": 1}')$$,
                 'PG422', NULL, 'a line of an order is changed on the order, not on the invoice');
SELECT throws_ok($$SELECT api.set_line_serials((SELECT invoice_id FROM t_line), (SELECT line_no FROM t_line), '["S9"]')$$,
                 'PG422', NULL, 'a shipment''s serials are not replaced on its invoice');
SELECT results_eq($$SELECT short_stock, unavailable_serials FROM api.posting_facts(ARRAY[(SELECT invoice_id FROM t_line)], false)$$,
                  $$VALUES ('[]'::jsonb, '[]'::jsonb)$$, 'the shipped TVs are neither short nor unavailable: their stock left with the shipment');
SELECT throws_ok($$INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                                 net_amount, tax_amount, order_line_id, shipment_line_id)
                   SELECT invoice_id, 99, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent, net_amount, tax_amount,
                          order_line_id, shipment_line_id FROM ar.invoice_lines WHERE id = (SELECT id FROM t_line)$$,
                 '23505', NULL, 'a shipment line is invoiced by one invoice line only');

-- Reports and rights.
SELECT ok((SELECT count(*) FROM report.open_orders) > 0, 'report.open_orders lists what is open');
SELECT ok((SELECT count(*) FROM report.uninvoiced_shipments WHERE customer = 'NEVER') = 1, 'report.uninvoiced_shipments lists what is not invoiced');
SET ROLE pgtap_reader;
SELECT ok((SELECT booked_not_shipped FROM report.customer_exposure WHERE customer = 'DEL') = 24.18
          AND (SELECT count(*) FROM report.invoicing_due) >= 0, 'a reporting login reads the exposure (DEL: 2 cables booked, not shipped, 24.18 with tax) and what is due');
RESET ROLE;
SELECT ok(NOT has_function_privilege('postgate_client', 'api.book_order(bigint, jsonb, text)', 'EXECUTE')
          AND NOT has_function_privilege('postgate_client', 'api.order_booking_facts(bigint)', 'EXECUTE'),
          'other applications cannot book an order past the service''s check');

SELECT * FROM finish();
ROLLBACK;

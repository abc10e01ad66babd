-- Sales orders, goods shipments and Generate Invoices: every refusal (with its SQLSTATE and
-- message), the stock a shipment moves, what each invoice term invoices, the generated lines'
-- guards, the posting facts of a shipment's invoice, reports and rights.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(92);

\ir fixtures/company.sql
\ir fixtures/stock.sql
\ir fixtures/customers.sql

-- Beyond the fixtures: a second location holding a third TV (S3), 100 cables at MAIN in all, a
-- buildup, an inactive customer and one customer per invoice term (ACME and FREE are Immediate,
-- the default). MONTHLY is the fixtures' invoice schedule.
SELECT api.save_location('BACK', 'Back store');
SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "CABLE", "quantity": 95}]}');
SELECT api.post_receipt('{"location": "BACK", "lines": [{"product": "TV", "quantity": 1, "serials": ["S3"]}]}');
SELECT api.save_product('{"code": "KIT", "name": "Kit", "is_buildup": true, "default_tax_rate": "VAT"}');
SELECT api.create_customer('{"code": "GONE", "name": "Gone", "price_list": "SALES", "payment_terms": "NET30", "active": false}');
SELECT api.create_customer('{"code": "DEL", "name": "After delivery", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "after_delivery"}');
SELECT api.create_customer('{"code": "WHOLE", "name": "Whole orders", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "after_order_delivered"}');
SELECT api.create_customer('{"code": "NEVER", "name": "Never", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "do_not_invoice"}');
SELECT api.create_customer('{"code": "SCHED", "name": "Scheduled", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "customer_schedule_after_delivery", "invoice_schedule": "MONTHLY"}');
SELECT api.create_customer('{"code": "NOINV", "name": "Held for invoices", "price_list": "SALES", "payment_terms": "NET30",
                             "invoice_terms": "after_delivery"}');

-- The hint of a refusal (throws_ok checks the state and the message only).
CREATE FUNCTION pg_temp.hint_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_hint text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_hint = PG_EXCEPTION_HINT;
    RETURN v_hint;
END
$$;

-- Orders: a draft with priced lines.
SELECT is(api.create_order('{"customer": "ACME", "location": "MAIN", "date": "2026-03-02"}') -> 'alerts', '[]'::jsonb,
          'a draft order is created with the customer''s alerts');
CREATE TEMPORARY TABLE t_order AS SELECT max(id) AS id FROM ar.sales_orders;
SELECT is(api.add_order_line((SELECT id FROM t_order), '{"product": "TV", "quantity": 2}'), 1, 'a TV line');
SELECT is(api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 10}'), 2, 'a cable line');
SELECT is((SELECT total FROM ar.sales_orders WHERE id = (SELECT id FROM t_order)), 1330.88::numeric(16, 2),
          'priced from the price list with tax: 2 x 500 and 10 x 9.99, 21%');
SELECT throws_ok($$SELECT api.create_order('{"customer": "NOPE", "location": "MAIN"}')$$,
                 'PG404', 'there is no customer with code ''NOPE''', 'an unknown customer is refused');
SELECT throws_ok($$SELECT api.create_order('{"customer": "GONE", "location": "MAIN"}')$$,
                 'PG422', 'customer GONE is inactive', 'an inactive customer takes no orders');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "NOPE", "quantity": 1}')$$,
                 'PG404', 'there is no product ''NOPE''', 'an unknown product is refused');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "KIT", "quantity": 1}')$$,
                 'PG422', 'KIT is a buildup: orders take the products that ship, not buildups', 'a buildup is not ordered: its components are');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 0}')$$,
                 'PG400', 'quantity must be greater than zero, not 0', 'a quantity of zero is refused');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": -2}')$$,
                 'PG400', 'quantity must be greater than zero, not -2', 'a negative quantity is refused');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "TV", "quantity": 1.5}')$$,
                 'PG400', 'TV has a serial per unit: sell whole units, not 1.5', 'a unique-serial product is ordered in whole units');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 1, "tax_rate": "ZERO"}')$$,
                 'PG422', 'ZERO is not one of the rates of tax category STD', 'a tax rate outside the customer''s category is refused');
SELECT api.create_order('{"customer": "FREE", "location": "MAIN"}');
SELECT throws_ok($$SELECT api.add_order_line((SELECT max(id) FROM ar.sales_orders), '{"product": "CABLE", "quantity": 1}')$$,
                 'PG422', 'customer FREE is tax exempt and VAT is not an exempt rate', 'a tax-exempt customer is not charged tax');
SELECT lives_ok($$SELECT api.delete_order((SELECT max(id) FROM ar.sales_orders))$$, 'a draft order is deleted');

-- Booking.
SELECT api.create_order('{"customer": "ACME", "location": "MAIN"}');
CREATE TEMPORARY TABLE t_empty AS SELECT max(id) AS id FROM ar.sales_orders;
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_empty), '[]', 'me')$$,
                 'PG422', format('sales order %s has no lines', (SELECT id FROM t_empty)), 'an order without lines is not booked');
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_order), '[]', ' ')$$,
                 'PG400', 'the booking names no actor', 'a booking names its actor');
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_order), '[]', NULL)$$,
                 'PG400', 'the booking names no actor', 'a booking without an actor at all is refused too');
SELECT api.hold_customer('ACME', true, false, false, false);
SELECT is((SELECT on_hold_orders::text || ' ' || line_count FROM api.order_booking_facts((SELECT id FROM t_order))), 'true 2',
          'the booking facts tell the service the customer is on hold for orders');
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_order), '[]', 'me')$$,
                 'PG422', 'customer ACME is on hold for sales orders', 'a customer on hold for sales orders cannot have one booked');
SELECT api.release_customer('ACME');
SELECT is(api.book_order((SELECT id FROM t_order), '[]', 'me'), 1::bigint, 'booked as order number 1');
SELECT is((SELECT status || ' by ' || booked_by FROM ar.sales_orders WHERE id = (SELECT id FROM t_order)), 'booked by me',
          'the order is booked, with its actor');
SELECT throws_ok($$SELECT api.add_order_line((SELECT id FROM t_order), '{"product": "CABLE", "quantity": 1}')$$,
                 'PG423', format('sales order %s (number 1) is booked: only a draft order is changed, deleted or booked', (SELECT id FROM t_order)),
                 'a booked order takes no new lines');
SELECT throws_ok($$SELECT api.delete_order((SELECT id FROM t_order))$$,
                 'PG423', format('sales order %s (number 1) is booked: only a draft order is changed, deleted or booked', (SELECT id FROM t_order)),
                 'a booked order is never deleted');
SELECT throws_ok($$SELECT api.end_order((SELECT id FROM t_order), 'drop')$$,
                 'PG400', '''drop'' is neither close nor cancel', 'an order ends by close or cancel');
SELECT throws_ok($$SELECT api.end_order((SELECT id FROM t_order), NULL)$$,
                 'PG400', 'NULL is neither close nor cancel', 'an order does not end without saying how');
SELECT throws_ok($$SELECT api.end_order((SELECT id FROM t_empty), 'close')$$,
                 'PG422', format('sales order %s is draft, not booked', (SELECT id FROM t_empty)), 'a draft is deleted, not closed');

-- Shipments: what may ship.
SELECT api.add_order_line((SELECT id FROM t_empty), '{"product": "CABLE", "quantity": 1}');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_empty)))$$,
                 'PG422', format('sales order %s is draft: only a booked order ships', (SELECT id FROM t_empty)), 'a draft order does not ship');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 11}]'::jsonb))$$,
                 'PG422', 'line 2 of the order has 10 open to ship (10 booked, 0 shipped, 0 invoiced, 0 on other draft shipments): 11 is too many',
                 'nothing ships beyond what is open');
SELECT ok((api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'date', '2026-03-03',
                                                  'lines', '[{"line": 2, "quantity": 6}]'::jsonb)) ->> 'shipment_id') IS NOT NULL,
          'a draft shipment of 6 of the 10 cables');
CREATE TEMPORARY TABLE t_shipment AS SELECT max(id) AS id FROM ar.shipments;
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 5}]'::jsonb))$$,
                 'PG422', 'line 2 of the order has 4 open to ship (10 booked, 0 shipped, 0 invoiced, 6 on other draft shipments): 5 is too many',
                 'what another draft shipment takes is not open: no over-shipment across two drafts');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 1, "serials": ["S3"]}]'::jsonb))$$,
                 'PG422', 'serial S3 of TV cannot be shipped from MAIN: in stock at BACK', 'a serial in stock elsewhere does not ship from the line''s location');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 1, "serials": ["NOPE"]}]'::jsonb))$$,
                 'PG422', 'serial NOPE of TV cannot be shipped from MAIN: it was never received', 'a serial never received does not ship');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 2, "serials": ["S1"]}]'::jsonb))$$,
                 'PG422', 'the serials cover 1 of the 2 shipped: a serial-tracked line ships exactly its serials',
                 'a serial-tracked line ships as many serials as its quantity');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "quantity": 2, "serials": ["S1", "S1"]}]'::jsonb))$$,
                 'PG400', 'serial S1 appears twice on the line', 'a serial named twice is refused');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 1, "serials": [{"serial": "S1", "quantity": 2}]}]'::jsonb))$$,
                 'PG400', 'a unique serial is one unit', 'a unique serial ships one unit');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 2, "quantity": 1, "serials": ["X"]}]'::jsonb))$$,
                 'PG400', 'CABLE is not serial-tracked, so its lines carry no serials', 'an untracked product ships without serials');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[{"line": 9}]'::jsonb))$$,
                 'PG404', format('sales order %s has no line 9', (SELECT id FROM t_order)), 'a line the order does not have is refused');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'lines', '[]'::jsonb))$$,
                 'PG400', 'lines must be a list of at least one line', 'a shipment of no lines is refused');

-- Completing.
SELECT api.hold_customer('ACME', false, true, false, false);
SELECT throws_ok($$SELECT api.complete_shipment((SELECT id FROM t_shipment), 'me')$$,
                 'PG422', 'customer ACME is on hold for goods shipments', 'a customer on hold for goods shipments gets nothing shipped');
SELECT api.release_customer('ACME');
SELECT is(api.complete_shipment((SELECT id FROM t_shipment), 'me'), 1::bigint, 'completed as shipment 1');
SELECT is((SELECT quantity FROM report.stock_on_hand WHERE product = 'CABLE' AND location = 'MAIN'), 94::numeric,
          'the cables left stock: 100 received, 6 shipped');
SELECT is((SELECT d.kind || ' ' || d.reference || ' to ' || c.code FROM ar.stock_documents d JOIN ar.customers c ON c.id = d.customer_id
           WHERE d.id = (SELECT document_id FROM ar.shipments WHERE id = (SELECT id FROM t_shipment))),
          'sale shipment 1 (order 1) to ACME', 'on a sale stock document to the customer');
SELECT throws_ok($$SELECT api.complete_shipment((SELECT id FROM t_shipment), 'me')$$,
                 'PG423', format('shipment %s is completed as number 1', (SELECT id FROM t_shipment)), 'a shipment completes once');
SELECT throws_ok($$SELECT api.delete_shipment((SELECT id FROM t_shipment))$$,
                 'PG423', format('shipment %s is completed as number 1: it is never deleted', (SELECT id FROM t_shipment)),
                 'a completed shipment is never deleted');

-- The TVs: picked from stock at MAIN while a draft, unavailable to other shipments, then sold.
SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_order), 'date', '2026-03-03', 'lines', '[{"line": 1}]'::jsonb));
CREATE TEMPORARY TABLE t_tv AS SELECT max(id) AS id FROM ar.shipments;
SELECT api.create_order('{"customer": "DEL", "location": "MAIN", "date": "2026-03-02"}');
CREATE TEMPORARY TABLE t_other AS SELECT max(id) AS id FROM ar.sales_orders;
SELECT api.add_order_line((SELECT id FROM t_other), '{"product": "TV", "quantity": 1}');
SELECT api.book_order((SELECT id FROM t_other), '[]', 'me');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_other), 'lines', '[{"line": 1, "serials": ["S1"]}]'::jsonb))$$,
                 'PG422', 'serial S1 of TV cannot be shipped from MAIN: it is on another draft shipment', 'a serial on a draft shipment is taken');
SELECT is(api.complete_shipment((SELECT id FROM t_tv)), 2::bigint, 'the TVs ship as shipment 2');
SELECT is((SELECT array_agg(ss.serial ORDER BY ss.serial) FROM ar.shipment_line_serials ss JOIN ar.shipment_lines sl ON sl.id = ss.line_id
           WHERE sl.shipment_id = (SELECT id FROM t_tv)), ARRAY['S1', 'S2'], 'the TVs'' serials were picked from stock at MAIN');
SELECT is((SELECT string_agg(status || ' ' || customer, ', ' ORDER BY serial) FROM report.serial_numbers WHERE serial IN ('S1', 'S2')),
          'sold ACME, sold ACME', 'the shipped serials are sold to the customer');
SELECT is((SELECT sum(h.quantity) FROM ar.stock_on_hand h WHERE h.product_id = (SELECT id FROM ar.products WHERE code = 'TV')
           AND h.location_id = (SELECT id FROM ar.locations WHERE code = 'MAIN')), 0::numeric, 'no TV is left in stock at MAIN');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_other), 'lines', '[{"line": 1, "serials": ["S1"]}]'::jsonb))$$,
                 'PG422', 'serial S1 of TV cannot be shipped from MAIN: already sold (shipment 2 (order 1) to ACME on 2026-03-03)',
                 'a serial ships once');
SELECT lives_ok($$SELECT api.end_order((SELECT id FROM t_other), 'cancel')$$, 'an order nothing shipped from is cancelled');
SELECT throws_ok($$SELECT api.end_order((SELECT id FROM t_order), 'cancel')$$,
                 'PG422', format('sales order %s (number 1) has shipped or invoiced lines, so it cannot be cancelled', (SELECT id FROM t_order)), 'an order that shipped is not cancelled');
SELECT is(pg_temp.hint_of($$SELECT api.end_order((SELECT id FROM t_order), 'cancel')$$),
          'Close it instead: what is open is released, what was shipped is still invoiced.', 'the refusal says to close it instead');
SELECT results_eq($$SELECT (l ->> 'line')::integer, (l ->> 'shipped')::numeric, (l ->> 'open')::numeric
                    FROM jsonb_array_elements(api.get_order((SELECT id FROM t_order)) -> 'lines') l ORDER BY 1$$,
                  $$VALUES (1, 2::numeric, 0::numeric), (2, 6, 4)$$,
                  'the order shows both TVs shipped, and 6 cables shipped with 4 open');

-- Generate Invoices, term by term. ACME is invoiced Immediately; the others each have an order
-- of two cable lines (3 and 2) or one (1), whose first line shipped on 2026-03-03.
CREATE FUNCTION pg_temp.ship(p_customer text, p_quantities numeric[]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_order bigint := (api.create_order(jsonb_build_object('customer', p_customer, 'location', 'MAIN', 'date', '2026-03-01')) ->> 'order_id')::bigint;
    q numeric;
BEGIN
    FOREACH q IN ARRAY p_quantities LOOP
        PERFORM api.add_order_line(v_order, jsonb_build_object('product', 'CABLE', 'quantity', q));
    END LOOP;
    PERFORM api.book_order(v_order, '[]', 'me');
    PERFORM api.complete_shipment((api.create_shipment(jsonb_build_object('order', v_order, 'date', '2026-03-03',
                                                                          'lines', '[{"line": 1}]'::jsonb)) ->> 'shipment_id')::bigint);
    RETURN v_order;
END
$$;
CREATE TEMPORARY TABLE t_orders AS
SELECT c.customer, pg_temp.ship(c.customer, c.quantities) AS id
FROM (VALUES ('DEL', ARRAY[3, 2]::numeric[]), ('WHOLE', ARRAY[3, 2]::numeric[]), ('NEVER', ARRAY[1]::numeric[]),
             ('SCHED', ARRAY[1]::numeric[]), ('NOINV', ARRAY[1]::numeric[])) c(customer, quantities);
SELECT api.hold_customer('NOINV', false, false, true, false);
SELECT is(api.set_schedule_dates('MONTHLY', ARRAY['2026-03-31'::date, '2026-04-30']), 2, 'MONTHLY invoices on the last days of March and April');
SELECT throws_ok($$SELECT api.set_schedule_dates('MONTHLY', ARRAY[NULL::date])$$,
                 'PG400', 'the schedule''s dates must be dates, with none left empty', 'a schedule''s dates are dates');
SELECT results_eq($$SELECT customer, invoice_terms, lines, skipped_because IS NOT NULL FROM api.preview_invoice_generation('2026-03-30') ORDER BY customer$$,
                  $$VALUES ('ACME'::text, 'immediate'::text, 3, false), ('DEL', 'after_delivery', 1, false), ('NOINV', 'after_delivery', 1, true)$$,
                  'the preview on the 30th: ACME''s shipped TVs and cables and its 4 open cables, the 3 cables DEL was shipped, NOINV skipped; '
                  'WHOLE, NEVER and SCHED nothing');
SELECT is((SELECT skipped_because FROM api.preview_invoice_generation('2026-03-30') WHERE customer = 'NOINV'),
          'customer NOINV is on hold for sales invoices', 'the preview says why a customer is skipped');
SELECT is((SELECT total FROM api.preview_invoice_generation('2026-03-30') WHERE customer = 'DEL'), 36.26::numeric,
          'the preview has the amounts: 3 x 9.99 with 21% tax');
CREATE TEMPORARY TABLE t_made AS SELECT * FROM api.generate_invoices('2026-03-30');
SELECT results_eq($$SELECT customer, order_number, lines, total FROM t_made ORDER BY customer$$,
                  $$VALUES ('ACME'::text, 1::bigint, 3, 1330.88::numeric), ('DEL', 3, 1, 36.26)$$,
                  'one draft per order: ACME''s whole order, DEL''s partial shipment');
SELECT is_empty($$SELECT * FROM api.generate_invoices('2026-03-30')$$, 'running it again makes nothing twice');
SELECT is((SELECT count(*)::integer FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id WHERE c.code = 'NOINV'), 0,
          'the customer on hold for sales invoices got no invoice');
SELECT results_eq($$SELECT l.quantity, l.shipment_line_id IS NOT NULL FROM ar.invoice_lines l
                    WHERE l.invoice_id = (SELECT invoice_id FROM t_made WHERE customer = 'DEL')$$,
                  $$VALUES (3::numeric, true)$$, 'after delivery: the shipped part of the order, from its shipment');
SELECT results_eq($$SELECT p.code, l.quantity, l.shipment_line_id IS NOT NULL FROM ar.invoice_lines l JOIN ar.products p ON p.id = l.product_id
                    WHERE l.invoice_id = (SELECT invoice_id FROM t_made WHERE customer = 'ACME') ORDER BY l.line_no$$,
                  $$VALUES ('TV'::text, 2::numeric, true), ('CABLE', 6, true), ('CABLE', 4, false)$$,
                  'immediate: what shipped from its shipments, and the booked cables not shipped yet');
SELECT results_eq($$SELECT customer, skipped_because FROM api.preview_invoice_generation('2026-03-31') ORDER BY customer$$,
                  $$VALUES ('NOINV'::text, 'customer NOINV is on hold for sales invoices'::text), ('SCHED', NULL)$$,
                  'on the schedule''s date SCHED is due; NOINV still waits');
SELECT results_eq($$SELECT customer, lines FROM api.generate_invoices('2026-03-31')$$, $$VALUES ('SCHED'::text, 1)$$,
                  'customer schedule after delivery: invoiced on the schedule''s date');
SELECT is_empty($$SELECT * FROM api.preview_invoice_generation('2026-04-01') WHERE customer = 'WHOLE'$$,
                'after order delivered: nothing while a line of the order is open');
SELECT api.complete_shipment((api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_orders WHERE customer = 'WHOLE'),
                                                                     'date', '2026-04-01')) ->> 'shipment_id')::bigint);
SELECT is((SELECT lines FROM api.preview_invoice_generation('2026-04-01') WHERE customer = 'WHOLE'), 2,
          'after order delivered: both shipments, once every line has shipped');
SELECT is_empty($$SELECT * FROM api.preview_invoice_generation('2026-12-31') WHERE customer = 'NEVER'$$, 'do not invoice: never');
SELECT is((SELECT string_agg(customer || ' ' || trim_scale(quantity), ', ') FROM report.uninvoiced_shipments WHERE customer IN ('NEVER', 'DEL', 'ACME')),
          'NEVER 1', 'report.uninvoiced_shipments lists what no invoice carries');

-- The lines Generate Invoices made.
CREATE TEMPORARY TABLE t_line AS
SELECT l.id, l.invoice_id, l.line_no FROM ar.invoice_lines l
WHERE l.invoice_id = (SELECT invoice_id FROM t_made WHERE customer = 'ACME') AND l.product_id = (SELECT id FROM ar.products WHERE code = 'TV');
SELECT is((SELECT array_agg(serial ORDER BY serial) FROM ar.invoice_line_serials WHERE line_id = (SELECT id FROM t_line)), ARRAY['S1', 'S2'],
          'the TV line carries the two shipped serials');
SELECT throws_ok($$SELECT api.update_invoice_line((SELECT invoice_id FROM t_line), (SELECT line_no FROM t_line), '{"quantity": 1}')$$,
                 'PG422', format('line %s of invoice %s invoices a sales order line: it is changed on the order, not here',
                                 (SELECT line_no FROM t_line), (SELECT invoice_id FROM t_line)),
                 'a line of an order is changed on the order, not on the invoice');
SELECT throws_ok($$SELECT api.set_line_serials((SELECT invoice_id FROM t_line), (SELECT line_no FROM t_line), '["S9"]')$$,
                 'PG422', format('line %s of invoice %s invoices a shipment: its serials are the ones shipped',
                                 (SELECT line_no FROM t_line), (SELECT invoice_id FROM t_line)),
                 'a shipment''s serials are not replaced on its invoice');
SELECT results_eq($$SELECT short_stock, unavailable_serials FROM api.posting_facts(ARRAY[(SELECT invoice_id FROM t_line)], false)$$,
                  $$VALUES ('[]'::jsonb, '[]'::jsonb)$$,
                  'the shipped TVs are neither short nor unavailable to their invoice: their stock left with the shipment');
SELECT throws_ok($$INSERT INTO ar.invoice_lines (invoice_id, line_no, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent,
                                                 net_amount, tax_amount, order_line_id, shipment_line_id)
                   SELECT invoice_id, 99, product_id, location_id, quantity, unit_price, tax_rate_id, tax_percent, net_amount, tax_amount,
                          order_line_id, shipment_line_id FROM ar.invoice_lines WHERE id = (SELECT id FROM t_line)$$,
                 '23505', 'duplicate key value violates unique constraint "invoice_lines_shipment_line_key"',
                 'a shipment line is invoiced by one invoice line only');
SELECT is((SELECT number FROM api.post_invoices(ARRAY[(SELECT invoice_id FROM t_made WHERE customer = 'DEL')], '{}', 'tap', 'single', gen_random_uuid())),
          1::bigint, 'DEL''s generated invoice posts');
SELECT is((SELECT quantity FROM report.stock_on_hand WHERE product = 'CABLE' AND location = 'MAIN'), 83::numeric,
          'its cables left stock once, with the shipments: 100 less 6 + 3 + 3 + 1 + 1 + 1 + 2 shipped');
SELECT is_empty($$SELECT * FROM report.stock_discrepancies$$, 'stock still recounts exactly');

-- Found by the tests above: an order line named twice on a shipment, booking for a customer made
-- inactive, and exposure while a generated invoice is still a draft.
SELECT api.create_customer('{"code": "LATE", "name": "Late", "price_list": "SALES", "payment_terms": "NET30", "invoice_terms": "after_delivery"}');
CREATE TEMPORARY TABLE t_late AS SELECT (api.create_order('{"customer": "LATE", "location": "MAIN", "date": "2026-03-01"}') ->> 'order_id')::bigint AS id;
SELECT api.add_order_line((SELECT id FROM t_late), '{"product": "CABLE", "quantity": 4}');
SELECT api.book_order((SELECT id FROM t_late), '[]', 'me');
SELECT throws_ok($$SELECT api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_late),
                                                                 'lines', '[{"line": 1, "quantity": 1}, {"line": 1, "quantity": 1}]'::jsonb))$$,
                 'PG400', 'line 1 of the order appears twice on the shipment', 'an order line is named once on a shipment');
SELECT api.complete_shipment((api.create_shipment(jsonb_build_object('order', (SELECT id FROM t_late), 'date', '2026-03-03')) ->> 'shipment_id')::bigint);
SELECT is((SELECT shipped_not_invoiced FROM report.customer_exposure WHERE customer = 'LATE'), 48.35::numeric,
          'shipped and not invoiced: 4 cables with tax');
SELECT api.generate_invoices('2026-03-03');
SELECT is((SELECT shipped_not_invoiced FROM report.customer_exposure WHERE customer = 'LATE'), 48.35::numeric,
          'still owed-to-be while its invoice is a draft: exposure does not drop when Generate Invoices runs');
CREATE TEMPORARY TABLE t_gone AS SELECT (api.create_order('{"customer": "LATE", "location": "MAIN"}') ->> 'order_id')::bigint AS id;
SELECT api.add_order_line((SELECT id FROM t_gone), '{"product": "CABLE", "quantity": 1}');
SELECT api.update_customer('LATE', (SELECT version FROM ar.customers WHERE code = 'LATE'), '{"active": false}');
SELECT throws_ok($$SELECT api.book_order((SELECT id FROM t_gone), '[]', 'me')$$, 'PG422', 'customer LATE is inactive',
                 'an order of a customer made inactive since is not booked');

-- One credit exposure: what the alerts count is what the posting facts read, under either setting
-- (of a draft without order lines, of which nothing is taken out). DEL owes its posted invoice
-- (36.26) and has 2 cables booked, not shipped (24.18); a limit of 1 makes the alert show it.
SELECT api.update_customer('DEL', (SELECT version FROM ar.customers WHERE code = 'DEL'), '{"credit_limit": 1}');
CREATE TEMPORARY TABLE t_manual AS
SELECT (api.create_invoice('{"customer": "DEL", "date": "2026-03-05", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id;
CREATE FUNCTION pg_temp.exposures() RETURNS TABLE (alert text, open_balance numeric, counted numeric) LANGUAGE sql AS $$
    SELECT (SELECT a.message FROM api.customer_alerts('DEL', 'sales_invoice') a WHERE a.alert = 'over_credit_limit'),
           (SELECT f.open_balance FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_manual)]) f),
           (SELECT e.counted_by_credit_rules FROM report.customer_exposure e WHERE e.customer = 'DEL')
$$;
SELECT results_eq($$SELECT * FROM pg_temp.exposures()$$,
                  $$VALUES ('Customer DEL has reached its credit limit: balance 36.26 EUR is over the limit of 1.00 EUR.'::text, 36.26::numeric,
                            36.26::numeric)$$,
                  'credit_exposure = balance: the alert, the posting facts and the exposure report count the balance alike');
SELECT api.set_setting('credit_exposure', '"full"');
SELECT results_eq($$SELECT * FROM pg_temp.exposures()$$,
                  $$VALUES ('Customer DEL has reached its credit limit: exposure 60.44 EUR is over the limit of 1.00 EUR.'::text, 60.44::numeric,
                            60.44::numeric)$$,
                  'credit_exposure = full: the alert, the posting facts and the exposure report count the booked cables alike');
SELECT is((SELECT open_balance FROM ar.invoice_facts(ARRAY[(SELECT i.id FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
                                                            WHERE c.code = 'LATE' AND i.status = 'draft')])),
          0::numeric, 'the facts of a generated draft leave out what it carries of the order: LATE''s shipped cables are this posting''s own');
SELECT api.set_setting('credit_exposure', '"balance"');
SELECT api.delete_invoice((SELECT id FROM t_manual));

-- Reports and rights.
SELECT results_eq($$SELECT customer, line_no, open, open_amount FROM report.open_orders WHERE customer IN ('ACME', 'DEL') ORDER BY customer, line_no$$,
                  $$VALUES ('DEL'::text, 2, 2::numeric, 24.18::numeric)$$,
                  'report.open_orders: DEL''s second line is open; ACME''s order is all invoiced');
SELECT is((SELECT lines FROM report.invoicing_due WHERE customer = 'NOINV'), 1, 'report.invoicing_due lists what a run today would make');
SET ROLE postgate_reporting;
SELECT results_eq($$SELECT balance, booked_not_shipped, shipped_not_invoiced FROM report.customer_exposure WHERE customer = 'DEL'$$,
                  $$VALUES (36.26::numeric, 24.18::numeric, 0::numeric)$$,
                  'the reporting group reads the exposure: DEL owes its posted invoice and has 2 cables booked, not shipped');
RESET ROLE;
SELECT ok(NOT has_function_privilege('postgate_client', 'api.book_order(bigint, jsonb, text)', 'EXECUTE'),
          'other applications cannot book an order past the service''s check');
SELECT ok(NOT has_function_privilege('postgate_client', 'api.order_booking_facts(bigint)', 'EXECUTE'),
          'other applications cannot take the booking locks');
SELECT ok(has_function_privilege('postgate_service', 'api.book_order(bigint, jsonb, text)', 'EXECUTE')
          AND has_function_privilege('postgate_service', 'api.order_booking_facts(bigint)', 'EXECUTE'), 'the service books orders');
SELECT ok(has_function_privilege('postgate_client', 'api.create_shipment(jsonb)', 'EXECUTE')
          AND has_function_privilege('postgate_client', 'api.generate_invoices(date)', 'EXECUTE'),
          'other applications ship and generate drafts');

SELECT * FROM finish();
ROLLBACK;

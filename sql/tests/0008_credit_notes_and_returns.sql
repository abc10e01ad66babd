-- Credit notes and returns: drafting (every refusal), amounts that give back exactly what was
-- invoiced, the posting function's own guards, goods and serials back, customer items ended,
-- allocations and refunds; kits with a serial-tracked component; a sold serial is not received;
-- a draft without a conversion rate is one blocked draft; privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(93);

\ir fixtures/company.sql
\ir fixtures/stock.sql
\ir fixtures/customers.sql
\ir fixtures/reporting_login.sql

SELECT api.save_location('BACK', 'Back store');
SELECT api.save_product('{"code": "KIT", "name": "TV with cables", "is_buildup": true, "customer_item_type": "TVTYPE", "default_tax_rate": "VAT"}');
SELECT api.set_buildup_components('KIT', '[{"product": "TV", "quantity": 1}, {"product": "CABLE", "quantity": 2}]');
SELECT api.set_product_price('SALES', 'KIT', 600, '2026-01-01');
SELECT api.save_product('{"code": "CARPET", "name": "Carpet", "serial_tracking": "batch", "default_tax_rate": "VAT"}');
SELECT api.set_product_price('SALES', 'CARPET', 20, '2026-01-01');
SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "TV", "quantity": 3, "serials": ["S3", "S4", "S5"]},
    {"product": "CABLE", "quantity": 20}, {"product": "CARPET", "quantity": 100, "serials": [{"serial": "ROLL-1", "quantity": 100}]}]}');

-- A kit whose component tracks unique serials.
CREATE TEMPORARY TABLE t_kit AS SELECT (api.create_invoice('{"customer": "ACME", "date": "2026-03-01", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id;
SELECT api.add_invoice_line((SELECT id FROM t_kit), '{"product": "KIT", "quantity": 1}');
SELECT is((SELECT missing_serials FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_kit)])), '[{"line": 1, "missing": 1, "product": "TV"}]'::jsonb,
          'a kit''s line misses the serial of its serial-tracked component');
SELECT throws_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_kit)], '{}', 'tap', 'single', gen_random_uuid())$$,
                 'PG422', format('draft %s: serials are missing on [{"line": 1, "missing": 1, "product": "TV"}]', (SELECT id FROM t_kit)),
                 'the posting refuses a kit without its component''s serial');
SELECT throws_ok($$SELECT api.set_line_serials((SELECT id FROM t_kit), 1, '["S3", "S4"]')$$,
                 'PG422', 'the serials of TV cover 2, more than the 1 the line''s kits take',
                 'a kit''s line takes no more serials of a component than its kits hold');
SELECT throws_ok($$SELECT api.set_line_serials((SELECT id FROM t_kit), 1, '[{"serial": "S3", "product": "CABLE"}]')$$,
                 'PG400', 'CABLE is not a serial-tracked component of KIT',
                 'a serial is named for a serial-tracked component only');
SELECT lives_ok($$SELECT api.set_line_serials((SELECT id FROM t_kit), 1, '["S3"]')$$, 'the kit''s TV is picked from stock');
SELECT is((SELECT missing_serials FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_kit)])), '[]'::jsonb, 'nothing is missing now');
SELECT is((SELECT serial_lines FROM api.list_unposted() WHERE invoice_id = (SELECT id FROM t_kit)), 1,
          'a kit with a serial-tracked component counts as a serial line');
SELECT lives_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_kit)], '{}', 'tap', 'single', gen_random_uuid())$$,
                'the kit posts');
SELECT results_eq($$SELECT status, customer FROM report.serial_numbers WHERE serial = 'S3'$$, $$VALUES ('sold', 'ACME')$$,
                  'the kit''s TV left stock, sold to the customer');
SELECT results_eq($$SELECT product, quantity FROM report.stock_on_hand WHERE location = 'MAIN' ORDER BY product$$,
                  $$VALUES ('CABLE', 23.0000::numeric), ('CARPET', 100.0000), ('TV', 4.0000)$$,
                  'its cables and its TV left stock');

-- The invoice credited below: two TVs, three cables, ten metres of carpet.
CREATE TEMPORARY TABLE t_invoice AS
    SELECT (api.create_invoice('{"customer": "ACME", "date": "2026-03-02", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id;
SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "TV", "quantity": 2, "serials": ["S1", "S2"]}');
SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CABLE", "quantity": 3}');
SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CARPET", "quantity": 10, "serials": [{"serial": "ROLL-1", "quantity": 10}]}');
SELECT is((SELECT number FROM api.post_invoices(ARRAY[(SELECT id FROM t_invoice)], '{}', 'tap', 'single', gen_random_uuid())), 2::bigint,
          'the invoice is posted as number 2');
SELECT is((SELECT total FROM ar.invoices WHERE id = (SELECT id FROM t_invoice)), 1488.26::numeric(16,2), 'its total');

-- A sold unit is not received again.
SELECT throws_ok($$SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "TV", "quantity": 1, "serials": ["S1"]}]}')$$,
                 'PG422', 'serial S1 of TV was sold on invoice 2 to ACME on 2026-03-02: a sold unit is not received again',
                 'a receipt of a sold unique serial is refused, naming the invoice');
SELECT throws_ok($$SELECT api.post_receipt('{"location": "MAIN", "lines": [{"product": "TV", "quantity": 1, "serials": ["S3"]}]}')$$,
                 'PG422', 'serial S3 of TV was sold on invoice 1 to ACME on 2026-03-01: a sold unit is not received again',
                 'also a kit''s component');

-- Drafting refusals.
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 99}')$$, 'PG404', 'there is no invoice 99', 'an unknown invoice');
SELECT throws_ok($$SELECT api.create_credit_note('{"reason": "x"}')$$, 'PG400', 'invoice_number is required', 'no invoice named');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "colour": "red"}')$$, 'PG400', 'colour is not a field of a credit note',
                 'an unknown field');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "date": "2026-03-01"}')$$,
                 'PG422', 'a credit note of invoice 2 cannot be dated 2026-03-01, before the invoice (2026-03-02)', 'a date before the invoice');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 9}]}')$$,
                 'PG404', 'invoice 2 has no line 9', 'a line the invoice does not have');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 2, "quantity": 4}]}')$$,
                 'PG422', 'invoice line 2 (CABLE): 4 credited, but it has 3 left to credit', 'more than was invoiced');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 0.5}]}')$$,
                 'PG400', 'TV has a serial per unit: sell whole units, not 0.5', 'a unique-serial product comes back in whole units');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 1}]}')$$,
                 'PG400', 'invoice line 1 sold serials of TV: name the ones that come back', 'part of a serial line names its serials');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 1, "serials": ["S5"]}]}')$$,
                 'PG422', 'serial S5 of TV was not sold on line 1 of invoice 2', 'a serial this invoice did not sell');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 1, "serials": ["S1", "S2"]}]}')$$,
                 'PG422', 'invoice line 1 (TV): 1 come back, and their serials name 2', 'the serials are what comes back');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 3, "quantity": 5, "serials": [{"serial": "ROLL-1", "quantity": 11}]}]}')$$,
                 'PG422', 'invoice line 3 (CARPET): serial ROLL-1: 11 cannot come back, 10 was sold and 0 is back already', 'a batch quantity beyond the line');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 2}, {"line": 2}]}')$$,
                 'PG400', 'invoice line 2 is named twice on the credit note', 'an invoice line twice');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "amounts": [{"line": 2, "amount": 0}]}')$$,
                 'PG400', 'the amount credited on line 2 must be greater than zero, not 0.00', 'a price correction of nothing');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "amounts": [{"line": 2, "amount": 1.005}]}')$$,
                 'PG400', 'amounts[1].amount: 1.005 has 3 decimals, and at most 2 are kept', 'a price correction with too many decimals');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "amounts": [{"line": 2, "amount": 31}]}')$$,
                 'PG422', 'invoice line 2 (CABLE): 31.00 credited, but it has 29.97 left to credit', 'a price correction above the line');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "return": false, "lines": [{"line": 1, "quantity": 1, "serials": ["S1"]}]}')$$,
                 'PG400', 'invoice line 1: serials are named only for goods that come back', 'serials of goods the customer keeps');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2, "location": "NOWHERE"}')$$,
                 'PG404', 'location: there is no location ''NOWHERE''', 'an unknown return location');
SELECT is((SELECT count(*)::integer FROM ar.credit_notes), 0, 'every refusal left nothing behind');

-- A partial return: one TV back at BACK, one cable back.
CREATE TEMPORARY TABLE t_first AS SELECT (api.create_credit_note(
    '{"invoice_number": 2, "date": "2026-03-10", "reason": "broken", "location": "BACK",
      "lines": [{"line": 1, "quantity": 1, "serials": ["S2"]}, {"line": 2, "quantity": 1}]}') ->> 'credit_note_id')::bigint AS id;
SELECT results_eq($$SELECT kind, quantity, net_amount, tax_amount FROM ar.credit_note_lines WHERE credit_note_id = (SELECT id FROM t_first) ORDER BY line_no$$,
                  $$VALUES ('return', 1.0000::numeric(14,4), 500.00::numeric(16,2), 105.00::numeric(16,2)), ('return', 1.0000, 9.99, 2.10)$$,
                  'each line takes its share of what the invoice line has left');
SELECT results_eq($$SELECT status, number, total FROM ar.credit_notes WHERE id = (SELECT id FROM t_first)$$,
                  $$VALUES ('draft', NULL::bigint, 617.09::numeric(16,2))$$, 'a draft with its total');
SELECT is((SELECT problems FROM ar.credit_note_facts(ARRAY[(SELECT id FROM t_first)])), '[]'::jsonb, 'nothing stands in its way');
SELECT is(api.post_credit_note((SELECT id FROM t_first), '[]', 'tap', gen_random_uuid()), 1::bigint, 'the first credit note is number 1');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'ACME'), 1488.26 + 726 - 617.09, 'the balance goes down by its total');
SELECT results_eq($$SELECT amount, amount_customer FROM ar.ledger_entries WHERE document_kind = 'credit_note'$$,
                  $$VALUES (-617.09::numeric(16,4), -617.09::numeric(16,4))$$, 'one ledger entry, the negative of what it credits');
SELECT results_eq($$SELECT credited, open_amount FROM report.invoices WHERE number = 2$$, $$VALUES (617.09::numeric(16,2), 871.17::numeric(16,2))$$,
                  'the credit is allocated to what the invoice owed');
SELECT results_eq($$SELECT status, location FROM report.serial_numbers WHERE serial = 'S2'$$, $$VALUES ('in stock', 'BACK')$$,
                  'the returned TV is in stock where it came back');
SELECT results_eq($$SELECT document_kind, reference, location FROM report.serial_history WHERE serial = 'S2' ORDER BY created_at DESC, document_id DESC LIMIT 1$$,
                  $$VALUES ('return', 'credit note 1 (invoice 2)', 'BACK')$$, 'its history shows the return with the credit note');
SELECT results_eq($$SELECT quantity FROM report.stock_on_hand WHERE product = 'CABLE' AND location = 'BACK'$$, $$VALUES (1.0000::numeric)$$,
                  'the cable is back on hand');
SELECT results_eq($$SELECT serial, status, warranty_status, credit_note_number FROM report.customer_items WHERE invoice_number = 2 ORDER BY serial$$,
                  $$VALUES ('S1', 'active', 'in warranty', NULL::bigint), ('S2', 'returned', 'returned', 1::bigint)$$,
                  'the returned TV''s customer item ends; the other stays');
SELECT is((SELECT count(*)::integer FROM report.installed_base WHERE invoice_number = 2), 1, 'the installed base leaves it out');
SELECT is_empty($$SELECT * FROM report.stock_discrepancies$$, 'stock still recounts exactly');

-- Posted credit notes are final.
SELECT throws_ok($$UPDATE ar.credit_notes SET reason = 'x' WHERE id = (SELECT id FROM t_first)$$,
                 'PG423', 'credit note 1 is posted: it is never changed or deleted', 'a posted credit note is never changed');
SELECT throws_ok($$DELETE FROM ar.credit_note_lines WHERE credit_note_id = (SELECT id FROM t_first)$$,
                 'PG423', 'the lines of a posted credit note are never changed or deleted', 'nor its lines');
SELECT throws_ok($$SELECT api.delete_credit_note((SELECT id FROM t_first))$$,
                 'PG423', format('credit note %s is posted as number 1: it can no longer change', (SELECT id FROM t_first)), 'nor deleted');
SELECT throws_ok($$SELECT api.post_credit_note((SELECT id FROM t_first), '[]', 'tap', gen_random_uuid())$$,
                 'PG423', 'credit note 1 is posted already', 'a credit note is posted once');

-- Two drafts for the same TV: the second is refused at posting, by the same checks as the preview.
CREATE TEMPORARY TABLE t_twins AS
    SELECT (api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 1, "serials": ["S1"]}]}') ->> 'credit_note_id')::bigint AS id
    UNION ALL
    SELECT (api.create_credit_note('{"invoice_number": 2, "lines": [{"line": 1, "quantity": 1, "serials": ["S1"]}]}') ->> 'credit_note_id')::bigint;
SELECT lives_ok($$SELECT api.post_credit_note((SELECT min(id) FROM t_twins), '[]', 'tap', gen_random_uuid())$$, 'the first twin posts');
SELECT is((SELECT problems FROM ar.credit_note_facts(ARRAY[(SELECT max(id) FROM t_twins)])),
          '[{"code": "over_quantity", "left": 0, "line": 1, "product": "TV", "quantity": 1, "invoice_line": 1},
            {"code": "serial_returned", "line": 1, "sold": 1, "serial": "S1", "product": "TV", "location": "MAIN", "quantity": 1, "returned": 1,
             "invoice_line": 1}]'::jsonb,
          'the second twin''s facts say what stands in its way');
SELECT throws_ok($$SELECT api.post_credit_note((SELECT max(id) FROM t_twins), '[]', 'tap', gen_random_uuid())$$,
                 'PG422', format('credit note draft %s: invoice line 1 (TV): 1 credited, but it has 0 left to credit', (SELECT max(id) FROM t_twins)),
                 'the posting function refuses it, whatever the caller decided');
SELECT lives_ok($$SELECT api.delete_credit_note((SELECT max(id) FROM t_twins))$$, 'a draft is deleted');

-- A price correction: an amount off the cables, with their tax.
CREATE TEMPORARY TABLE t_price AS SELECT (api.create_credit_note('{"invoice_number": 2, "amounts": [{"line": 2, "amount": 10}]}') ->> 'credit_note_id')::bigint AS id;
SELECT results_eq($$SELECT kind, quantity, net_amount, tax_amount FROM ar.credit_note_lines WHERE credit_note_id = (SELECT id FROM t_price)$$,
                  $$VALUES ('price', 0::numeric(14,4), 10.00::numeric(16,2), 2.10::numeric(16,2))$$, 'the amount with the line''s tax');
SELECT lives_ok($$SELECT api.post_credit_note((SELECT id FROM t_price), '[]', 'tap', gen_random_uuid())$$, 'it posts');
SELECT is((SELECT count(*)::integer FROM ar.stock_documents WHERE credit_note_id = (SELECT id FROM t_price)), 0, 'no goods move');

-- The rest of the invoice: what is left, to the cent.
CREATE TEMPORARY TABLE t_rest AS SELECT (api.create_credit_note('{"invoice_number": 2}') ->> 'credit_note_id')::bigint AS id;
SELECT results_eq($$SELECT il.line_no, cl.quantity, cl.net_amount + cl.tax_amount FROM ar.credit_note_lines cl JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id
                    WHERE cl.credit_note_id = (SELECT id FROM t_rest) ORDER BY il.line_no$$,
                  $$VALUES (2, 2.0000::numeric(14,4), 12.07::numeric), (3, 10.0000, 242.00)$$,
                  'the cables left (less the price correction) and the carpet, with its batch');
SELECT is((SELECT string_agg(s.serial || '=' || trim_scale(s.quantity), ',') FROM ar.credit_note_line_serials s JOIN ar.credit_note_lines l ON l.id = s.line_id
           WHERE l.credit_note_id = (SELECT id FROM t_rest)), 'ROLL-1=10', 'the batch serial comes back with its quantity');
SELECT lives_ok($$SELECT api.post_credit_note((SELECT id FROM t_rest), '[]', 'tap', gen_random_uuid())$$, 'it posts');
SELECT results_eq($$SELECT credited, open_amount FROM report.invoices WHERE number = 2$$, $$VALUES (1488.26::numeric(16,2), 0.00::numeric(16,2))$$,
                  'the invoice is credited in full: it owes exactly nothing');
SELECT is((SELECT sum(amount_customer) FROM ar.ledger_entries WHERE document_id IN (SELECT id FROM ar.invoices WHERE number = 2) AND document_kind = 'invoice')
          + (SELECT sum(amount_customer) FROM ar.ledger_entries WHERE document_kind = 'credit_note'), 0::numeric,
          'its ledger entries net to zero');
SELECT throws_ok($$SELECT api.create_credit_note('{"invoice_number": 2}')$$, 'PG422', 'invoice 2 is credited in full already',
                 'nothing is left to credit');
SELECT results_eq($$SELECT number FROM ar.credit_notes WHERE status = 'posted' ORDER BY number$$, $$VALUES (1::bigint), (2), (3), (4)$$,
                  'credit notes are numbered without gaps');

-- A kit comes back as its components.
CREATE TEMPORARY TABLE t_kit_back AS SELECT (api.create_credit_note('{"invoice_number": 1}') ->> 'credit_note_id')::bigint AS id;
SELECT lives_ok($$SELECT api.post_credit_note((SELECT id FROM t_kit_back), '[]', 'tap', gen_random_uuid())$$, 'the kit''s credit note posts');
SELECT results_eq($$SELECT status, location FROM report.serial_numbers WHERE serial = 'S3'$$, $$VALUES ('in stock', 'MAIN')$$,
                  'its TV is back in stock');
SELECT results_eq($$SELECT quantity FROM report.stock_on_hand WHERE product = 'CABLE' AND location = 'MAIN'$$, $$VALUES (24.0000::numeric)$$,
                  'and its two cables');
SELECT is((SELECT count(*)::integer FROM report.installed_base WHERE invoice_number = 1), 0, 'the kit''s customer item ended');

-- Credit left over becomes customer credit: it can be refunded, or allocated to another invoice.
SELECT ok(api.receive_payment('{"customer": "FREE", "amount": 100}') > 0, 'a customer pays in advance');
SELECT throws_ok($$SELECT api.record_refund('{"customer": "FREE", "amount": 100.01}')$$,
                 'PG422', 'customer FREE has 100.00 EUR of credit, and a refund of 100.01 EUR would exceed it',
                 'a refund is at most the customer''s credit');
SELECT ok(api.record_refund('{"customer": "FREE", "amount": 40}') > 0, 'part of it is refunded');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'FREE'), -60.00::numeric(16,2), 'the refund raises the balance');
SELECT throws_ok($$SELECT api.record_refund('{"customer": "ACME", "amount": 1, "credit_note_number": 2}')$$,
                 'PG422', 'credit note 2 has 0.00 EUR left to refund, not 1', 'a credit note refunds only what it has not allocated');
SELECT throws_ok($$SELECT api.apply_credit_note(2, '[{"invoice_number": 1}]')$$,
                 'PG422', 'credit note 2 has 0.00 left and invoice 1 owes 0.00; 0.00 cannot be allocated', 'nor allocates it twice');

-- A paid invoice credited: the credit is the customer's, to refund or to allocate.
CREATE TEMPORARY TABLE t_paid AS SELECT (api.create_invoice('{"customer": "ACME", "date": "2026-03-03", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id;
SELECT api.add_invoice_line((SELECT id FROM t_paid), '{"product": "CABLE", "quantity": 1}');
SELECT is((SELECT number FROM api.post_invoices(ARRAY[(SELECT id FROM t_paid)], '{}', 'tap', 'single', gen_random_uuid())), 3::bigint, 'invoice 3');
SELECT ok(api.receive_payment('{"customer": "ACME", "amount": 12.09, "allocations": [{"invoice_number": 3}]}') > 0, 'paid in full');
SELECT lives_ok($$SELECT api.post_credit_note((api.create_credit_note('{"invoice_number": 3}') ->> 'credit_note_id')::bigint, '[]', 'tap',
                                              gen_random_uuid())$$, 'credited in full');
SELECT results_eq($$SELECT balance, unallocated_credit FROM report.customer_balances WHERE code = 'ACME'$$,
                  $$VALUES (-12.09::numeric(16,2), 12.09::numeric(16,2))$$, 'what the invoice no longer owed is the customer''s credit');
SELECT ok(api.record_refund('{"customer": "ACME", "amount": 5, "credit_note_number": 6}') > 0, 'part of it is refunded');
SELECT results_eq($$SELECT refunded, unallocated FROM report.credit_notes WHERE number = 6$$, $$VALUES (5.00::numeric(16,2), 7.09::numeric(16,2))$$,
                  'the credit note says what it refunded and what is left');
SELECT api.create_invoice('{"customer": "ACME", "date": "2026-03-04", "location": "MAIN"}');
SELECT api.add_invoice_line((SELECT max(id) FROM ar.invoices), '{"product": "CABLE", "quantity": 2}');
SELECT is((SELECT number FROM api.post_invoices(ARRAY[(SELECT max(id) FROM ar.invoices)], '{}', 'tap', 'single', gen_random_uuid())), 4::bigint, 'invoice 4');
SELECT is(api.apply_credit_note(6, '[{"invoice_number": 4}]'), 7.09::numeric, 'the rest goes to the new invoice');
SELECT results_eq($$SELECT credited, open_amount FROM report.invoices WHERE number = 4$$, $$VALUES (7.09::numeric(16,2), 17.09::numeric(16,2))$$,
                  'which owes that much less');
SELECT throws_ok($$SELECT api.receive_payment('{"customer": "ACME", "amount": 20, "allocations": [{"invoice_number": 4}]}')$$,
                 'PG422', 'invoice 4 has 17.09 open; 20 cannot be allocated to it', 'payments see what the credit took');
SELECT throws_ok($$SELECT api.receive_payment('{"customer": "ACME", "amount": 5, "allocations": [{"invoice_number": 99999}]}')$$,
                 'PG404', 'there is no invoice 99999', 'an allocation to an invoice that does not exist says so');

-- One draft without a conversion rate is one blocked draft; the rest still read.
SELECT api.save_price_list('DOLLARS', 'Dollar prices', 'USD');
SELECT api.set_product_price('DOLLARS', 'CABLE', 12, '2026-01-01');
SELECT api.add_conversion_rate('USD', 'EUR', 0.9, '2026-04-01');
SELECT api.create_customer('{"code": "YANK", "name": "Yankee", "price_list": "DOLLARS", "payment_terms": "NET30", "currency": "EUR"}');
CREATE TEMPORARY TABLE t_dollars AS SELECT (api.create_invoice('{"customer": "YANK", "date": "2026-03-05", "location": "MAIN"}') ->> 'invoice_id')::bigint AS id;
SELECT api.add_invoice_line((SELECT id FROM t_dollars), '{"product": "CABLE", "quantity": 1}');
SELECT is((SELECT missing_rate FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_dollars)])), '{"to": "EUR", "date": "2026-03-05", "from": "USD"}'::jsonb,
          'the facts name the currencies and the date of the missing rate');
SET LOCAL ROLE pgtap_reader;
SELECT is((SELECT missing_rate ->> 'from' FROM report.unposted_invoices WHERE customer = 'YANK'), 'USD',
          'a reporting login reads every draft, that one too');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_dollars)], '{}', 'tap', 'single', gen_random_uuid())$$,
                 'PG424', format('draft %s: there is no conversion rate from USD to EUR valid on 2026-03-05', (SELECT id FROM t_dollars)),
                 'the posting function refuses it');

SELECT is_empty($$SELECT c.code FROM ar.customers c WHERE c.balance <> (SELECT coalesce(sum(e.amount_customer), 0) FROM ar.ledger_entries e
                                                                       WHERE e.customer_id = c.id AND e.currency_epoch = c.currency_epoch)$$,
                'after invoices, payments, credit notes and refunds, every kept balance is the sum of its ledger');

-- Privileges: drafts for everyone, posting and refunds through the service only.
SELECT function_privs_are('api', 'create_credit_note', ARRAY['jsonb'], 'postgate_client', ARRAY['EXECUTE'], 'other applications draft credit notes');
SELECT function_privs_are('api', 'post_credit_note', ARRAY['bigint', 'jsonb', 'text', 'uuid'], 'postgate_client', ARRAY[]::text[],
                          'other applications cannot post them');
SELECT function_privs_are('api', 'credit_note_facts', ARRAY['bigint[]', 'boolean'], 'postgate_client', ARRAY[]::text[],
                          'nor take their posting locks');
SELECT function_privs_are('api', 'record_refund', ARRAY['jsonb'], 'postgate_client', ARRAY[]::text[], 'nor pay refunds');
SELECT function_privs_are('api', 'post_credit_note', ARRAY['bigint', 'jsonb', 'text', 'uuid'], 'postgate_service', ARRAY['EXECUTE'],
                          'the service posts them');

SELECT * FROM finish();
ROLLBACK;

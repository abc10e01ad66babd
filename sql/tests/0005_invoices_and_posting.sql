-- Draft invoices, the posting facts, the posting function's own guards, payments, privileges.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(66);

\ir fixtures/company.sql
\ir fixtures/stock.sql
\ir fixtures/customers.sql

-- Drafts.
SELECT is((api.create_invoice('{"customer": "ACME", "date": "2026-03-01", "location": "MAIN"}') ->> 'alerts'), '[]',
          'a draft is created with the customer''s alerts');
CREATE TEMPORARY TABLE t_invoice AS SELECT max(id) AS id FROM ar.invoices;
SELECT is(api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CABLE", "quantity": 3}'), 1, 'a line is added');
SELECT results_eq($$SELECT unit_price, net_amount, tax_amount FROM ar.invoice_lines WHERE invoice_id = (SELECT id FROM t_invoice)$$,
                  $$VALUES (9.99::numeric(14,4), 29.97::numeric(16,2), 6.29::numeric(16,2))$$,
                  'the price comes from the price list and the amounts are computed and rounded');
SELECT is((SELECT total FROM ar.invoices WHERE id = (SELECT id FROM t_invoice)), 36.26::numeric(16,2), 'the draft''s total follows its lines');
SELECT throws_ok($$SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CABLE", "quantity": 1, "tax_rate": "ZERO"}')$$,
                 'PG422', 'line 2 (CABLE): ZERO is not one of the rates of tax category STD',
                 'a tax rate outside the customer''s category is refused');
SELECT throws_ok($$SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "NOPE", "quantity": 1}')$$,
                 'PG404', 'there is no product ''NOPE''',
                 'an unknown product is refused');
SELECT throws_ok($$SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "TV", "quantity": 1.5}')$$,
                 'PG400', 'TV has a serial per unit: sell whole units, not 1.5',
                 'unique-serial products are sold in whole units');
SELECT throws_ok($$SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CABLE", "quantity": 1, "colour": "red"}')$$,
                 'PG400', 'colour is not a field of an invoice line',
                 'an unknown line field is refused');
SELECT is(api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "TV", "quantity": 2, "serials": ["S1"]}'), 2,
          'a TV line with one of its two serials');
SELECT is((SELECT count(*)::integer FROM ar.pending_customer_items WHERE invoice_id = (SELECT id FROM t_invoice)), 2,
          'two TVs: two pending customer items');

SELECT results_eq($$SELECT lines, serial_lines FROM api.list_unposted() WHERE invoice_id = (SELECT id FROM t_invoice)$$,
                  $$VALUES (2, 1)$$, 'the list of drafts counts the lines and those whose product tracks serials');

SELECT api.create_invoice('{"customer": "ACME", "date": "2026-02-01", "location": "MAIN", "reference": "paged"}');
SELECT results_eq($$SELECT array_agg(invoice_id) FROM api.unposted_ids('acme', NULL, NULL, NULL, NULL, 0, 1)$$,
                  $$SELECT ARRAY[min(id)] FROM ar.invoices WHERE status = 'draft'$$, 'the ids of the drafts, a page at a time');
SELECT results_eq($$SELECT array_agg(invoice_id) FROM api.unposted_ids(NULL, NULL, NULL, NULL, NULL, (SELECT min(id) FROM ar.invoices), 10)$$,
                  $$SELECT array_agg(id ORDER BY id) FROM ar.invoices WHERE status = 'draft' AND id > (SELECT min(id) FROM ar.invoices)$$,
                  'after an id');
SELECT is_empty($$SELECT * FROM api.unposted_ids(NULL, '2026-02-02', '2026-02-02', NULL, NULL, 0, 10)$$, 'filtered as the list is');
SELECT api.delete_invoice((SELECT id FROM ar.invoices WHERE reference = 'paged'));

-- The facts.
SELECT is((SELECT missing_serials FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_invoice)])), '[{"line": 2, "missing": 1, "product": "TV"}]'::jsonb,
          'the facts name the line missing a serial');
SELECT is((SELECT missing_serials FROM report.unposted_invoices WHERE invoice_id = (SELECT id FROM t_invoice)),
          '[{"line": 2, "missing": 1, "product": "TV"}]'::jsonb, 'psql users see the same facts in report.unposted_invoices');
SELECT throws_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_invoice)], '{}', 'tap', 'single', gen_random_uuid())$$,
                 'PG422',
                 format('draft %s: serials are missing on [{"line": 2, "missing": 1, "product": "TV"}]', (SELECT id FROM t_invoice)),
                 'the posting function itself refuses missing serials, whatever the caller decided');
SELECT lives_ok($$SELECT api.set_line_serials((SELECT id FROM t_invoice), 2, '["S1", "S7"]')$$,
                'serials are set: one from stock, one entered at sale');
SELECT is((SELECT added_at_sale FROM ar.invoice_line_serials WHERE serial = 'S7'), true, 'a serial not in stock is marked added at sale');
SELECT is((SELECT missing_serials FROM ar.invoice_facts(ARRAY[(SELECT id FROM t_invoice)])), '[]'::jsonb, 'nothing is missing now');

-- What a locking read of the facts keeps serves the posting only while the drafts are as read.
SELECT is((SELECT count(*)::integer FROM api.posting_facts(ARRAY[(SELECT id FROM t_invoice)], false)), 1, 'a preview reads the facts');
SELECT is_empty($$SELECT * FROM ar.checked_facts$$, 'a preview keeps nothing');
INSERT INTO ar.checked_facts (xact, invoice_id, version, total_customer, passed) VALUES ('3'::xid8, -1, 1, 0, true);
SELECT is((SELECT count(*)::integer FROM api.posting_facts(ARRAY[(SELECT id FROM t_invoice)], true)), 1, 'a posting reads the facts under its locks');
SELECT results_eq($$SELECT invoice_id, passed FROM ar.checked_facts$$, $$VALUES ((SELECT id FROM t_invoice), true)$$,
                  'and keeps them for the posting in this transaction, removing what a finished transaction left');
SELECT lives_ok($$SELECT api.set_line_serials((SELECT id FROM t_invoice), 2, '["S1"]')$$, 'the draft changes after the read');
SELECT throws_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_invoice)], '{}', 'tap', 'single', gen_random_uuid())$$,
                 'PG422',
                 format('draft %s: serials are missing on [{"line": 2, "missing": 1, "product": "TV"}]', (SELECT id FROM t_invoice)),
                 'the posting reads the facts again when a draft changed since they were kept, and refuses');
SELECT lives_ok($$SELECT api.set_line_serials((SELECT id FROM t_invoice), 2, '["S1", "S7"]')$$, 'the serials are set again');

-- Posting.
SELECT is((SELECT number FROM api.post_invoices(ARRAY[(SELECT id FROM t_invoice)], '{}', 'tap', 'single', gen_random_uuid())), 1::bigint,
          'the first posted invoice is number 1');
SELECT is((SELECT status FROM ar.invoices WHERE id = (SELECT id FROM t_invoice)), 'posted', 'the invoice is posted');
SELECT is_empty($$SELECT * FROM ar.checked_facts$$, 'the posting removes what was kept in its transaction');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'ACME'), 1246.26::numeric(16,2), 'the receivable is in the balance');
SELECT is((SELECT status FROM report.serial_numbers WHERE serial = 'S1'), 'sold', 'the serial from stock is sold');
SELECT is((SELECT count(*)::integer FROM report.serials_added_at_sale WHERE serial = 'S7'), 1,
          'the serial entered at sale is listed for investigation');
SELECT is((SELECT count(*)::integer FROM report.customer_items WHERE customer = 'ACME'), 2, 'two customer items were created');
SELECT is_empty($$SELECT * FROM report.stock_discrepancies$$, 'stock still recounts exactly');
SELECT throws_ok($$SELECT * FROM api.post_invoices(ARRAY[(SELECT id FROM t_invoice)], '{}', 'tap', 'single', gen_random_uuid())$$,
                 'PG423', 'invoice 1: it is already posted',
                 'an invoice is posted once');
SELECT throws_ok($$UPDATE ar.invoices SET reference = 'x' WHERE id = (SELECT id FROM t_invoice)$$,
                 'PG423', 'invoice 1 is posted: it is never changed or deleted',
                 'a posted invoice is never changed');
SELECT throws_ok($$DELETE FROM ar.invoice_lines WHERE invoice_id = (SELECT id FROM t_invoice)$$,
                 'PG423', 'the lines of a posted invoice are never changed or deleted',
                 'its lines are never deleted');
SELECT throws_ok($$TRUNCATE ar.invoices CASCADE$$, 'PG423', 'invoices rows are never changed or deleted', 'invoices are never truncated');
SELECT throws_ok($$SELECT api.add_invoice_line((SELECT id FROM t_invoice), '{"product": "CABLE", "quantity": 1}')$$,
                 'PG423', format('invoice %s is posted as number 1: it can no longer change', (SELECT id FROM t_invoice)),
                 'a posted invoice takes no new lines');

-- Payments.
SELECT ok(api.receive_payment('{"customer": "ACME", "amount": 1000, "allocations": [{"invoice_number": 1}]}') > 0,
          'a payment is received and allocated');
SELECT is((SELECT balance FROM report.customer_balances WHERE code = 'ACME'), 246.26::numeric(16,2), 'the payment reduces the balance');
SELECT throws_ok($$SELECT api.receive_payment('{"customer": "ACME", "amount": 500, "allocations": [{"invoice_number": 1}]}')$$,
                 'PG422', 'invoice 1 has 246.26 open; 500 cannot be allocated to it',
                 'an invoice is not allocated more than is open');
SELECT throws_ok($$SELECT api.receive_payment('{"customer": "ACME", "amount": 0.001}')$$,
                 'PG400', 'amount: 0.001 has 3 decimals, and at most 2 are kept',
                 'an amount with more decimals than the currency has is refused');

-- A preview checked before its confirmation: drafts by id and reference, customers held since.
SELECT api.create_invoice('{"customer": "ACME", "date": "2026-03-01", "location": "MAIN", "reference": "h3b"}');
CREATE TEMPORARY TABLE t_pinned AS SELECT max(id) AS id FROM ar.invoices;
SELECT api.add_invoice_line((SELECT id FROM t_pinned), '{"product": "CABLE", "quantity": 1}');
SELECT api.save_preview('00000000-0000-0000-0000-0000000000a1',
                        jsonb_build_array(jsonb_build_object('id', (SELECT id FROM t_pinned), 'version', 1, 'blocked', false),
                                          jsonb_build_object('id', 999999, 'version', 1, 'blocked', false)));
UPDATE ar.preview_tokens SET created_at = now() - interval '1 minute' WHERE token = '00000000-0000-0000-0000-0000000000a1';
SELECT results_eq($$SELECT invoice_id, status, name FROM api.preview_drafts('00000000-0000-0000-0000-0000000000a1')$$,
                  $$VALUES ((SELECT id FROM t_pinned), 'draft'::text, 'draft ' || (SELECT id FROM t_pinned) || ' (h3b)'),
                           (999999::bigint, NULL::text, 'draft 999999')$$,
                  'a preview''s drafts in its order, named by id and reference; a deleted one has no status');
SELECT is_empty($$SELECT * FROM api.preview_changes('00000000-0000-0000-0000-0000000000a1')$$, 'nothing changed since the preview');
SELECT api.hold_customer('ACME');
SELECT results_eq($$SELECT change FROM api.preview_changes('00000000-0000-0000-0000-0000000000a1')$$,
                  $$VALUES ('customer ACME was put on hold for invoices after the preview (draft ' || (SELECT id FROM t_pinned) || ' (h3b))')$$,
                  'a customer put on hold since the preview is a change, naming its drafts');
SELECT api.release_customer('ACME');
SELECT throws_ok($$SELECT * FROM api.preview_drafts('00000000-0000-0000-0000-0000000000a2')$$, 'PG404',
                 'there is no preview 00000000-0000-0000-0000-0000000000a2', 'an unknown preview is refused');
-- A preview saved a chunk at a time, read back in all and in pages.
SELECT api.save_preview('00000000-0000-0000-0000-0000000000a3',
    '[{"id": 11, "version": 1, "blocked": false, "warned": true, "items_to_create": 2, "currency": "EUR", "total": 10.50, "reference": "r1"},
      {"id": 12, "version": 3, "blocked": true, "currency": "EUR", "total": 1, "reference": "r2", "findings": [{"rule": "x"}]}]');
SELECT api.save_preview('00000000-0000-0000-0000-0000000000a3',
    '[{"id": 13, "version": 1, "blocked": false, "currency": "USD", "total": 7, "reference": "r3", "findings": []},
      {"id": 14, "version": 1, "blocked": true, "currency": "EUR", "total": 0, "reference": "r4"}]');
SELECT results_eq($$SELECT invoice_id, version FROM api.preview_invoices('00000000-0000-0000-0000-0000000000a3')$$,
                  $$VALUES (11::bigint, 1), (12::bigint, 3), (13::bigint, 1), (14::bigint, 1)$$,
                  'each chunk is appended after the ones saved before');
SELECT results_eq($$SELECT * FROM api.preview_summary('00000000-0000-0000-0000-0000000000a3')$$,
                  $$VALUES (4, 2, 1, 2::bigint, '{"EUR": 11.50, "USD": 7}'::jsonb)$$,
                  'the summary counts the invoices, the blocked, the warned, the items, and totals each currency');
SELECT results_eq($$SELECT k, invoice_id, reference, findings FROM api.preview_page('00000000-0000-0000-0000-0000000000a3', 1, 2)$$,
                  $$VALUES (2, 12::bigint, 'r2', '[{"rule": "x"}]'::jsonb), (3, 13::bigint, 'r3', '[]'::jsonb)$$,
                  'a page after a position, as shown, with its findings');
SELECT results_eq($$SELECT k FROM api.preview_page('00000000-0000-0000-0000-0000000000a3', 0, 100, 'blocked')$$, $$VALUES (2), (4)$$,
                  'a page of the blocked ones');
SELECT results_eq($$SELECT k FROM api.preview_page('00000000-0000-0000-0000-0000000000a3', 0, 100, 'findings')$$, $$VALUES (1), (2), (4)$$,
                  'a page of those with findings that block or warn');
SELECT throws_ok($$SELECT * FROM api.preview_page('00000000-0000-0000-0000-0000000000a3', 0, 10, 'some')$$, 'PG400',
                 'a page lists all, blocked or findings, not some', 'a page lists one of three');
SELECT throws_ok($$SELECT * FROM api.preview_page('00000000-0000-0000-0000-0000000000a3', 0, 0)$$, 'PG400',
                 'a page holds 1 to 10000 invoices, not 0', 'a page has a size');
SELECT throws_ok($$SELECT api.save_preview('00000000-0000-0000-0000-0000000000a3', '[{"id": 15, "version": "x", "blocked": false}]')$$,
                 'PG400', 'each invoice of a preview has its id, version and whether it is blocked', 'a malformed item is refused');
SELECT is((SELECT count(*)::integer FROM api.preview_invoices('00000000-0000-0000-0000-0000000000a3')), 4, 'and changes nothing');
SELECT function_privs_are('api', 'preview_page', ARRAY['uuid', 'integer', 'integer', 'text'], 'postgate_client', ARRAY[]::text[],
                          'other applications do not page through previews');
SELECT function_privs_are('api', 'preview_changes', ARRAY['uuid'], 'postgate_client', ARRAY[]::text[], 'other applications do not read previews');
SELECT function_privs_are('api', 'preview_drafts', ARRAY['uuid'], 'postgate_service', ARRAY['EXECUTE'], 'the service checks previews');

-- Privileges: nothing posts without the service.
SELECT function_privs_are('api', 'post_invoices', ARRAY['bigint[]', 'jsonb', 'text', 'text', 'uuid'], 'postgate_client', ARRAY[]::text[],
                          'other applications cannot post');
SELECT function_privs_are('api', 'posting_facts', ARRAY['bigint[]', 'boolean'], 'postgate_client', ARRAY[]::text[],
                          'other applications cannot take the posting locks');
SELECT function_privs_are('api', 'post_invoices', ARRAY['bigint[]', 'jsonb', 'text', 'text', 'uuid'], 'postgate_service', ARRAY['EXECUTE'],
                          'the service can post');
SELECT function_privs_are('api', 'add_invoice_line', ARRAY['bigint', 'jsonb'], 'postgate_client', ARRAY['EXECUTE'],
                          'other applications write drafts');

-- Aging: what the balance holds on no invoice (a payment left unallocated) is its own column, so
-- that the row adds up to the balance; an empty bucket is 0.
SELECT ok(api.receive_payment('{"customer": "ACME", "amount": 40}') > 0, 'a payment left unallocated');
SELECT results_eq(
    $$SELECT unapplied, current + days_1_30 + days_31_60 + days_61_90 + over_90 + unallocated_credit + unapplied = balance,
             days_1_30 IS NOT NULL AND days_31_60 IS NOT NULL AND days_61_90 IS NOT NULL
      FROM report.aged_receivables WHERE customer = 'ACME'$$,
    $$SELECT (SELECT -sum(amount - allocated) FROM report.payments WHERE customer = 'ACME')::numeric(16, 2), true, true$$,
    'aged receivables: unapplied payments in a column of their own, the row adds up to the balance, empty buckets are 0');

SELECT * FROM finish();
ROLLBACK;

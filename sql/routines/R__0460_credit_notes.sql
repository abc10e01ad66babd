-- Credit notes: drafted by any client against one posted invoice (the whole of it, chosen lines
-- and quantities, or price corrections), their amounts computed from what each invoice line has
-- left to credit, and the data checks that feed the preview and guard the posting.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION ar.no_such_credit_note(p_id bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT ar.fail('PG404', 'credit_note', format('there is no credit note %s', p_id), 'Name an existing credit note by its id.')
$$;
COMMENT ON FUNCTION ar.no_such_credit_note(bigint) IS 'The PG404 refusal of a credit note id that names no credit note.';

-- What posted credit notes have taken of each line of an invoice: the quantity credited (returned
-- or kept by the customer), the quantity returned, and the net and tax amounts.
CREATE OR REPLACE FUNCTION ar.credited_lines(p_invoice_id bigint)
RETURNS TABLE (invoice_line_id bigint, quantity numeric, returned numeric, net numeric, tax numeric)
LANGUAGE sql STABLE AS $$
    SELECT cl.invoice_line_id, sum(cl.quantity), coalesce(sum(cl.quantity) FILTER (WHERE cl.kind = 'return'), 0),
           sum(cl.net_amount), sum(cl.tax_amount)
    FROM ar.credit_note_lines cl JOIN ar.credit_notes n ON n.id = cl.credit_note_id
    WHERE n.invoice_id = p_invoice_id AND n.status = 'posted'
    GROUP BY cl.invoice_line_id
$$;
COMMENT ON FUNCTION ar.credited_lines(bigint) IS
    'Per line of an invoice, what its posted credit notes took: quantity (returned or kept), quantity returned, net and tax.';

-- The serials an invoice's lines sold and how much of each posted credit notes brought back.
CREATE OR REPLACE FUNCTION ar.sold_serials(p_invoice_id bigint)
RETURNS TABLE (invoice_line_id bigint, product_id bigint, serial text, sold numeric, returned numeric)
LANGUAGE sql STABLE AS $$
    SELECT ls.line_id, coalesce(ls.component_id, l.product_id), ls.serial, ls.quantity,
           coalesce((SELECT sum(cs.quantity) FROM ar.credit_note_line_serials cs JOIN ar.credit_note_lines cl ON cl.id = cs.line_id
                     JOIN ar.credit_notes n ON n.id = cl.credit_note_id
                     WHERE cl.invoice_line_id = l.id AND cs.product_id = coalesce(ls.component_id, l.product_id) AND cs.serial = ls.serial
                       AND n.status = 'posted'), 0)
    FROM ar.invoice_lines l JOIN ar.invoice_line_serials ls ON ls.line_id = l.id
    WHERE l.invoice_id = p_invoice_id
$$;
COMMENT ON FUNCTION ar.sold_serials(bigint) IS 'Each serial an invoice''s lines sold (a kit''s: its components''), and how much has come back.';

-- The amounts of a draft credit note, from what each invoice line has left after the posted
-- credit notes: a quantity takes its share of the line's net and tax left, and the last of a
-- line's quantity takes all that is left, so that crediting a whole invoice, at once or in
-- parts, gives back exactly its total. A price correction credits the net given, with the line's
-- tax on it (all the tax left when it takes all the net left). Raises the version.
CREATE OR REPLACE FUNCTION ar.price_credit_note(p_id bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_invoice bigint := (SELECT invoice_id FROM ar.credit_notes WHERE id = p_id);
BEGIN
    UPDATE ar.credit_note_lines cl SET net_amount = a.net, tax_amount = a.tax
    FROM (
        SELECT x.id,
               CASE WHEN x.kind = 'price' THEN x.net_amount
                    WHEN x.left_qty <= 0 THEN 0
                    WHEN x.quantity >= x.left_qty THEN x.left_net
                    ELSE round(x.left_net * x.quantity / x.left_qty, 2) END AS net,
               CASE WHEN x.kind = 'price' THEN CASE WHEN x.net_amount >= x.left_net THEN x.left_tax
                                                    ELSE least(round(x.net_amount * x.tax_percent / 100, 2), x.left_tax) END
                    WHEN x.left_qty <= 0 THEN 0
                    WHEN x.quantity >= x.left_qty THEN x.left_tax
                    ELSE round(x.left_tax * x.quantity / x.left_qty, 2) END AS tax
        FROM (SELECT cl2.id, cl2.kind, cl2.quantity, cl2.net_amount, il.tax_percent,
                     il.quantity - coalesce(c.quantity, 0) AS left_qty,
                     greatest(il.net_amount - coalesce(c.net, 0), 0) AS left_net,
                     greatest(il.tax_amount - coalesce(c.tax, 0), 0) AS left_tax
              FROM ar.credit_note_lines cl2 JOIN ar.invoice_lines il ON il.id = cl2.invoice_line_id
              LEFT JOIN ar.credited_lines(v_invoice) c ON c.invoice_line_id = il.id
              WHERE cl2.credit_note_id = p_id) x
    ) a
    WHERE cl.id = a.id AND (cl.net_amount, cl.tax_amount) IS DISTINCT FROM (a.net, a.tax);
    UPDATE ar.credit_notes n SET net_total = t.net, tax_total = t.tax, total = t.net + t.tax, version = n.version + 1
    FROM (SELECT coalesce(sum(net_amount), 0) AS net, coalesce(sum(tax_amount), 0) AS tax FROM ar.credit_note_lines WHERE credit_note_id = p_id) t
    WHERE n.id = p_id;
END
$$;
COMMENT ON FUNCTION ar.price_credit_note(bigint) IS
    'Computes a draft credit note''s line amounts and totals from what its invoice''s lines have left to credit; raises its version.';

-- What stands in the way of posting these credit notes, per credit note: every problem of the
-- data, as posted credit notes leave the invoice now. Feeds the preview, and guards the posting.
--   over_quantity: more credited than the line has left;  over_amount: a price correction above the net left;
--   serials_missing: a return of serial-tracked goods that does not name all their serials;
--   serial_not_sold / serial_returned / serial_over: a serial the line did not sell, or that came back already;
--   serial_in_stock: a unique serial that is in stock somewhere now, so it cannot come back.
CREATE OR REPLACE FUNCTION ar.credit_note_problems(p_ids bigint[]) RETURNS TABLE (credit_note_id bigint, items jsonb)
LANGUAGE sql STABLE AS $$
    WITH lines AS MATERIALIZED (
        SELECT cl.*, n.invoice_id, il.line_no AS invoice_line_no, il.product_id AS line_product, il.quantity AS invoiced,
               il.quantity - coalesce(c.quantity, 0) AS left_qty, il.net_amount - coalesce(c.net, 0) AS left_net,
               p.code AS product
        FROM ar.credit_note_lines cl JOIN ar.credit_notes n ON n.id = cl.credit_note_id
        JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id JOIN ar.products p ON p.id = il.product_id
        LEFT JOIN LATERAL (SELECT * FROM ar.credited_lines(n.invoice_id) x WHERE x.invoice_line_id = il.id) c ON true
        WHERE cl.credit_note_id = ANY (p_ids)
    ),
    -- What a return line needs back of each serial-tracked product the invoice line sold serials of.
    needs AS (
        SELECT l.id, l.credit_note_id, l.line_no, l.invoice_line_no, l.invoice_id, l.invoice_line_id, s.product_id,
               l.quantity * coalesce((SELECT b.quantity FROM ar.buildup_components b
                                      WHERE b.buildup_id = l.line_product AND b.component_id = s.product_id), 1) AS needed
        FROM lines l
        JOIN (SELECT DISTINCT ls.line_id, coalesce(ls.component_id, il.product_id) AS product_id
              FROM ar.invoice_line_serials ls JOIN ar.invoice_lines il ON il.id = ls.line_id) s ON s.line_id = l.invoice_line_id
        WHERE l.kind = 'return'
    ),
    problems AS (
        SELECT l.credit_note_id, l.line_no, jsonb_build_object('line', l.line_no, 'invoice_line', l.invoice_line_no, 'product', l.product,
                   'code', 'over_quantity', 'quantity', trim_scale(l.quantity), 'left', trim_scale(greatest(l.left_qty, 0))) AS item
        FROM lines l WHERE l.kind <> 'price' AND l.quantity > l.left_qty
        UNION ALL
        SELECT l.credit_note_id, l.line_no, jsonb_build_object('line', l.line_no, 'invoice_line', l.invoice_line_no, 'product', l.product,
                   'code', 'over_amount', 'amount', l.net_amount, 'left', greatest(l.left_net, 0))
        FROM lines l WHERE l.kind = 'price' AND l.net_amount > l.left_net
        UNION ALL
        SELECT n.credit_note_id, n.line_no, jsonb_build_object('line', n.line_no, 'invoice_line', n.invoice_line_no, 'product', p.code,
                   'code', 'serials_missing',
                   'needed', trim_scale(n.needed), 'given', trim_scale(coalesce(g.given, 0)))
        FROM needs n JOIN ar.products p ON p.id = n.product_id
        LEFT JOIN (SELECT cs.line_id, cs.product_id, sum(cs.quantity) AS given FROM ar.credit_note_line_serials cs GROUP BY 1, 2) g
            ON g.line_id = n.id AND g.product_id = n.product_id
        WHERE coalesce(g.given, 0) <> n.needed
        UNION ALL
        SELECT l.credit_note_id, l.line_no, jsonb_build_object('line', l.line_no, 'invoice_line', l.invoice_line_no, 'product', p.code,
                   'serial', cs.serial,
                   'code', CASE WHEN ss.serial IS NULL THEN 'serial_not_sold'
                                WHEN ss.returned >= ss.sold THEN 'serial_returned'
                                WHEN ss.returned + cs.quantity > ss.sold THEN 'serial_over'
                                ELSE 'serial_in_stock' END,
                   'quantity', trim_scale(cs.quantity), 'sold', trim_scale(coalesce(ss.sold, 0)), 'returned', trim_scale(coalesce(ss.returned, 0)),
                   'location', (SELECT string_agg(loc.code, ', ') FROM ar.serials s JOIN ar.stock_on_hand h ON h.serial_key = s.id
                                JOIN ar.locations loc ON loc.id = h.location_id
                                WHERE s.product_id = cs.product_id AND s.serial = cs.serial AND h.quantity > 0 AND h.unit_serial))
        FROM lines l JOIN ar.credit_note_line_serials cs ON cs.line_id = l.id JOIN ar.products p ON p.id = cs.product_id
        LEFT JOIN LATERAL (SELECT * FROM ar.sold_serials(l.invoice_id) x
                           WHERE x.invoice_line_id = l.invoice_line_id AND x.product_id = cs.product_id AND x.serial = cs.serial) ss ON true
        WHERE ss.serial IS NULL OR ss.returned + cs.quantity > ss.sold
           OR (p.serial_tracking = 'unique' AND EXISTS (
                   SELECT FROM ar.serials s JOIN ar.stock_on_hand h ON h.serial_key = s.id
                   WHERE s.product_id = cs.product_id AND s.serial = cs.serial AND h.quantity > 0))
    )
    SELECT credit_note_id, jsonb_agg(item ORDER BY line_no, item ->> 'code', item ->> 'serial') FROM problems GROUP BY credit_note_id
$$;
COMMENT ON FUNCTION ar.credit_note_problems(bigint[]) IS
    'Per credit note, what its data does not allow: over-credited quantities or amounts, serials missing, not sold, already back or in stock.';

-- A problem of ar.credit_note_problems as a sentence, for refusals: it names the invoice line.
CREATE OR REPLACE FUNCTION ar.credit_note_problem_text(p jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('invoice line %s (%s): ', p ->> 'invoice_line', p ->> 'product') || CASE p ->> 'code'
        WHEN 'over_quantity' THEN format('%s credited, but it has %s left to credit', p ->> 'quantity', p ->> 'left')
        WHEN 'over_amount' THEN format('%s credited, but it has %s left to credit', p ->> 'amount', p ->> 'left')
        WHEN 'serials_missing' THEN format('%s come back, and their serials name %s', p ->> 'needed', p ->> 'given')
        WHEN 'serial_not_sold' THEN format('serial %s was not sold on it', p ->> 'serial')
        WHEN 'serial_returned' THEN format('serial %s has come back already', p ->> 'serial')
        WHEN 'serial_over' THEN format('serial %s: %s cannot come back, %s was sold and %s is back already', p ->> 'serial', p ->> 'quantity',
                                       p ->> 'sold', p ->> 'returned')
        ELSE format('serial %s is in stock at %s, so it cannot come back', p ->> 'serial', coalesce(p ->> 'location', 'a location')) END
$$;

-- The serials that return with p_quantity of an invoice line when none are named, per product the
-- line sold serials of: all that have not come back when they are what returns, or the quantity
-- from the one batch serial left. take is NULL where the serials must be named.
CREATE OR REPLACE FUNCTION ar.return_serials_left(p_invoice_id bigint, p_invoice_line_id bigint, p_quantity numeric)
RETURNS TABLE (product_id bigint, serial text, take numeric)
LANGUAGE sql STABLE AS $$
    SELECT r.product_id, r.serial,
           CASE WHEN r.left_total = r.needed THEN r.left_qty
                WHEN r.n = 1 AND r.left_qty >= r.needed AND p.serial_tracking = 'batch' THEN r.needed END
    FROM (SELECT s.product_id, s.serial, s.sold - s.returned AS left_qty, count(*) OVER (PARTITION BY s.product_id) AS n,
                 sum(s.sold - s.returned) OVER (PARTITION BY s.product_id) AS left_total,
                 p_quantity * coalesce((SELECT b.quantity FROM ar.buildup_components b JOIN ar.invoice_lines il ON il.product_id = b.buildup_id
                                        WHERE il.id = p_invoice_line_id AND b.component_id = s.product_id), 1) AS needed
          FROM ar.sold_serials(p_invoice_id) s WHERE s.invoice_line_id = p_invoice_line_id AND s.sold > s.returned) r
    JOIN ar.products p ON p.id = r.product_id
$$;

-- The serials of a return line (p_serials as on invoice lines, for the invoice line's product or
-- a kit's components). None named: for each product the line sold serials of, all that have not
-- come back when they are what returns, or the quantity from its one batch serial left.
CREATE OR REPLACE FUNCTION ar.write_return_serials(p_line ar.credit_note_lines, p_serials jsonb, p_field text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_invoice_line ar.invoice_lines;
    v_product ar.products;
    v_of ar.products;
    v_serial jsonb;
    v_text text;
    v_n integer := 0;
    v_field text;
    v_unclear text;
    v_invoice bigint := (SELECT invoice_id FROM ar.credit_notes WHERE id = p_line.credit_note_id);
BEGIN
    SELECT * INTO v_invoice_line FROM ar.invoice_lines WHERE id = p_line.invoice_line_id;
    SELECT * INTO v_product FROM ar.products WHERE id = v_invoice_line.product_id;
    IF p_serials IS NULL OR p_serials = 'null' THEN
        SELECT string_agg(DISTINCT p.code, ', ') INTO v_unclear
        FROM ar.return_serials_left(v_invoice, v_invoice_line.id, p_line.quantity) r JOIN ar.products p ON p.id = r.product_id
        WHERE r.take IS NULL;
        IF v_unclear IS NOT NULL THEN
            PERFORM ar.fail('PG400', p_field || '.serials',
                            format('invoice line %s sold serials of %s: name the ones that come back', v_invoice_line.line_no, v_unclear),
                            format('Give the serials of the %s returned, or return all that is left.', trim_scale(p_line.quantity)));
        END IF;
        INSERT INTO ar.credit_note_line_serials (line_id, product_id, serial, quantity)
        SELECT p_line.id, r.product_id, r.serial, r.take FROM ar.return_serials_left(v_invoice, v_invoice_line.id, p_line.quantity) r;
        RETURN;
    END IF;
    IF jsonb_typeof(p_serials) <> 'array' THEN
        PERFORM ar.fail('PG400', p_field || '.serials', 'serials must be a list', 'Give ["SN1", "SN2"] or [{"serial": "R1", "quantity": 5}].');
    END IF;
    FOR v_serial IN SELECT * FROM jsonb_array_elements(p_serials) LOOP
        v_n := v_n + 1;
        v_field := format('%s.serials[%s]', p_field, v_n);
        IF jsonb_typeof(v_serial) = 'string' THEN v_serial := jsonb_build_object('serial', v_serial); END IF;
        IF jsonb_typeof(v_serial) <> 'object' THEN
            PERFORM ar.fail('PG400', v_field, 'a serial is a text, or an object {"serial", "quantity", "product"}', NULL);
        END IF;
        PERFORM ar.check_fields(v_serial, ARRAY['serial', 'quantity', 'product'], 'a returned serial', v_field);
        v_text := ar.code_text(ar.text_field(v_serial, 'serial'), v_field || '.serial');
        v_of := ar.serial_entry_product(v_product, v_serial, v_text, v_field);
        IF NOT EXISTS (SELECT FROM ar.sold_serials(v_invoice) s
                       WHERE s.invoice_line_id = v_invoice_line.id AND s.product_id = v_of.id AND s.serial = v_text) THEN
            PERFORM ar.fail('PG422', v_field, format('serial %s of %s was not sold on line %s of invoice %s', v_text, v_of.code,
                                                     v_invoice_line.line_no, (SELECT number FROM ar.invoices WHERE id = v_invoice)),
                            'Only what this invoice sold comes back on its credit notes.');
        END IF;
        BEGIN
            INSERT INTO ar.credit_note_line_serials (line_id, product_id, serial, quantity)
            VALUES (p_line.id, v_of.id, v_text,
                    coalesce(ar.decimal_field(v_serial, 'quantity', v_field || '.quantity', 4, 1e10),
                             CASE WHEN v_of.serial_tracking = 'unique' THEN 1
                                  ELSE (SELECT s.sold - s.returned FROM ar.sold_serials(v_invoice) s
                                        WHERE s.invoice_line_id = v_invoice_line.id AND s.product_id = v_of.id AND s.serial = v_text) END));
        EXCEPTION
            WHEN unique_violation THEN
                PERFORM ar.fail('PG400', v_field, format('serial %s appears twice on the line', v_text), 'Name each serial once.');
            WHEN check_violation THEN
                PERFORM ar.fail('PG400', v_field || '.quantity', format('serial %s: a quantity greater than zero comes back', v_text), NULL);
        END;
        IF v_of.serial_tracking = 'unique' AND (SELECT quantity FROM ar.credit_note_line_serials
                                                WHERE line_id = p_line.id AND product_id = v_of.id AND serial = v_text) <> 1 THEN
            PERFORM ar.fail('PG400', v_field || '.quantity', 'a unique serial is one unit', 'Leave the quantity out.');
        END IF;
    END LOOP;
END
$$;

-- Writes one line of a credit note: the invoice line it credits, by number, and how.
CREATE OR REPLACE FUNCTION ar.write_credit_note_line(n ar.credit_notes, p_line_no integer, p jsonb, p_kind text, p_location bigint,
                                                     p_field text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_invoice_line ar.invoice_lines;
    v_product ar.products;
    l ar.credit_note_lines;
    v_left numeric;
BEGIN
    SELECT * INTO v_invoice_line FROM ar.invoice_lines
    WHERE invoice_id = n.invoice_id AND line_no = ar.integer_field(p, 'line', p_field || '.line');
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', p_field || '.line', format('invoice %s has no line %s', (SELECT number FROM ar.invoices WHERE id = n.invoice_id),
                                                            coalesce(p ->> 'line', 'without a number')),
                        'Name one of its lines: ' || (SELECT string_agg(line_no::text, ', ' ORDER BY line_no)
                                                      FROM ar.invoice_lines WHERE invoice_id = n.invoice_id) || '.');
    END IF;
    SELECT * INTO v_product FROM ar.products WHERE id = v_invoice_line.product_id;
    v_left := v_invoice_line.quantity - coalesce((SELECT c.quantity FROM ar.credited_lines(n.invoice_id) c
                                                  WHERE c.invoice_line_id = v_invoice_line.id), 0);
    l.credit_note_id := n.id;
    l.line_no := p_line_no;
    l.invoice_line_id := v_invoice_line.id;
    l.kind := p_kind;
    l.net_amount := 0;
    l.tax_amount := 0;
    IF p_kind = 'price' THEN
        l.quantity := 0;
        l.net_amount := ar.decimal_field(p, 'amount', p_field || '.amount', least((SELECT minor_units FROM ar.currencies WHERE code = n.currency), 2),
                                         1e12);
        IF l.net_amount IS NULL OR l.net_amount <= 0 THEN
            PERFORM ar.fail('PG400', p_field || '.amount', format('the amount credited on line %s must be greater than zero, not %s',
                                                                  v_invoice_line.line_no, coalesce(l.net_amount::text, 'empty')),
                            'Give the net amount taken off the line.');
        END IF;
    ELSE
        IF p ? 'quantity' AND p -> 'quantity' <> 'null' THEN
            l.quantity := ar.line_quantity(p, v_product, p_field);
        ELSE
            l.quantity := v_left;
        END IF;
        IF l.quantity > v_left OR v_left <= 0 THEN
            PERFORM ar.fail('PG422', p_field || '.quantity',
                            ar.credit_note_problem_text(jsonb_build_object('code', 'over_quantity', 'invoice_line', v_invoice_line.line_no,
                                'product', v_product.code, 'quantity', trim_scale(l.quantity), 'left', trim_scale(greatest(v_left, 0)))),
                            'Credit at most what the invoice sold less what earlier credit notes took.');
        END IF;
        -- Goods that left stock come back to the location named, else where they left from.
        IF p_kind = 'return' AND v_invoice_line.location_id IS NOT NULL THEN
            l.location_id := coalesce(CASE WHEN p ? 'location' THEN ar.location_id(ar.text_field(p, 'location'), p_field || '.location') END,
                                      p_location, v_invoice_line.location_id);
        END IF;
    END IF;
    BEGIN
        INSERT INTO ar.credit_note_lines (credit_note_id, line_no, invoice_line_id, kind, quantity, location_id, net_amount, tax_amount)
        VALUES (l.credit_note_id, l.line_no, l.invoice_line_id, l.kind, l.quantity, l.location_id, l.net_amount, l.tax_amount)
        RETURNING id INTO l.id;
    EXCEPTION WHEN unique_violation THEN
        PERFORM ar.fail('PG400', p_field || '.line', format('invoice line %s is named twice on the credit note', v_invoice_line.line_no),
                        'Credit each invoice line once: its quantity, or its price on another credit note.');
    END;
    IF p_kind = 'return' THEN
        PERFORM ar.write_return_serials(l, p -> 'serials', p_field);
    ELSIF p ? 'serials' THEN
        PERFORM ar.fail('PG400', p_field || '.serials',
                        format('invoice line %s: serials are named only for goods that come back', v_invoice_line.line_no),
                        'Leave the serials out, or let the goods come back.');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION api.create_credit_note(p_credit jsonb)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_invoice ar.invoices;
    n ar.credit_notes;
    v_location bigint;
    v_return boolean;
    v_line jsonb;
    v_k integer := 0;
    v_line_no integer := 0;
    v_problem jsonb;
BEGIN
    PERFORM ar.check_fields(p_credit, ARRAY['invoice_number', 'date', 'reason', 'location', 'return', 'lines', 'amounts'], 'a credit note');
    SELECT * INTO v_invoice FROM ar.invoices
    WHERE number = ar.integer_field(p_credit, 'invoice_number', 'invoice_number') AND status = 'posted';
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'invoice_number', format('there is no invoice %s', p_credit ->> 'invoice_number'),
                        'Name a posted invoice by its number.');
    END IF;
    n.invoice_id := v_invoice.id;
    n.customer_id := v_invoice.customer_id;
    n.currency := v_invoice.currency;
    n.credit_date := coalesce(ar.date_value(ar.json_value(p_credit, 'date', 'string'), 'date'), current_date);
    IF n.credit_date < v_invoice.invoice_date THEN
        PERFORM ar.fail('PG422', 'date', format('a credit note of invoice %s cannot be dated %s, before the invoice (%s)', v_invoice.number,
                                                n.credit_date, v_invoice.invoice_date), 'Date it on or after the invoice.');
    END IF;
    n.reason := coalesce(ar.text_field(p_credit, 'reason'), '');
    IF length(n.reason) > 500 THEN
        PERFORM ar.fail('PG400', 'reason', format('reason is %s characters long; at most 500 are kept', length(n.reason)), NULL);
    END IF;
    IF p_credit ? 'location' THEN
        v_location := ar.location_id(ar.text_field(p_credit, 'location'), 'location');
    END IF;
    v_return := coalesce(ar.flag_field(p_credit, 'return'), true);
    INSERT INTO ar.credit_notes (invoice_id, customer_id, credit_date, currency, reason)
    VALUES (n.invoice_id, n.customer_id, n.credit_date, n.currency, n.reason)
    RETURNING * INTO n;
    IF jsonb_typeof(coalesce(p_credit -> 'lines', '[]')) <> 'array' OR jsonb_typeof(coalesce(p_credit -> 'amounts', '[]')) <> 'array' THEN
        PERFORM ar.fail('PG400', CASE WHEN jsonb_typeof(coalesce(p_credit -> 'lines', '[]')) <> 'array' THEN 'lines' ELSE 'amounts' END,
                        'lines and amounts are lists', 'Give "lines": [{"line": 1, "quantity": 2}], "amounts": [{"line": 1, "amount": 10}].');
    END IF;
    IF jsonb_array_length(coalesce(p_credit -> 'lines', '[]')) = 0 AND jsonb_array_length(coalesce(p_credit -> 'amounts', '[]')) = 0 THEN
        -- The whole invoice: every line's quantity left to credit.
        FOR v_line IN
            SELECT jsonb_build_object('line', il.line_no) FROM ar.invoice_lines il
            LEFT JOIN ar.credited_lines(v_invoice.id) c ON c.invoice_line_id = il.id
            WHERE il.invoice_id = v_invoice.id AND il.quantity > coalesce(c.quantity, 0) ORDER BY il.line_no
        LOOP
            v_line_no := v_line_no + 1;
            PERFORM ar.write_credit_note_line(n, v_line_no, v_line, CASE WHEN v_return THEN 'return' ELSE 'quantity' END, v_location,
                                              format('lines[%s]', v_line_no));
        END LOOP;
        IF v_line_no = 0 THEN
            PERFORM ar.fail('PG422', 'invoice_number', format('invoice %s is credited in full already', v_invoice.number),
                            'There is nothing left on it to credit.');
        END IF;
    END IF;
    FOR v_line IN SELECT * FROM jsonb_array_elements(coalesce(p_credit -> 'lines', '[]')) LOOP
        v_k := v_k + 1;
        v_line_no := v_line_no + 1;
        PERFORM ar.check_fields(v_line, ARRAY['line', 'quantity', 'serials', 'location', 'return'], 'a credit note line', format('lines[%s]', v_k));
        PERFORM ar.write_credit_note_line(n, v_line_no, v_line,
                                          CASE WHEN coalesce(ar.flag_field(v_line, 'return'), v_return) THEN 'return' ELSE 'quantity' END,
                                          v_location, format('lines[%s]', v_k));
    END LOOP;
    v_k := 0;
    FOR v_line IN SELECT * FROM jsonb_array_elements(coalesce(p_credit -> 'amounts', '[]')) LOOP
        v_k := v_k + 1;
        v_line_no := v_line_no + 1;
        PERFORM ar.check_fields(v_line, ARRAY['line', 'amount'], 'a price correction', format('amounts[%s]', v_k));
        PERFORM ar.write_credit_note_line(n, v_line_no, v_line, 'price', NULL, format('amounts[%s]', v_k));
    END LOOP;
    PERFORM ar.price_credit_note(n.id);
    -- What the data does not allow is refused now, whole: the same checks guard the posting. The
    -- field names the line as the request gave it (the lines first, then the amounts).
    SELECT p.items -> 0 INTO v_problem FROM ar.credit_note_problems(ARRAY[n.id]) p;
    IF v_problem IS NOT NULL THEN
        v_k := coalesce(nullif(jsonb_array_length(coalesce(p_credit -> 'lines', '[]')), 0),
                        CASE WHEN jsonb_array_length(coalesce(p_credit -> 'amounts', '[]')) = 0 THEN v_line_no ELSE 0 END);
        PERFORM ar.fail('PG422', CASE WHEN (v_problem ->> 'line')::integer <= v_k THEN format('lines[%s]', v_problem ->> 'line')
                                      ELSE format('amounts[%s]', (v_problem ->> 'line')::integer - v_k) END,
                        ar.credit_note_problem_text(v_problem), 'Credit only what the invoice sold and has left to credit.');
    END IF;
    RETURN jsonb_build_object('credit_note_id', n.id, 'total', (SELECT total FROM ar.credit_notes WHERE id = n.id), 'currency', n.currency);
END
$$;
COMMENT ON FUNCTION api.create_credit_note(jsonb) IS
    'Drafts a credit note {"invoice_number", "date", "reason", "location" (where returns go; default: where each line left from), '
    '"return" (default true: the goods come back), "lines": [{"line", "quantity" (default: all left), "serials", "location", "return"}], '
    '"amounts": [{"line", "amount"}] (price corrections, net)}; no lines and no amounts: the whole invoice. '
    'Returns {"credit_note_id", "total", "currency"}.';

CREATE OR REPLACE FUNCTION ar.credit_note_draft_for_update(p_id bigint) RETURNS ar.credit_notes
LANGUAGE plpgsql AS $$
DECLARE
    n ar.credit_notes;
BEGIN
    SELECT * INTO n FROM ar.credit_notes WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_credit_note(p_id);
    END IF;
    IF n.status = 'posted' THEN
        PERFORM ar.fail('PG423', 'credit_note', format('credit note %s is posted as number %s: it can no longer change', p_id, n.number),
                        'Correct it with another document (an adjustment).');
    END IF;
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION api.delete_credit_note(p_id bigint)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.credit_note_draft_for_update(p_id);
    DELETE FROM ar.credit_note_line_serials WHERE line_id IN (SELECT id FROM ar.credit_note_lines WHERE credit_note_id = p_id);
    DELETE FROM ar.credit_note_lines WHERE credit_note_id = p_id;
    DELETE FROM ar.credit_notes WHERE id = p_id;
END
$$;
COMMENT ON FUNCTION api.delete_credit_note(bigint) IS 'Deletes a draft credit note. Posted credit notes are never deleted.';

CREATE OR REPLACE FUNCTION api.get_credit_note(p_id bigint)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_result jsonb;
BEGIN
    SELECT jsonb_build_object(
        'id', n.id, 'number', n.number, 'status', n.status, 'invoice_id', n.invoice_id, 'invoice_number', i.number, 'customer', c.code,
        'customer_name', c.name, 'date', n.credit_date, 'currency', n.currency, 'reason', n.reason,
        'net_total', n.net_total, 'tax_total', n.tax_total, 'total', n.total, 'version', n.version,
        'posted_at', n.posted_at, 'posted_by', n.posted_by,
        'lines', coalesce((SELECT jsonb_agg(jsonb_build_object(
            'line', cl.line_no, 'invoice_line', il.line_no, 'product', p.code, 'product_name', p.name, 'kind', cl.kind,
            'quantity', cl.quantity, 'location', loc.code, 'net_amount', cl.net_amount, 'tax_amount', cl.tax_amount,
            'serials', coalesce((SELECT jsonb_agg(jsonb_build_object('serial', cs.serial, 'product', sp.code, 'quantity', cs.quantity)
                                                  ORDER BY cs.id)
                                 FROM ar.credit_note_line_serials cs JOIN ar.products sp ON sp.id = cs.product_id WHERE cs.line_id = cl.id), '[]'))
            ORDER BY cl.line_no)
            FROM ar.credit_note_lines cl JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id JOIN ar.products p ON p.id = il.product_id
            LEFT JOIN ar.locations loc ON loc.id = cl.location_id WHERE cl.credit_note_id = n.id), '[]'),
        'allocations', coalesce((SELECT jsonb_agg(jsonb_build_object('invoice_number', ai.number, 'refund', a.payment_id, 'amount', a.amount)
                                                  ORDER BY a.id)
                                 FROM ar.credit_allocations a LEFT JOIN ar.invoices ai ON ai.id = a.invoice_id
                                 WHERE a.credit_note_id = n.id), '[]'),
        'unallocated', CASE WHEN n.status = 'posted'
                            THEN n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0) END,
        'problems', CASE WHEN n.status = 'draft'
                         THEN coalesce((SELECT p.items FROM ar.credit_note_problems(ARRAY[n.id]) p), '[]'::jsonb) ELSE '[]'::jsonb END)
    INTO v_result
    FROM ar.credit_notes n JOIN ar.invoices i ON i.id = n.invoice_id JOIN ar.customers c ON c.id = n.customer_id
    WHERE n.id = p_id;
    IF v_result IS NULL THEN
        PERFORM ar.no_such_credit_note(p_id);
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION api.get_credit_note(bigint) IS
    'A credit note with its lines, serials, where its credit went (posted) or what stands in its way (draft), as JSON.';

CREATE OR REPLACE FUNCTION api.list_credit_notes(p_customer text DEFAULT NULL, p_invoice_number bigint DEFAULT NULL, p_limit integer DEFAULT 1000)
RETURNS TABLE (credit_note_id bigint, number bigint, status text, invoice_number bigint, customer text, credit_date date, currency text,
               total numeric, unallocated numeric, version integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT n.id, n.number, n.status, i.number, c.code, n.credit_date, n.currency, n.total,
           CASE WHEN n.status = 'posted'
                THEN n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0) END,
           n.version
    FROM ar.credit_notes n JOIN ar.invoices i ON i.id = n.invoice_id JOIN ar.customers c ON c.id = n.customer_id
    WHERE (p_customer IS NULL OR lower(c.code) = lower(p_customer)) AND (p_invoice_number IS NULL OR i.number = p_invoice_number)
    ORDER BY n.id DESC
    LIMIT greatest(coalesce(p_limit, 1000), 1)
$$;
COMMENT ON FUNCTION api.list_credit_notes(text, bigint, integer) IS
    'Credit notes, newest first, of a customer or of an invoice: drafts and posted, with the credit not yet allocated.';

GRANT EXECUTE ON FUNCTION api.create_credit_note(jsonb), api.delete_credit_note(bigint), api.get_credit_note(bigint),
    api.list_credit_notes(text, bigint, integer)
TO postgate_client;

-- Payments in: recorded in any currency, allocated to posted invoices, and entered in the
-- customer's balance at once.
SET LOCAL ROLE postgate_owner;

-- What a posted invoice still owes, in its currency: its total less the payments and the credit
-- (of credit notes) allocated to it.
CREATE OR REPLACE FUNCTION ar.invoice_open_amount(p_invoice_id bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT i.total - coalesce((SELECT sum(pa.amount) FROM ar.payment_allocations pa WHERE pa.invoice_id = i.id), 0)
                   - coalesce((SELECT sum(ca.amount) FROM ar.credit_allocations ca WHERE ca.invoice_id = i.id), 0)
    FROM ar.invoices i WHERE i.id = p_invoice_id
$$;
COMMENT ON FUNCTION ar.invoice_open_amount(bigint) IS
    'What a posted invoice still owes in its currency: total less allocated payments and allocated credit.';

-- A posted invoice of a customer by its number, for an allocation (p_field names it), or a
-- refusal that says why it cannot take one.
CREATE OR REPLACE FUNCTION ar.invoice_to_allocate(p_customer_id bigint, p_number bigint, p_field text) RETURNS ar.invoices
LANGUAGE plpgsql AS $$
DECLARE
    v ar.invoices;
BEGIN
    SELECT * INTO v FROM ar.invoices WHERE number = p_number;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', p_field, format('there is no invoice %s', p_number), 'Name a posted invoice by its number.');
    END IF;
    IF v.customer_id <> p_customer_id THEN
        PERFORM ar.fail('PG422', p_field, format('invoice %s is customer %s''s, not %s''s', p_number,
                        (SELECT code FROM ar.customers WHERE id = v.customer_id), (SELECT code FROM ar.customers WHERE id = p_customer_id)),
                        'Allocate only to the same customer''s invoices.');
    END IF;
    RETURN v;
END
$$;

-- Allocates a payment to posted invoices of its customer ([{"invoice_number", "amount"}]; an
-- allocation without an amount takes what is left of the payment). Returns the amount allocated.
CREATE OR REPLACE FUNCTION ar.allocate_payment(p_payment_id bigint, p_customer_id bigint, p_allocations jsonb, p_amount numeric,
                                               p_decimals integer) RETURNS numeric
LANGUAGE plpgsql AS $$
DECLARE
    v_alloc jsonb;
    v_n integer := 0;
    v_invoice ar.invoices;
    v_amount numeric;
    v_allocated numeric := 0;
BEGIN
    FOR v_alloc IN SELECT * FROM jsonb_array_elements(coalesce(p_allocations, '[]')) LOOP
        v_n := v_n + 1;
        IF coalesce(v_alloc ->> 'invoice_number', v_alloc ->> 'invoice_id', '') !~ '^[0-9]{1,15}$' THEN
            PERFORM ar.fail('PG400', format('allocations[%s].invoice_number', v_n),
                            format('%s is not an invoice number', coalesce(v_alloc ->> 'invoice_number', v_alloc ->> 'invoice_id', 'an empty value')),
                            'Name the invoice by its number, a whole number.');
        END IF;
        IF v_alloc ? 'invoice_number' THEN
            v_invoice := ar.invoice_to_allocate(p_customer_id, (v_alloc ->> 'invoice_number')::bigint, format('allocations[%s].invoice_number', v_n));
        ELSE
            -- An allocation by id names the draft or posted invoice with that id.
            SELECT * INTO v_invoice FROM ar.invoices WHERE id = (v_alloc ->> 'invoice_id')::bigint AND customer_id = p_customer_id;
            IF NOT FOUND OR v_invoice.status <> 'posted' THEN
                PERFORM ar.fail('PG404', format('allocations[%s].invoice_id', v_n),
                                format('customer has no posted invoice with id %s', v_alloc ->> 'invoice_id'), 'Name the invoice by invoice_number.');
            END IF;
        END IF;
        v_amount := coalesce(ar.decimal_field(v_alloc, 'amount', format('allocations[%s].amount', v_n), p_decimals, 1e12), p_amount - v_allocated);
        IF v_amount <= 0 OR v_amount > ar.invoice_open_amount(v_invoice.id) THEN
            PERFORM ar.fail('PG422', format('allocations[%s].amount', v_n), format('invoice %s has %s open; %s cannot be allocated to it',
                    v_invoice.number, ar.invoice_open_amount(v_invoice.id), v_amount), NULL);
        END IF;
        v_allocated := v_allocated + v_amount;
        INSERT INTO ar.payment_allocations (payment_id, invoice_id, amount) VALUES (p_payment_id, v_invoice.id, v_amount);
    END LOOP;
    RETURN v_allocated;
END
$$;

-- The customer a payment or a refund names ({"customer": CODE}), locked: its balance changes.
CREATE OR REPLACE FUNCTION ar.paying_customer(p jsonb) RETURNS ar.customers
LANGUAGE plpgsql AS $$
DECLARE
    c ar.customers;
BEGIN
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p, 'customer'), 'customer'))) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p ->> 'customer');
    END IF;
    RETURN c;
END
$$;

-- Records a payment in or a refund: the method and account given, else the customer's. Returns its id.
CREATE OR REPLACE FUNCTION ar.record_payment(c ar.customers, p jsonb, p_date date, p_currency text, p_amount numeric, p_direction text)
RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO ar.payments (customer_id, payment_date, currency, amount, payment_method_id, financial_account_id, reference, direction)
    VALUES (c.id, p_date, p_currency, p_amount,
            coalesce(ar.lookup('payment_methods', ar.text_field(p, 'payment_method'), 'payment_method', 'payment method'), c.payment_method_id),
            coalesce(ar.lookup('financial_accounts', ar.text_field(p, 'financial_account'), 'financial_account', 'financial account'),
                     c.financial_account_id),
            coalesce(ar.text_field(p, 'reference'), ''), p_direction)
    RETURNING id
$$;

CREATE OR REPLACE FUNCTION api.receive_payment(p_payment jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
    v_date date;
    v_amount numeric;
    v_currency text;
    v_minor smallint;
    v_rate numeric;
    v_id bigint;
    v_allocated numeric;
BEGIN
    PERFORM ar.check_fields(p_payment, ARRAY['customer', 'date', 'amount', 'currency', 'payment_method', 'financial_account', 'reference',
                                             'allocations'], 'a payment');
    c := ar.paying_customer(p_payment);
    IF c.on_hold AND c.hold_payment_in THEN
        PERFORM ar.fail('PG422', 'customer', format('customer %s is on hold for payments in', c.code), 'Release the hold first.');
    END IF;
    v_date := coalesce(ar.date_value(ar.json_value(p_payment, 'date', 'string'), 'date'), current_date);
    v_currency := CASE WHEN p_payment ? 'currency' THEN ar.currency_code(ar.text_field(p_payment, 'currency'), 'currency') ELSE c.currency END;
    SELECT minor_units INTO v_minor FROM ar.currencies WHERE code = v_currency;
    -- Amounts are stored with 2 decimals at most.
    v_amount := ar.decimal_field(p_payment, 'amount', 'amount', least(v_minor, 2), 1e12);
    IF v_amount IS NULL OR v_amount <= 0 THEN
        PERFORM ar.fail('PG400', 'amount', format('amount must be greater than zero with at most %s decimals, not %s', v_minor,
                                                  coalesce(v_amount::text, 'empty')), NULL);
    END IF;
    v_rate := ar.conversion_rate(v_currency, c.currency, v_date);
    v_id := ar.record_payment(c, p_payment, v_date, v_currency, v_amount, 'in');
    v_allocated := ar.allocate_payment(v_id, c.id, p_payment -> 'allocations', v_amount, least(v_minor, 2));
    IF v_allocated > v_amount THEN
        PERFORM ar.fail('PG422', 'allocations', format('allocations of %s exceed the payment of %s', v_allocated, v_amount), NULL);
    END IF;
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                   amount_customer)
    VALUES (c.id, 'payment', v_id, v_date, v_currency, -v_amount, v_rate, c.currency, c.currency_epoch,
            -round(v_amount * v_rate, (SELECT minor_units FROM ar.currencies WHERE code = c.currency)));
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.receive_payment(jsonb) IS
    'Records a payment in {"customer", "date", "amount", "currency", "payment_method", "financial_account", "reference", '
    '"allocations": [{"invoice_number", "amount"}]}; it reduces the balance at once.';
GRANT EXECUTE ON FUNCTION api.receive_payment(jsonb) TO postgate_client;

-- A refund: credit paid out to the customer, recorded like a payment in with the direction
-- refund. Against a credit note, it pays out what the credit note has not allocated, in its
-- currency and at its rate; without one, at most the customer's credit (a balance below zero).
CREATE OR REPLACE FUNCTION api.record_refund(p_refund jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
    n ar.credit_notes;
    v_entry ar.ledger_entries;
    v_date date;
    v_currency text;
    v_amount numeric;
    v_left numeric;
    v_rate numeric;
    v_customer_amount numeric;
    v_balance numeric;
    v_id bigint;
BEGIN
    PERFORM ar.check_fields(p_refund, ARRAY['customer', 'date', 'amount', 'currency', 'payment_method', 'financial_account', 'reference',
                                            'credit_note_number'], 'a refund');
    c := ar.paying_customer(p_refund);
    v_date := coalesce(ar.date_value(ar.json_value(p_refund, 'date', 'string'), 'date'), current_date);
    IF p_refund ? 'credit_note_number' AND p_refund -> 'credit_note_number' <> 'null' THEN
        SELECT * INTO n FROM ar.credit_notes WHERE number = ar.integer_field(p_refund, 'credit_note_number', 'credit_note_number');
        IF NOT FOUND THEN
            PERFORM ar.fail('PG404', 'credit_note_number', format('there is no credit note %s', p_refund ->> 'credit_note_number'),
                            'Name a posted credit note by its number.');
        END IF;
        IF n.customer_id <> c.id THEN
            PERFORM ar.fail('PG422', 'credit_note_number', format('credit note %s is customer %s''s, not %s''s', n.number,
                            (SELECT code FROM ar.customers WHERE id = n.customer_id), c.code), 'Refund the customer whose credit it is.');
        END IF;
        IF p_refund ? 'currency' AND upper(btrim(p_refund ->> 'currency')) IS DISTINCT FROM n.currency THEN
            PERFORM ar.fail('PG400', 'currency', format('credit note %s is in %s: its refund is too', n.number, n.currency),
                            'Leave the currency out.');
        END IF;
        v_currency := n.currency;
    ELSE
        v_currency := CASE WHEN p_refund ? 'currency' THEN ar.currency_code(ar.text_field(p_refund, 'currency'), 'currency') ELSE c.currency END;
    END IF;
    v_amount := ar.decimal_field(p_refund, 'amount', 'amount', least((SELECT minor_units FROM ar.currencies WHERE code = v_currency), 2), 1e12);
    IF v_amount IS NULL OR v_amount <= 0 THEN
        PERFORM ar.fail('PG400', 'amount', format('amount must be greater than zero, not %s', coalesce(v_amount::text, 'empty')), NULL);
    END IF;
    IF n.id IS NOT NULL THEN
        v_left := n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0);
        IF v_amount > v_left THEN
            PERFORM ar.fail('PG422', 'amount', format('credit note %s has %s %s left to refund, not %s', n.number, v_left, n.currency, v_amount),
                            'Refund at most what it has left.');
        END IF;
        SELECT * INTO v_entry FROM ar.ledger_entries WHERE document_kind = 'credit_note' AND document_id = n.id;
        v_rate := v_entry.rate;
        v_customer_amount := round(v_amount * v_rate, (SELECT minor_units FROM ar.currencies WHERE code = c.currency));
    ELSE
        v_rate := ar.conversion_rate(v_currency, c.currency, v_date);
        v_customer_amount := round(v_amount * v_rate, (SELECT minor_units FROM ar.currencies WHERE code = c.currency));
        v_balance := ar.customer_balance(c.id);
        IF v_customer_amount > -v_balance THEN
            PERFORM ar.fail('PG422', 'amount', format('customer %s has %s of credit, and a refund of %s would exceed it', c.code,
                            ar.amount_text(greatest(-v_balance, 0), c.currency), ar.amount_text(v_customer_amount, c.currency)),
                            'Refund at most the customer''s credit, or refund a credit note.');
        END IF;
    END IF;
    v_id := ar.record_payment(c, p_refund, v_date, v_currency, v_amount, 'refund');
    IF n.id IS NOT NULL THEN
        INSERT INTO ar.credit_allocations (credit_note_id, payment_id, amount) VALUES (n.id, v_id, v_amount);
    END IF;
    INSERT INTO ar.ledger_entries (customer_id, document_kind, document_id, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                   amount_customer)
    VALUES (c.id, 'refund', v_id, v_date, v_currency, v_amount, v_rate, c.currency, c.currency_epoch, v_customer_amount);
    INSERT INTO ar.customer_events (customer_id, kind, details)
    VALUES (c.id, 'refunded', jsonb_build_object('payment', v_id, 'amount', v_amount, 'currency', v_currency, 'credit_note', n.number));
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.record_refund(jsonb) IS
    'Pays credit back to a customer {"customer", "amount", "date", "currency", "payment_method", "financial_account", "reference", '
    '"credit_note_number"}: against a credit note, at most what it has not allocated; else at most the customer''s credit. '
    'Raises the balance at once. Service only: money goes out.';
REVOKE EXECUTE ON FUNCTION api.record_refund(jsonb) FROM postgate_client;

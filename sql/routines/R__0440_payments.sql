-- Payments in: recorded in any currency, allocated to posted invoices, and entered in the
-- customer's balance at once.
SET LOCAL ROLE postgate_owner;

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
        SELECT * INTO v_invoice FROM ar.invoices
        WHERE (number = (v_alloc ->> 'invoice_number')::bigint OR id = (v_alloc ->> 'invoice_id')::bigint) AND customer_id = p_customer_id;
        IF NOT FOUND OR v_invoice.status <> 'posted' THEN
            PERFORM ar.fail('PG404', format('allocations[%s]', v_n), 'payments are allocated to posted invoices of the same customer',
                            'Name the invoice by invoice_number.');
        END IF;
        v_amount := coalesce(ar.decimal_field(v_alloc, 'amount', format('allocations[%s].amount', v_n), p_decimals, 1e12), p_amount - v_allocated);
        IF v_amount <= 0
           OR v_amount + coalesce((SELECT sum(amount) FROM ar.payment_allocations WHERE invoice_id = v_invoice.id), 0) > v_invoice.total THEN
            PERFORM ar.fail('PG422', format('allocations[%s].amount', v_n), format('invoice %s has %s open; %s cannot be allocated to it',
                    v_invoice.number, v_invoice.total - coalesce((SELECT sum(amount) FROM ar.payment_allocations WHERE invoice_id = v_invoice.id), 0),
                    v_amount), NULL);
        END IF;
        v_allocated := v_allocated + v_amount;
        INSERT INTO ar.payment_allocations (payment_id, invoice_id, amount) VALUES (p_payment_id, v_invoice.id, v_amount);
    END LOOP;
    RETURN v_allocated;
END
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
    SELECT * INTO c FROM ar.customers
    WHERE lower(code) = lower(btrim(ar.required_text(ar.text_field(p_payment, 'customer'), 'customer'))) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_payment ->> 'customer');
    END IF;
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
    INSERT INTO ar.payments (customer_id, payment_date, currency, amount, payment_method_id, financial_account_id, reference)
    VALUES (c.id, v_date, v_currency, v_amount,
            coalesce(ar.lookup('payment_methods', ar.text_field(p_payment, 'payment_method'), 'payment_method', 'payment method'),
                     c.payment_method_id),
            coalesce(ar.lookup('financial_accounts', ar.text_field(p_payment, 'financial_account'), 'financial_account', 'financial account'),
                     c.financial_account_id),
            coalesce(ar.text_field(p_payment, 'reference'), ''))
    RETURNING id INTO v_id;
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

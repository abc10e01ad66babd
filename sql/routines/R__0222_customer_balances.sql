-- Customer balances, and setting a customer's new currency (which re-expresses its balance).
SET LOCAL ROLE postgate_owner;

-- The one definition of a customer's open balance: the balance kept on its row (V0016: every
-- ledger entry of its current currency epoch, added as it is written). A view, so that reports and
-- set-based queries join it and single reads filter it.
CREATE OR REPLACE VIEW ar.customer_balances AS
SELECT c.id AS customer_id, c.balance FROM ar.customers c;
COMMENT ON VIEW ar.customer_balances IS 'Each customer''s open balance in its own currency: the sum of the ledger entries of its current currency epoch, kept on its row.';

CREATE OR REPLACE FUNCTION ar.customer_balance(p_customer_id bigint) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT b.balance FROM ar.customer_balances b WHERE b.customer_id = p_customer_id), 0)
$$;
COMMENT ON FUNCTION ar.customer_balance(bigint) IS 'Open balance in the customer''s currency (ar.customer_balances), 0 for no customer.';

CREATE OR REPLACE FUNCTION api.set_customer_currency(p_code text, p_currency text, p_rate numeric, p_on date DEFAULT current_date)
RETURNS numeric LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers := ar.customer_for_update(p_code);
    v_currency text := ar.currency_code(p_currency, 'currency');
    v_balance numeric := ar.customer_balance(c.id);
    v_minor smallint;
    v_new_balance numeric;
    v_price_currency text;
BEGIN
    IF v_currency = c.currency THEN
        PERFORM ar.fail('PG422', 'currency', format('customer %s already uses %s', c.code, v_currency), 'Name the new currency.');
    END IF;
    IF p_rate IS NULL OR p_rate <= 0 THEN
        PERFORM ar.fail('PG400', 'rate', format('rate must be greater than zero, not %s', coalesce(p_rate::text, 'empty')),
                        format('Give how many %s one %s is worth.', v_currency, c.currency));
    END IF;
    SELECT currency INTO v_price_currency FROM ar.price_lists WHERE id = c.price_list_id;
    IF NOT ar.rate_exists(v_currency, v_price_currency) THEN
        PERFORM ar.fail('PG424', 'currency',
                        format('the customer''s price list is in %s, and there is no conversion rate between %s and %s',
                               v_price_currency, v_price_currency, v_currency),
                        format('Add a conversion rate between %s and %s first.', v_price_currency, v_currency));
    END IF;
    SELECT minor_units INTO v_minor FROM ar.currencies WHERE code = v_currency;
    v_new_balance := round(v_balance * p_rate, v_minor);
    UPDATE ar.customers SET currency = v_currency, currency_epoch = currency_epoch + 1, balance = 0, version = version + 1, updated_at = now()
    WHERE id = c.id;
    -- The new epoch opens with the old balance re-expressed at the given rate.
    INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch,
                                   amount_customer)
    VALUES (c.id, 'currency_change', coalesce(p_on, current_date), c.currency, v_balance, p_rate, v_currency, c.currency_epoch + 1,
            v_new_balance);
    INSERT INTO ar.customer_events (customer_id, kind, details)
    VALUES (c.id, 'currency_changed', jsonb_build_object('from', c.currency, 'to', v_currency, 'rate', p_rate,
            'old_balance', v_balance, 'new_balance', v_new_balance, 'on', coalesce(p_on, current_date)));
    RETURN v_new_balance;
END
$$;
COMMENT ON FUNCTION api.set_customer_currency(text, text, numeric, date) IS
    'Set new currency: re-expresses the customer''s balance in a new currency at the given rate; returns the new balance. '
    'Recorded as an event and a ledger entry.';

-- Credit control is done through the service.
REVOKE EXECUTE ON FUNCTION api.set_customer_currency(text, text, numeric, date) FROM postgate_client;

-- Holds on a customer's documents, and the alerts a sales document shows for its customer.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.hold_customer(p_code text, p_sales_order boolean DEFAULT true, p_goods_shipment boolean DEFAULT true,
                                             p_sales_invoice boolean DEFAULT true, p_payment_in boolean DEFAULT false)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers := ar.customer_for_update(p_code);
BEGIN
    IF NOT (coalesce(p_sales_order, false) OR coalesce(p_goods_shipment, false) OR coalesce(p_sales_invoice, false)
            OR coalesce(p_payment_in, false)) THEN
        PERFORM ar.fail('PG422', 'documents', 'a hold must block at least one kind of document',
                        'Block sales orders, goods shipments, sales invoices or payments in; to lift the hold, release the customer.');
    END IF;
    UPDATE ar.customers SET on_hold = true, hold_sales_order = coalesce(p_sales_order, false),
        hold_goods_shipment = coalesce(p_goods_shipment, false), hold_sales_invoice = coalesce(p_sales_invoice, false),
        hold_payment_in = coalesce(p_payment_in, false), version = version + 1, updated_at = now()
    WHERE id = c.id;
    INSERT INTO ar.customer_events (customer_id, kind, details)
    VALUES (c.id, 'held', jsonb_build_object('sales_order', p_sales_order, 'goods_shipment', p_goods_shipment,
                                             'sales_invoice', p_sales_invoice, 'payment_in', p_payment_in));
    RETURN c.version + 1;
END
$$;
COMMENT ON FUNCTION api.hold_customer(text, boolean, boolean, boolean, boolean) IS
    'Puts a customer on hold, blocking the chosen documents (default: orders, shipments and invoices, not payments in).';

CREATE OR REPLACE FUNCTION api.release_customer(p_code text)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers := ar.customer_for_update(p_code);
BEGIN
    IF NOT c.on_hold THEN
        RETURN c.version;
    END IF;
    -- The switches keep their values (and return with the next hold); only on_hold changes.
    UPDATE ar.customers SET on_hold = false, version = version + 1, updated_at = now() WHERE id = c.id;
    INSERT INTO ar.customer_events (customer_id, kind) VALUES (c.id, 'released');
    RETURN c.version + 1;
END
$$;
COMMENT ON FUNCTION api.release_customer(text) IS 'Lifts a customer''s hold.';

CREATE OR REPLACE FUNCTION api.customer_alerts(p_code text, p_document text)
RETURNS TABLE (alert text, severity text, message text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
    v_balance numeric;
    v_blocked boolean;
BEGIN
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(p_code));
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_code);
    END IF;
    v_blocked := CASE p_document
        WHEN 'sales_order' THEN c.hold_sales_order
        WHEN 'goods_shipment' THEN c.hold_goods_shipment
        WHEN 'sales_invoice' THEN c.hold_sales_invoice
        WHEN 'payment_in' THEN c.hold_payment_in
    END;
    IF v_blocked IS NULL THEN
        PERFORM ar.fail('PG400', 'document', format('%L is not a kind of sales document', p_document),
                        'Use sales_order, goods_shipment, sales_invoice or payment_in.');
    END IF;
    IF c.on_hold AND v_blocked THEN
        RETURN QUERY SELECT 'on_hold'::text, 'block'::text,
            format('Customer %s is on hold for %s: release the hold before completing it.', c.code, replace(p_document, '_', ' '));
    END IF;
    v_balance := coalesce(ar.credit_exposure(c.id), 0);
    IF c.credit_limit IS NOT NULL AND v_balance > c.credit_limit THEN
        RETURN QUERY SELECT 'over_credit_limit'::text, 'warn'::text,
            format('Customer %s has reached its credit limit: %s %s is over the limit of %s.', c.code,
                   CASE WHEN ar.setting('credit_exposure') = '"full"' THEN 'exposure' ELSE 'balance' END,
                   ar.amount_text(v_balance, c.currency), ar.amount_text(c.credit_limit, c.currency));
    END IF;
    IF NOT c.active THEN
        RETURN QUERY SELECT 'inactive'::text, 'warn'::text, format('Customer %s is inactive.', c.code);
    END IF;
END
$$;
COMMENT ON FUNCTION api.customer_alerts(text, text) IS
    'The alerts a sales document (sales_order, goods_shipment, sales_invoice, payment_in) must show for a customer: '
    'on hold for that kind, over its credit limit, inactive.';

-- Holds are credit control, done through the service; other applications read the alerts.
REVOKE EXECUTE ON FUNCTION api.hold_customer(text, boolean, boolean, boolean, boolean), api.release_customer(text) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.customer_alerts(text, text) TO postgate_client;

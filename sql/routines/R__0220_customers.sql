-- The customer master: create, update, read and list customers.
--
-- Customers are written as JSON objects whose keys are the fields below; referenced rows are
-- named by code. create_customer takes the whole customer; update_customer takes the changes
-- (a key with null clears an optional field) and the version the caller read.
SET LOCAL ROLE postgate_owner;

-- What clients see of a customer: codes instead of ids. Also the row type of the read functions.
CREATE OR REPLACE VIEW api.customer_details AS
SELECT c.id, c.code, c.name, c.currency,
       pl.code AS price_list, pm.code AS payment_method, fa.code AS financial_account,
       pt.code AS payment_terms, pt.cash_sales_only, pt.net_days,
       c.invoice_terms, sch.code AS invoice_schedule, c.credit_limit, c.tax_exempt,
       tc.code AS tax_category, rep.code AS sales_rep,
       c.on_hold, c.hold_sales_order, c.hold_goods_shipment, c.hold_sales_invoice, c.hold_payment_in,
       c.create_customer_items, c.active, c.version, c.created_at, c.updated_at
FROM ar.customers c
JOIN ar.price_lists pl ON pl.id = c.price_list_id
JOIN ar.payment_terms pt ON pt.id = c.payment_terms_id
LEFT JOIN ar.payment_methods pm ON pm.id = c.payment_method_id
LEFT JOIN ar.financial_accounts fa ON fa.id = c.financial_account_id
LEFT JOIN ar.invoice_schedules sch ON sch.id = c.invoice_schedule_id
LEFT JOIN ar.tax_categories tc ON tc.id = c.tax_category_id
LEFT JOIN ar.employees rep ON rep.id = c.sales_rep_id;
COMMENT ON VIEW api.customer_details IS 'A customer with its references as codes. Read through api.get_customer and api.list_customers.';

-- Applies the fields present in p onto a customer row, resolving codes; refuses unknown keys.
CREATE OR REPLACE FUNCTION ar.customer_apply(c ar.customers, p jsonb) RETURNS ar.customers
LANGUAGE plpgsql AS $$
DECLARE
    v_known text[] := ARRAY['code', 'name', 'currency', 'price_list', 'payment_method', 'financial_account', 'payment_terms',
        'invoice_terms', 'invoice_schedule', 'credit_limit', 'tax_exempt', 'tax_category', 'sales_rep', 'create_customer_items', 'active'];
    v_limit numeric;
BEGIN
    PERFORM ar.check_fields(p, v_known, 'a customer');
    IF p ? 'code' THEN c.code := ar.code_text(ar.text_field(p, 'code'), 'code'); END IF;
    IF p ? 'name' THEN c.name := ar.required_text(ar.text_field(p, 'name'), 'name'); END IF;
    IF p ? 'currency' THEN c.currency := ar.currency_code(ar.required_text(ar.text_field(p, 'currency'), 'currency'), 'currency'); END IF;
    IF p ? 'price_list' THEN
        c.price_list_id := ar.lookup('price_lists', ar.required_text(ar.text_field(p, 'price_list'), 'price_list'),
                                     'price_list', 'price list');
    END IF;
    IF p ? 'payment_terms' THEN
        c.payment_terms_id := ar.lookup('payment_terms', ar.required_text(ar.text_field(p, 'payment_terms'), 'payment_terms'),
                                        'payment_terms', 'payment terms');
    END IF;
    IF p ? 'payment_method' THEN
        c.payment_method_id := ar.lookup('payment_methods', ar.text_field(p, 'payment_method'), 'payment_method', 'payment method');
    END IF;
    IF p ? 'financial_account' THEN
        c.financial_account_id := ar.lookup('financial_accounts', ar.text_field(p, 'financial_account'),
                                            'financial_account', 'financial account');
    END IF;
    IF p ? 'invoice_terms' THEN
        c.invoice_terms := ar.required_text(ar.text_field(p, 'invoice_terms'), 'invoice_terms');
        IF c.invoice_terms NOT IN ('after_order_delivered', 'after_delivery', 'do_not_invoice', 'immediate', 'customer_schedule_after_delivery') THEN
            PERFORM ar.fail('PG400', 'invoice_terms', format('invoice_terms %L is not one of the invoice terms', c.invoice_terms),
                'Use after_order_delivered, after_delivery, do_not_invoice, immediate or customer_schedule_after_delivery.');
        END IF;
    END IF;
    IF p ? 'invoice_schedule' THEN
        c.invoice_schedule_id := ar.lookup('invoice_schedules', ar.text_field(p, 'invoice_schedule'), 'invoice_schedule', 'invoice schedule');
    END IF;
    IF p ? 'credit_limit' THEN
        -- Checked before it lands in numeric(14, 2), which would round it silently.
        v_limit := ar.decimal_field(p, 'credit_limit', 'credit_limit', 2, 1e12);
        IF v_limit < 0 THEN
            PERFORM ar.fail('PG400', 'credit_limit', format('credit_limit must be zero or more, not %s', v_limit),
                            'Give an amount such as 5000 or 5000.50; leave it empty (null) for no limit.');
        END IF;
        c.credit_limit := v_limit;
    END IF;
    IF p ? 'tax_exempt' THEN c.tax_exempt := coalesce(ar.flag_field(p, 'tax_exempt'), false); END IF;
    IF p ? 'tax_category' THEN
        c.tax_category_id := ar.lookup('tax_categories', ar.text_field(p, 'tax_category'), 'tax_category', 'tax category');
    END IF;
    IF p ? 'sales_rep' THEN
        c.sales_rep_id := ar.lookup('employees', ar.text_field(p, 'sales_rep'), 'sales_rep', 'employee');
    END IF;
    IF p ? 'create_customer_items' THEN c.create_customer_items := coalesce(ar.flag_field(p, 'create_customer_items'), true); END IF;
    IF p ? 'active' THEN c.active := coalesce(ar.flag_field(p, 'active'), true); END IF;
    RETURN c;
END
$$;
COMMENT ON FUNCTION ar.customer_apply(ar.customers, jsonb) IS
    'Sets the fields given as JSON on a customer row, resolving codes; each bad field is a PG400/PG404 refusal naming it.';

-- The rules a customer must meet, checked before saving (the table constraints back them up).
CREATE OR REPLACE FUNCTION ar.customer_check(c ar.customers) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_price_currency text;
BEGIN
    IF c.code IS NULL THEN PERFORM ar.fail('PG400', 'code', 'code is required', 'Give the customer a code.'); END IF;
    IF c.name IS NULL THEN PERFORM ar.fail('PG400', 'name', 'name is required', 'Give the customer a name.'); END IF;
    IF c.price_list_id IS NULL THEN
        PERFORM ar.fail('PG400', 'price_list', 'price_list is required', 'Name the price list its invoices take prices from.');
    END IF;
    IF c.payment_terms_id IS NULL THEN
        PERFORM ar.fail('PG400', 'payment_terms', 'payment_terms is required', 'Name the payment terms of its invoices.');
    END IF;
    SELECT currency INTO v_price_currency FROM ar.price_lists WHERE id = c.price_list_id;
    c.currency := coalesce(c.currency, v_price_currency);
    IF c.credit_limit IS NOT NULL AND (c.credit_limit < 0 OR scale(c.credit_limit) > 2) THEN
        PERFORM ar.fail('PG400', 'credit_limit',
                        format('credit_limit must be zero or more with at most 2 decimals, not %s', c.credit_limit),
                        'Leave it empty (null) for no limit.');
    END IF;
    IF c.invoice_terms = 'customer_schedule_after_delivery' AND c.invoice_schedule_id IS NULL THEN
        PERFORM ar.fail('PG422', 'invoice_schedule', 'invoice terms "customer schedule after delivery" need an invoice schedule',
                        'Name the invoice schedule agreed with the customer.');
    END IF;
    IF c.invoice_terms <> 'customer_schedule_after_delivery' AND c.invoice_schedule_id IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'invoice_schedule',
                        format('an invoice schedule applies only to invoice terms "customer schedule after delivery", not %s', c.invoice_terms),
                        'Clear invoice_schedule, or change invoice_terms to customer_schedule_after_delivery.');
    END IF;
    IF c.financial_account_id IS NOT NULL AND c.payment_method_id IS NOT NULL AND NOT EXISTS (
        SELECT FROM ar.financial_account_methods WHERE account_id = c.financial_account_id AND method_id = c.payment_method_id) THEN
        PERFORM ar.fail('PG422', 'payment_method', format('financial account %s does not accept payment method %s',
                (SELECT code FROM ar.financial_accounts WHERE id = c.financial_account_id),
                (SELECT code FROM ar.payment_methods WHERE id = c.payment_method_id)),
            format('Choose one of its methods (%s), or add the method to the account.',
                coalesce((SELECT string_agg(m.code, ', ' ORDER BY m.code)
                          FROM ar.financial_account_methods am JOIN ar.payment_methods m ON m.id = am.method_id
                          WHERE am.account_id = c.financial_account_id), 'none yet')));
    END IF;
    IF c.sales_rep_id IS NOT NULL AND NOT (SELECT is_sales_rep FROM ar.employees WHERE id = c.sales_rep_id) THEN
        PERFORM ar.fail('PG422', 'sales_rep',
                        format('employee %s is not a sales representative', (SELECT code FROM ar.employees WHERE id = c.sales_rep_id)),
                        'Flag the employee as a sales representative first, or choose one who is.');
    END IF;
    IF NOT ar.rate_exists(c.currency, v_price_currency) THEN
        PERFORM ar.fail('PG424', 'currency',
                        format('the customer''s currency %s differs from its price list''s currency %s, and there is no conversion rate '
                               'between them', c.currency, v_price_currency),
                        format('Add a conversion rate between %s and %s first, or give the customer the currency %s.',
                               v_price_currency, c.currency, v_price_currency));
    END IF;
END
$$;
COMMENT ON FUNCTION ar.customer_check(ar.customers) IS 'Refuses a customer that breaks a rule, naming the field and what to do.';

CREATE OR REPLACE FUNCTION ar.no_such_customer(p_code text) RETURNS void
LANGUAGE sql AS $$
    SELECT ar.fail_missing('customers', 'customer', format('there is no customer with code %L', p_code),
                   'Name an existing customer by its code (in any case), or create the customer first.')
$$;
COMMENT ON FUNCTION ar.no_such_customer(text) IS 'The PG404 refusal of a customer code that names no customer.';

CREATE OR REPLACE FUNCTION ar.customer_for_update(p_code text) RETURNS ar.customers
LANGUAGE plpgsql AS $$
DECLARE
    c ar.customers;
BEGIN
    SELECT * INTO c FROM ar.customers WHERE lower(code) = lower(btrim(p_code)) FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_code);
    END IF;
    RETURN c;
END
$$;

CREATE OR REPLACE FUNCTION api.create_customer(p_customer jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers;
BEGIN
    c.invoice_terms := 'immediate';
    c.tax_exempt := false;
    c.create_customer_items := true;
    c.active := true;
    c := ar.customer_apply(c, p_customer);
    IF c.currency IS NULL THEN
        SELECT currency INTO c.currency FROM ar.price_lists WHERE id = c.price_list_id;
    END IF;
    PERFORM ar.customer_check(c);
    IF EXISTS (SELECT FROM ar.customers WHERE lower(code) = lower(c.code)) THEN
        PERFORM ar.fail('PG409', 'code', format('a customer with code %s already exists', c.code), 'Choose another code, or update that customer.');
    END IF;
    INSERT INTO ar.customers (code, name, currency, price_list_id, payment_method_id, financial_account_id, payment_terms_id,
        invoice_terms, invoice_schedule_id, credit_limit, tax_exempt, tax_category_id, sales_rep_id, create_customer_items, active)
    VALUES (c.code, c.name, c.currency, c.price_list_id, c.payment_method_id, c.financial_account_id, c.payment_terms_id,
        c.invoice_terms, c.invoice_schedule_id, c.credit_limit, c.tax_exempt, c.tax_category_id, c.sales_rep_id, c.create_customer_items,
        c.active)
    RETURNING id INTO c.id;
    INSERT INTO ar.customer_events (customer_id, kind, details) VALUES (c.id, 'created', p_customer);
    RETURN c.id;
EXCEPTION WHEN unique_violation THEN
    PERFORM ar.fail('PG409', 'code', format('a customer with code %s already exists', c.code), 'Choose another code, or update that customer.');
    RETURN NULL;  -- never reached: ar.fail raises
END
$$;
COMMENT ON FUNCTION api.create_customer(jsonb) IS
    'Creates a customer from a JSON object of fields; returns its id. Currency defaults to the price list''s.';

CREATE OR REPLACE FUNCTION api.update_customer(p_code text, p_version integer, p_changes jsonb)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    c ar.customers := ar.customer_for_update(p_code);
BEGIN
    IF p_changes ? 'currency' AND upper(p_changes ->> 'currency') IS DISTINCT FROM c.currency THEN
        PERFORM ar.fail('PG422', 'currency',
                        format('a customer''s currency changes only with its balance re-expressed (customer %s is in %s; %s was given)',
                               c.code, c.currency, coalesce(p_changes ->> 'currency', 'none')),
                        format('Set the new currency of customer %s with the rate that re-expresses its balance, and leave currency '
                               'out of these changes.', c.code));
    END IF;
    PERFORM ar.check_version('customer', c.code, c.version, coalesce(p_version, -1));
    c := ar.customer_apply(c, p_changes);
    PERFORM ar.customer_check(c);
    IF EXISTS (SELECT FROM ar.customers WHERE lower(code) = lower(c.code) AND id <> c.id) THEN
        PERFORM ar.fail('PG409', 'code', format('a customer with code %s already exists', c.code), 'Choose another code.');
    END IF;
    UPDATE ar.customers SET code = c.code, name = c.name, price_list_id = c.price_list_id, payment_method_id = c.payment_method_id,
        financial_account_id = c.financial_account_id, payment_terms_id = c.payment_terms_id, invoice_terms = c.invoice_terms,
        invoice_schedule_id = c.invoice_schedule_id, credit_limit = c.credit_limit, tax_exempt = c.tax_exempt,
        tax_category_id = c.tax_category_id, sales_rep_id = c.sales_rep_id, create_customer_items = c.create_customer_items,
        active = c.active, version = version + 1, updated_at = now()
    WHERE id = c.id;
    INSERT INTO ar.customer_events (customer_id, kind, details) VALUES (c.id, 'updated', p_changes);
    RETURN c.version + 1;
END
$$;
COMMENT ON FUNCTION api.update_customer(text, integer, jsonb) IS
    'Applies changes (JSON; null clears an optional field) to the customer read at p_version; returns the new version. A stale version is PG412.';

CREATE OR REPLACE FUNCTION api.get_customer(p_code text)
RETURNS SETOF api.customer_details LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    RETURN QUERY SELECT * FROM api.customer_details d WHERE lower(d.code) = lower(btrim(p_code));
    IF NOT FOUND THEN
        PERFORM ar.no_such_customer(p_code);
    END IF;
END
$$;
COMMENT ON FUNCTION api.get_customer(text) IS 'One customer by code (any case); PG404 when there is none.';

CREATE OR REPLACE FUNCTION api.list_customers(p_search text DEFAULT NULL, p_on_hold boolean DEFAULT NULL, p_active boolean DEFAULT true,
                                              p_limit integer DEFAULT 50, p_offset integer DEFAULT 0)
RETURNS SETOF api.customer_details LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_pattern text := '%' || replace(replace(replace(coalesce(p_search, ''), '\', '\\'), '%', '\%'), '_', '\_') || '%';
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 1000 THEN
        PERFORM ar.fail('PG400', 'limit', format('limit must be between 1 and 1000, not %s', coalesce(p_limit::text, 'empty')),
                        'Page through longer lists with offset.');
    END IF;
    IF p_offset IS NULL OR p_offset < 0 THEN
        PERFORM ar.fail('PG400', 'offset', format('offset must be zero or more, not %s', coalesce(p_offset::text, 'empty')), NULL);
    END IF;
    RETURN QUERY SELECT * FROM api.customer_details d
    WHERE (p_search IS NULL OR d.code ILIKE v_pattern OR d.name ILIKE v_pattern)
      AND (p_on_hold IS NULL OR d.on_hold = p_on_hold)
      AND (p_active IS NULL OR d.active = p_active)
    ORDER BY lower(d.code)
    LIMIT p_limit OFFSET p_offset;
END
$$;
COMMENT ON FUNCTION api.list_customers(text, boolean, boolean, integer, integer) IS
    'Customers whose code or name contains p_search, optionally only those on hold or not, a page at a time, by code.';

-- The customer master is credit control, done through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION api.create_customer(jsonb), api.update_customer(text, integer, jsonb) FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.get_customer(text), api.list_customers(text, boolean, boolean, integer, integer) TO postgate_client;

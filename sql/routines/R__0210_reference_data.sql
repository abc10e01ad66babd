-- Reference data: currencies, conversion rates, price lists, payment methods, financial accounts,
-- payment terms, invoice schedules, tax rates and categories, employees.
--
-- Each save_* function creates the row when its code is new, and changes it when the caller
-- passes the row's current version (a missing version is PG409, a stale one PG412).
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_currency(p_code text, p_name text, p_minor_units integer DEFAULT 2, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := upper(ar.code_text(p_code, 'code'));
    v_version integer;
BEGIN
    IF v_code !~ '^[A-Z]{3}$' THEN
        PERFORM ar.fail('PG400', 'code', format('code %L is not a currency code', p_code), 'Use the three-letter ISO 4217 code, such as EUR or USD.');
    END IF;
    IF p_minor_units IS NULL OR p_minor_units NOT BETWEEN 0 AND 4 THEN
        PERFORM ar.fail('PG400', 'minor_units', format('minor_units must be between 0 and 4, not %s', coalesce(p_minor_units::text, 'empty')), 'Use 2 for most currencies, 0 for JPY, 3 for KWD.');
    END IF;
    SELECT version INTO v_version FROM ar.currencies WHERE code = v_code FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.currencies (code, name, minor_units) VALUES (v_code, ar.required_text(p_name, 'name'), p_minor_units);
        RETURN 1;
    END IF;
    PERFORM ar.check_version('currency', v_code, v_version, p_version);
    -- Amounts already written were checked against the old decimals; changing them would leave
    -- amounts the currency cannot hold, or a precision nobody used.
    IF p_minor_units <> (SELECT minor_units FROM ar.currencies WHERE code = v_code) AND ar.currency_in_use(v_code) THEN
        PERFORM ar.fail('PG422', 'minor_units', format('currency %s is in use, so its decimals (%s) can no longer change', v_code,
                        (SELECT minor_units FROM ar.currencies WHERE code = v_code)),
                        'Its name may still change; for other decimals, add a new currency.');
    END IF;
    UPDATE ar.currencies SET name = ar.required_text(p_name, 'name'), minor_units = p_minor_units, version = version + 1 WHERE code = v_code;
    RETURN v_version + 1;
END
$$;
COMMENT ON FUNCTION api.save_currency(text, text, integer, integer) IS 'Adds a currency, or changes one when given its version (its decimals only while no amount uses it).';

-- Whether any amount, price list, customer or rate names the currency.
CREATE OR REPLACE FUNCTION ar.currency_in_use(p_code text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM ar.ledger_entries WHERE currency = p_code OR customer_currency = p_code)
        OR EXISTS (SELECT FROM ar.invoices WHERE currency = p_code)
        OR EXISTS (SELECT FROM ar.payments WHERE currency = p_code)
        OR EXISTS (SELECT FROM ar.adjustments WHERE currency = p_code)
        OR EXISTS (SELECT FROM ar.price_lists WHERE currency = p_code)
        OR EXISTS (SELECT FROM ar.customers WHERE currency = p_code)
        OR EXISTS (SELECT FROM ar.conversion_rates WHERE from_currency = p_code OR to_currency = p_code)
$$;

CREATE OR REPLACE FUNCTION api.add_conversion_rate(p_from text, p_to text, p_rate numeric, p_valid_from date)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_from text := ar.currency_code(p_from, 'from');
    v_to text := ar.currency_code(p_to, 'to');
    v_id bigint;
BEGIN
    IF v_from = v_to THEN
        PERFORM ar.fail('PG400', 'to', format('a rate converts between two currencies; both are %s', v_from), 'Give two different currencies.');
    END IF;
    IF p_rate IS NULL OR p_rate <= 0 THEN
        PERFORM ar.fail('PG400', 'rate', format('rate must be greater than zero, not %s', coalesce(p_rate::text, 'empty')), format('Give how many %s one %s is worth.', v_to, v_from));
    END IF;
    IF p_valid_from IS NULL THEN
        PERFORM ar.fail('PG400', 'valid_from', 'valid_from is required', 'Give the first date the rate applies to.');
    END IF;
    IF EXISTS (SELECT FROM ar.conversion_rates WHERE from_currency = v_from AND to_currency = v_to AND valid_from = p_valid_from) THEN
        PERFORM ar.fail('PG409', 'valid_from', format('a %s to %s rate valid from %s already exists', v_from, v_to, p_valid_from),
                        'Rates are kept as history: add the new rate with the date it takes effect.');
    END IF;
    INSERT INTO ar.conversion_rates (from_currency, to_currency, valid_from, rate) VALUES (v_from, v_to, p_valid_from, p_rate)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.add_conversion_rate(text, text, numeric, date) IS 'Records that one p_from is worth p_rate p_to from p_valid_from on.';

CREATE OR REPLACE FUNCTION api.save_price_list(p_code text, p_name text, p_currency text, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_currency text := ar.currency_code(p_currency, 'currency');
    v_row ar.price_lists;
BEGIN
    SELECT * INTO v_row FROM ar.price_lists WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.price_lists (code, name, currency) VALUES (v_code, ar.required_text(p_name, 'name'), v_currency);
        RETURN 1;
    END IF;
    PERFORM ar.check_version('price list', v_row.code, v_row.version, p_version);
    IF v_currency <> v_row.currency AND EXISTS (
        SELECT FROM ar.customers c WHERE c.price_list_id = v_row.id AND NOT ar.rate_exists(c.currency, v_currency)) THEN
        PERFORM ar.fail('PG422', 'currency', format('price list %s is used by customers whose currency has no conversion rate to %s', v_row.code, v_currency),
                        'Add the conversion rates first: postgate ref rates add ...');
    END IF;
    UPDATE ar.price_lists SET name = ar.required_text(p_name, 'name'), currency = v_currency, version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_price_list(text, text, text, integer) IS 'Adds a price list in a currency, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_payment_method(p_code text, p_name text, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.payment_methods;
BEGIN
    SELECT * INTO v_row FROM ar.payment_methods WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.payment_methods (code, name) VALUES (v_code, ar.required_text(p_name, 'name'));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('payment method', v_row.code, v_row.version, p_version);
    UPDATE ar.payment_methods SET name = ar.required_text(p_name, 'name'), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_payment_method(text, text, integer) IS 'Adds a payment method, or renames one when given its version.';

CREATE OR REPLACE FUNCTION api.save_financial_account(p_code text, p_name text, p_currency text, p_payment_methods text[], p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_currency text := ar.currency_code(p_currency, 'currency');
    v_row ar.financial_accounts;
    v_methods bigint[];
    v_in_use text;
BEGIN
    SELECT array_agg(DISTINCT ar.lookup('payment_methods', m, 'payment_methods', 'payment method', 'postgate ref payment-methods add CODE --name NAME'))
    INTO v_methods FROM unnest(coalesce(p_payment_methods, '{}')) AS m;
    SELECT * INTO v_row FROM ar.financial_accounts WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.financial_accounts (code, name, currency) VALUES (v_code, ar.required_text(p_name, 'name'), v_currency)
        RETURNING * INTO v_row;
        INSERT INTO ar.financial_account_methods (account_id, method_id) SELECT v_row.id, m FROM unnest(coalesce(v_methods, '{}')) AS m;
        RETURN 1;
    END IF;
    PERFORM ar.check_version('financial account', v_row.code, v_row.version, p_version);
    SELECT string_agg(DISTINCT c.code, ', ') INTO v_in_use
    FROM ar.customers c WHERE c.financial_account_id = v_row.id AND c.payment_method_id <> ALL (coalesce(v_methods, '{}'));
    IF v_in_use IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'payment_methods', format('financial account %s must keep accepting the payment methods of customers %s', v_row.code, v_in_use),
                        'Change those customers'' payment method first, or keep the method on the account.');
    END IF;
    UPDATE ar.financial_accounts SET name = ar.required_text(p_name, 'name'), currency = v_currency, version = version + 1 WHERE id = v_row.id;
    DELETE FROM ar.financial_account_methods WHERE account_id = v_row.id AND method_id <> ALL (coalesce(v_methods, '{}'));
    INSERT INTO ar.financial_account_methods (account_id, method_id)
    SELECT v_row.id, m FROM unnest(coalesce(v_methods, '{}')) AS m ON CONFLICT DO NOTHING;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_financial_account(text, text, text, text[], integer) IS 'Adds a financial account with the payment methods it accepts, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_payment_terms(p_code text, p_name text, p_net_days integer DEFAULT 0, p_cash_sales_only boolean DEFAULT false, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.payment_terms;
BEGIN
    IF p_net_days IS NULL OR p_net_days NOT BETWEEN 0 AND 3650 THEN
        PERFORM ar.fail('PG400', 'net_days', format('net_days must be between 0 and 3650, not %s', coalesce(p_net_days::text, 'empty')), 'Give the days from invoice date to due date (0: due at once).');
    END IF;
    SELECT * INTO v_row FROM ar.payment_terms WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.payment_terms (code, name, net_days, cash_sales_only)
        VALUES (v_code, ar.required_text(p_name, 'name'), p_net_days, coalesce(p_cash_sales_only, false));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('payment terms', v_row.code, v_row.version, p_version);
    UPDATE ar.payment_terms SET name = ar.required_text(p_name, 'name'), net_days = p_net_days,
        cash_sales_only = coalesce(p_cash_sales_only, false), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_payment_terms(text, text, integer, boolean, integer) IS 'Adds payment terms (net days, Cash Sales Only), or changes them when given their version.';

CREATE OR REPLACE FUNCTION api.save_invoice_schedule(p_code text, p_name text, p_description text DEFAULT '', p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.invoice_schedules;
BEGIN
    SELECT * INTO v_row FROM ar.invoice_schedules WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.invoice_schedules (code, name, description) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_description, ''));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('invoice schedule', v_row.code, v_row.version, p_version);
    UPDATE ar.invoice_schedules SET name = ar.required_text(p_name, 'name'), description = coalesce(p_description, ''), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_invoice_schedule(text, text, text, integer) IS 'Adds an invoice schedule, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_tax_rate(p_code text, p_name text, p_rate numeric, p_exempt boolean DEFAULT false, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.tax_rates;
BEGIN
    IF p_rate IS NULL OR p_rate < 0 OR p_rate > 100 OR scale(p_rate) > 4 THEN
        PERFORM ar.fail('PG400', 'rate', format('rate must be a percentage from 0 to 100 with at most 4 decimals, not %s', coalesce(p_rate::text, 'empty')), 'Give the rate in percent, such as 21 or 5.5.');
    END IF;
    SELECT * INTO v_row FROM ar.tax_rates WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.tax_rates (code, name, rate, exempt) VALUES (v_code, ar.required_text(p_name, 'name'), p_rate, coalesce(p_exempt, false));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('tax rate', v_row.code, v_row.version, p_version);
    UPDATE ar.tax_rates SET name = ar.required_text(p_name, 'name'), rate = p_rate, exempt = coalesce(p_exempt, false), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_tax_rate(text, text, numeric, boolean, integer) IS 'Adds a tax rate (percent, exempt flag), or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_tax_category(p_code text, p_name text, p_tax_rates text[], p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.tax_categories;
    v_rates bigint[];
    v_created boolean := false;
BEGIN
    SELECT array_agg(DISTINCT ar.lookup('tax_rates', r, 'tax_rates', 'tax rate', 'postgate ref taxes add CODE --name NAME --rate PERCENT'))
    INTO v_rates FROM unnest(coalesce(p_tax_rates, '{}')) AS r;
    SELECT * INTO v_row FROM ar.tax_categories WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.tax_categories (code, name) VALUES (v_code, ar.required_text(p_name, 'name')) RETURNING * INTO v_row;
        v_created := true;
    ELSE
        PERFORM ar.check_version('tax category', v_row.code, v_row.version, p_version);
        UPDATE ar.tax_categories SET name = ar.required_text(p_name, 'name'), version = version + 1 WHERE id = v_row.id;
        DELETE FROM ar.tax_category_rates WHERE category_id = v_row.id;
    END IF;
    INSERT INTO ar.tax_category_rates (category_id, tax_rate_id) SELECT v_row.id, r FROM unnest(coalesce(v_rates, '{}')) AS r;
    RETURN CASE WHEN v_created THEN 1 ELSE v_row.version + 1 END;
END
$$;
COMMENT ON FUNCTION api.save_tax_category(text, text, text[], integer) IS 'Adds a business-partner tax category with the tax rates it allows, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_employee(p_code text, p_name text, p_is_sales_rep boolean DEFAULT false, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.employees;
    v_customers text;
BEGIN
    SELECT * INTO v_row FROM ar.employees WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.employees (code, name, is_sales_rep) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_is_sales_rep, false));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('employee', v_row.code, v_row.version, p_version);
    IF v_row.is_sales_rep AND NOT coalesce(p_is_sales_rep, false) THEN
        SELECT string_agg(code, ', ' ORDER BY code) INTO v_customers FROM ar.customers WHERE sales_rep_id = v_row.id;
        IF v_customers IS NOT NULL THEN
            PERFORM ar.fail('PG422', 'is_sales_rep', format('%s is the sales representative of customers %s', v_row.code, v_customers),
                            'Give those customers another sales representative first.');
        END IF;
    END IF;
    UPDATE ar.employees SET name = ar.required_text(p_name, 'name'), is_sales_rep = coalesce(p_is_sales_rep, false), version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_employee(text, text, boolean, integer) IS 'Adds an employee (optionally a sales representative), or changes one when given its version.';

-- One listing for every kind, for the command line and other clients.
CREATE OR REPLACE FUNCTION api.list_reference(p_kind text)
RETURNS TABLE (code text, name text, details jsonb, version integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    CASE p_kind
    WHEN 'currencies' THEN
        RETURN QUERY SELECT c.code, c.name, jsonb_build_object('minor_units', c.minor_units), c.version FROM ar.currencies c ORDER BY c.code;
    WHEN 'rates' THEN
        RETURN QUERY SELECT r.from_currency || '/' || r.to_currency, r.valid_from::text,
            jsonb_build_object('from', r.from_currency, 'to', r.to_currency, 'valid_from', r.valid_from, 'rate', r.rate), 1
        FROM ar.conversion_rates r ORDER BY r.from_currency, r.to_currency, r.valid_from;
    WHEN 'price-lists' THEN
        RETURN QUERY SELECT p.code, p.name, jsonb_build_object('currency', p.currency), p.version FROM ar.price_lists p ORDER BY lower(p.code);
    WHEN 'payment-methods' THEN
        RETURN QUERY SELECT m.code, m.name, '{}'::jsonb, m.version FROM ar.payment_methods m ORDER BY lower(m.code);
    WHEN 'accounts' THEN
        RETURN QUERY SELECT a.code, a.name, jsonb_build_object('currency', a.currency, 'payment_methods',
            coalesce((SELECT jsonb_agg(m.code ORDER BY m.code) FROM ar.financial_account_methods am JOIN ar.payment_methods m ON m.id = am.method_id WHERE am.account_id = a.id), '[]')),
            a.version FROM ar.financial_accounts a ORDER BY lower(a.code);
    WHEN 'terms' THEN
        RETURN QUERY SELECT t.code, t.name, jsonb_build_object('net_days', t.net_days, 'cash_sales_only', t.cash_sales_only), t.version FROM ar.payment_terms t ORDER BY lower(t.code);
    WHEN 'schedules' THEN
        RETURN QUERY SELECT s.code, s.name, jsonb_build_object('description', s.description), s.version FROM ar.invoice_schedules s ORDER BY lower(s.code);
    WHEN 'taxes' THEN
        RETURN QUERY SELECT t.code, t.name, jsonb_build_object('rate', t.rate, 'exempt', t.exempt), t.version FROM ar.tax_rates t ORDER BY lower(t.code);
    WHEN 'tax-categories' THEN
        RETURN QUERY SELECT c.code, c.name, jsonb_build_object('tax_rates',
            coalesce((SELECT jsonb_agg(t.code ORDER BY t.code) FROM ar.tax_category_rates ct JOIN ar.tax_rates t ON t.id = ct.tax_rate_id WHERE ct.category_id = c.id), '[]')),
            c.version FROM ar.tax_categories c ORDER BY lower(c.code);
    WHEN 'employees' THEN
        RETURN QUERY SELECT e.code, e.name, jsonb_build_object('is_sales_rep', e.is_sales_rep), e.version FROM ar.employees e ORDER BY lower(e.code);
    ELSE
        PERFORM ar.fail('PG400', 'kind', format('there is no reference data kind %L', p_kind),
            'Use one of: currencies, rates, price-lists, payment-methods, accounts, terms, schedules, taxes, tax-categories, employees.');
    END CASE;
END
$$;
COMMENT ON FUNCTION api.list_reference(text) IS 'Lists one kind of reference data: code, name, the kind''s own details, version.';

-- Reference data is administered through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION
    api.save_currency(text, text, integer, integer),
    api.add_conversion_rate(text, text, numeric, date),
    api.save_price_list(text, text, text, integer),
    api.save_payment_method(text, text, integer),
    api.save_financial_account(text, text, text, text[], integer),
    api.save_payment_terms(text, text, integer, boolean, integer),
    api.save_invoice_schedule(text, text, text, integer),
    api.save_tax_rate(text, text, numeric, boolean, integer),
    api.save_tax_category(text, text, text[], integer),
    api.save_employee(text, text, boolean, integer)
FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.list_reference(text) TO postgate_client;

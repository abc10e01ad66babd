-- Price lists, payment methods, financial accounts, payment terms and invoice schedules: the
-- reference data a customer's invoices and payments are made with.
--
-- Each save_* function creates the row when its code is new, and changes it when the caller
-- passes the row's current version (a missing version is PG409, a stale one PG412).
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_price_list(p_code text, p_name text, p_currency text, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_currency text := ar.currency_code(p_currency, 'currency');
    v_row ar.price_lists;
    v_customers text;
BEGIN
    SELECT * INTO v_row FROM ar.price_lists WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.price_lists (code, name, currency) VALUES (v_code, ar.required_text(p_name, 'name'), v_currency);
        RETURN 1;
    END IF;
    PERFORM ar.check_version('price list', v_row.code, v_row.version, p_version);
    IF v_currency <> v_row.currency THEN
        SELECT string_agg(c.code, ', ' ORDER BY c.code) INTO v_customers
        FROM ar.customers c WHERE c.price_list_id = v_row.id AND NOT ar.rate_exists(c.currency, v_currency);
        IF v_customers IS NOT NULL THEN
            PERFORM ar.fail('PG422', 'currency',
                            format('price list %s is used by customers whose currency has no conversion rate to %s: %s',
                                   v_row.code, v_currency, v_customers),
                            format('Add conversion rates between %s and those customers'' currencies first, or keep the price list in %s.',
                                   v_currency, v_row.currency));
        END IF;
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

CREATE OR REPLACE FUNCTION api.save_financial_account(p_code text, p_name text, p_currency text, p_payment_methods text[],
                                                      p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_currency text := ar.currency_code(p_currency, 'currency');
    v_row ar.financial_accounts;
    v_methods bigint[];
    v_in_use text;
BEGIN
    SELECT array_agg(DISTINCT ar.lookup('payment_methods', m, 'payment_methods', 'payment method'))
    INTO v_methods FROM unnest(coalesce(p_payment_methods, '{}')) AS m;
    SELECT * INTO v_row FROM ar.financial_accounts WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.financial_accounts (code, name, currency) VALUES (v_code, ar.required_text(p_name, 'name'), v_currency)
        RETURNING * INTO v_row;
        INSERT INTO ar.financial_account_methods (account_id, method_id)
        SELECT v_row.id, m FROM unnest(coalesce(v_methods, '{}')) AS m;
        RETURN 1;
    END IF;
    PERFORM ar.check_version('financial account', v_row.code, v_row.version, p_version);
    SELECT string_agg(DISTINCT c.code, ', ') INTO v_in_use
    FROM ar.customers c WHERE c.financial_account_id = v_row.id AND c.payment_method_id <> ALL (coalesce(v_methods, '{}'));
    IF v_in_use IS NOT NULL THEN
        PERFORM ar.fail('PG422', 'payment_methods',
                        format('financial account %s must keep accepting the payment methods of customers %s', v_row.code, v_in_use),
                        'Change those customers'' payment method first, or keep the method on the account.');
    END IF;
    UPDATE ar.financial_accounts SET name = ar.required_text(p_name, 'name'), currency = v_currency, version = version + 1
    WHERE id = v_row.id;
    DELETE FROM ar.financial_account_methods WHERE account_id = v_row.id AND method_id <> ALL (coalesce(v_methods, '{}'));
    INSERT INTO ar.financial_account_methods (account_id, method_id)
    SELECT v_row.id, m FROM unnest(coalesce(v_methods, '{}')) AS m ON CONFLICT DO NOTHING;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_financial_account(text, text, text, text[], integer) IS
    'Adds a financial account with the payment methods it accepts, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_payment_terms(p_code text, p_name text, p_net_days integer DEFAULT 0,
                                                  p_cash_sales_only boolean DEFAULT false, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.payment_terms;
BEGIN
    IF p_net_days IS NULL OR p_net_days NOT BETWEEN 0 AND 3650 THEN
        PERFORM ar.fail('PG400', 'net_days', format('net_days must be between 0 and 3650, not %s', coalesce(p_net_days::text, 'empty')),
                        'Give the days from invoice date to due date (0: due at once).');
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
COMMENT ON FUNCTION api.save_payment_terms(text, text, integer, boolean, integer) IS
    'Adds payment terms (net days, Cash Sales Only), or changes them when given their version.';

CREATE OR REPLACE FUNCTION api.save_invoice_schedule(p_code text, p_name text, p_description text DEFAULT '', p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.invoice_schedules;
BEGIN
    SELECT * INTO v_row FROM ar.invoice_schedules WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.invoice_schedules (code, name, description)
        VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_description, ''));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('invoice schedule', v_row.code, v_row.version, p_version);
    UPDATE ar.invoice_schedules SET name = ar.required_text(p_name, 'name'), description = coalesce(p_description, ''), version = version + 1
    WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_invoice_schedule(text, text, text, integer) IS 'Adds an invoice schedule, or changes one when given its version.';

-- Reference data is administered through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION
    api.save_price_list(text, text, text, integer),
    api.save_payment_method(text, text, integer),
    api.save_financial_account(text, text, text, text[], integer),
    api.save_payment_terms(text, text, integer, boolean, integer),
    api.save_invoice_schedule(text, text, text, integer)
FROM postgate_client;

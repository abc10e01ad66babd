-- One listing of reference data for every kind, for the command line and other clients.
SET LOCAL ROLE postgate_owner;

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
        RETURN QUERY SELECT p.code, p.name, jsonb_build_object('currency', p.currency), p.version
        FROM ar.price_lists p ORDER BY lower(p.code);
    WHEN 'payment-methods' THEN
        RETURN QUERY SELECT m.code, m.name, '{}'::jsonb, m.version FROM ar.payment_methods m ORDER BY lower(m.code);
    WHEN 'accounts' THEN
        RETURN QUERY SELECT a.code, a.name, jsonb_build_object('currency', a.currency, 'payment_methods',
            coalesce((SELECT jsonb_agg(m.code ORDER BY m.code)
                      FROM ar.financial_account_methods am JOIN ar.payment_methods m ON m.id = am.method_id
                      WHERE am.account_id = a.id), '[]')),
            a.version FROM ar.financial_accounts a ORDER BY lower(a.code);
    WHEN 'terms' THEN
        RETURN QUERY SELECT t.code, t.name, jsonb_build_object('net_days', t.net_days, 'cash_sales_only', t.cash_sales_only), t.version
        FROM ar.payment_terms t ORDER BY lower(t.code);
    WHEN 'schedules' THEN
        RETURN QUERY SELECT s.code, s.name, jsonb_build_object('description', s.description), s.version
        FROM ar.invoice_schedules s ORDER BY lower(s.code);
    WHEN 'taxes' THEN
        RETURN QUERY SELECT t.code, t.name, jsonb_build_object('rate', t.rate, 'exempt', t.exempt), t.version
        FROM ar.tax_rates t ORDER BY lower(t.code);
    WHEN 'tax-categories' THEN
        RETURN QUERY SELECT c.code, c.name, jsonb_build_object('tax_rates',
            coalesce((SELECT jsonb_agg(t.code ORDER BY t.code)
                      FROM ar.tax_category_rates ct JOIN ar.tax_rates t ON t.id = ct.tax_rate_id
                      WHERE ct.category_id = c.id), '[]')),
            c.version FROM ar.tax_categories c ORDER BY lower(c.code);
    WHEN 'employees' THEN
        RETURN QUERY SELECT e.code, e.name, jsonb_build_object('is_sales_rep', e.is_sales_rep), e.version
        FROM ar.employees e ORDER BY lower(e.code);
    ELSE
        PERFORM ar.fail('PG400', 'kind', format('there is no reference data kind %L', p_kind),
            'Use one of: currencies, rates, price-lists, payment-methods, accounts, terms, schedules, taxes, tax-categories, employees.');
    END CASE;
END
$$;
COMMENT ON FUNCTION api.list_reference(text) IS 'Lists one kind of reference data: code, name, the kind''s own details, version.';
GRANT EXECUTE ON FUNCTION api.list_reference(text) TO postgate_client;

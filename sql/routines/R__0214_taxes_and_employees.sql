-- Tax rates, the business-partner tax categories that allow them, and employees (sales
-- representatives among them).
--
-- Each save_* function creates the row when its code is new, and changes it when the caller
-- passes the row's current version (a missing version is PG409, a stale one PG412).
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_tax_rate(p_code text, p_name text, p_rate numeric, p_exempt boolean DEFAULT false,
                                             p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.tax_rates;
BEGIN
    IF p_rate IS NULL OR p_rate < 0 OR p_rate > 100 OR scale(p_rate) > 4 THEN
        PERFORM ar.fail('PG400', 'rate',
                        format('rate must be a percentage from 0 to 100 with at most 4 decimals, not %s', coalesce(p_rate::text, 'empty')),
                        'Give the rate in percent, such as 21 or 5.5.');
    END IF;
    SELECT * INTO v_row FROM ar.tax_rates WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.tax_rates (code, name, rate, exempt)
        VALUES (v_code, ar.required_text(p_name, 'name'), p_rate, coalesce(p_exempt, false));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('tax rate', v_row.code, v_row.version, p_version);
    UPDATE ar.tax_rates SET name = ar.required_text(p_name, 'name'), rate = p_rate, exempt = coalesce(p_exempt, false), version = version + 1
    WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_tax_rate(text, text, numeric, boolean, integer) IS
    'Adds a tax rate (percent, exempt flag), or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_tax_category(p_code text, p_name text, p_tax_rates text[], p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.tax_categories;
    v_rates bigint[];
    v_created boolean := false;
BEGIN
    IF EXISTS (SELECT FROM unnest(p_tax_rates) r WHERE r IS NULL OR btrim(r) = '') THEN
        PERFORM ar.fail('PG400', 'tax_rates', 'a tax rate of tax_rates is empty', 'Give the codes of the tax rates the category allows.');
    END IF;
    SELECT array_agg(DISTINCT ar.lookup('tax_rates', r, 'tax_rates', 'tax rate'))
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
COMMENT ON FUNCTION api.save_tax_category(text, text, text[], integer) IS
    'Adds a business-partner tax category with the tax rates it allows, or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_employee(p_code text, p_name text, p_is_sales_rep boolean DEFAULT false, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.employees;
    v_customers text;
BEGIN
    SELECT * INTO v_row FROM ar.employees WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.employees (code, name, is_sales_rep)
        VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_is_sales_rep, false));
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
    UPDATE ar.employees SET name = ar.required_text(p_name, 'name'), is_sales_rep = coalesce(p_is_sales_rep, false), version = version + 1
    WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_employee(text, text, boolean, integer) IS
    'Adds an employee (optionally a sales representative), or changes one when given its version.';

-- Reference data is administered through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION
    api.save_tax_rate(text, text, numeric, boolean, integer),
    api.save_tax_category(text, text, text[], integer),
    api.save_employee(text, text, boolean, integer)
FROM postgate_client;

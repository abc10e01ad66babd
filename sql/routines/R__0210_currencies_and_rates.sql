-- Currencies and conversion rates: adding and changing them, and converting between them.
--
-- Each save_* function of reference data creates the row when its code is new, and changes it
-- when the caller passes the row's current version (a missing version is PG409, a stale one PG412).
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
        PERFORM ar.fail('PG400', 'minor_units',
                        format('minor_units must be between 0 and 4, not %s', coalesce(p_minor_units::text, 'empty')),
                        'Use 2 for most currencies, 0 for JPY, 3 for KWD.');
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
    UPDATE ar.currencies SET name = ar.required_text(p_name, 'name'), minor_units = p_minor_units, version = version + 1
    WHERE code = v_code;
    RETURN v_version + 1;
END
$$;
COMMENT ON FUNCTION api.save_currency(text, text, integer, integer) IS
    'Adds a currency, or changes one when given its version (its decimals only while no amount uses it).';

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
        PERFORM ar.fail('PG400', 'rate', format('rate must be greater than zero, not %s', coalesce(p_rate::text, 'empty')),
                        format('Give how many %s one %s is worth.', v_to, v_from));
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

-- The rate, or NULL when there is none: for facts that must say so rather than fail.
CREATE OR REPLACE FUNCTION ar.conversion_rate_or_null(p_from text, p_to text, p_on date) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_from = p_to THEN 1 ELSE coalesce(
        (SELECT rate FROM ar.conversion_rates
         WHERE from_currency = p_from AND to_currency = p_to AND valid_from <= p_on ORDER BY valid_from DESC LIMIT 1),
        (SELECT round(1 / rate, 10) FROM ar.conversion_rates
         WHERE from_currency = p_to AND to_currency = p_from AND valid_from <= p_on ORDER BY valid_from DESC LIMIT 1)) END
$$;
COMMENT ON FUNCTION ar.conversion_rate_or_null(text, text, date) IS
    'Units of p_to for one p_from on a date (as ar.conversion_rate chooses it), or NULL when no rate applies.';

CREATE OR REPLACE FUNCTION ar.conversion_rate(p_from text, p_to text, p_on date) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rate numeric := ar.conversion_rate_or_null(p_from, p_to, p_on);
BEGIN
    IF v_rate IS NULL THEN
        PERFORM ar.fail('PG424', 'rate', format('no conversion rate from %s to %s valid on %s', p_from, p_to, p_on),
                        format('Add a conversion rate from %s to %s that is valid from %s or earlier.', p_from, p_to, p_on));
    END IF;
    RETURN v_rate;
END
$$;
COMMENT ON FUNCTION ar.conversion_rate(text, text, date) IS
    'Units of p_to for one p_from on a date: the latest rate valid on or before it, else the inverse of the opposite pair, '
    'else a PG424 refusal.';

-- An amount as people read it: with its currency's decimals, and the currency.
CREATE OR REPLACE FUNCTION ar.amount_text(p_amount numeric, p_currency text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT round(p_amount, coalesce((SELECT minor_units FROM ar.currencies WHERE code = p_currency), 2))::text || ' ' || p_currency
$$;

CREATE OR REPLACE FUNCTION ar.rate_exists(p_a text, p_b text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_a = p_b OR EXISTS (
        SELECT FROM ar.conversion_rates
        WHERE (from_currency = p_a AND to_currency = p_b) OR (from_currency = p_b AND to_currency = p_a))
$$;
COMMENT ON FUNCTION ar.rate_exists(text, text) IS 'True when amounts can be converted between the two currencies on some date.';

-- The public face of the rate lookup.
CREATE OR REPLACE FUNCTION api.conversion_rate(p_from text, p_to text, p_on date) RETURNS numeric
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT ar.conversion_rate(ar.currency_code(p_from, 'from'), ar.currency_code(p_to, 'to'), p_on)
$$;
COMMENT ON FUNCTION api.conversion_rate(text, text, date) IS
    'Units of p_to for one p_from on a date (the inverse pair when only it exists); PG424 when there is none.';

-- Currencies and rates are administered through the service; other applications convert.
REVOKE EXECUTE ON FUNCTION api.save_currency(text, text, integer, integer), api.add_conversion_rate(text, text, numeric, date)
FROM postgate_client;
GRANT EXECUTE ON FUNCTION api.conversion_rate(text, text, date) TO postgate_client;

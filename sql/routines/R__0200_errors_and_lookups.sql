-- Shared helpers of the api functions: refusals with a project SQLSTATE, the field and a
-- sentence saying what to do; code lookups; conversion rates.
--
-- Project SQLSTATEs (mapped to domain errors in Swift, in DomainError.swift):
--   PG400 a field's value is invalid          PG404 a referenced code does not exist
--   PG409 the code already exists             PG412 the row changed since it was read (stale version)
--   PG422 a business rule refuses the change  PG423 the row is immutable
--   PG424 no conversion rate for a pair and date
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION ar.fail(p_sqlstate text, p_field text, p_message text, p_hint text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF p_hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message, COLUMN = coalesce(p_field, '');
    END IF;
    RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message, COLUMN = coalesce(p_field, ''), HINT = p_hint;
END
$$;
COMMENT ON FUNCTION ar.fail(text, text, text, text) IS 'Raises a refusal: project SQLSTATE, the field it concerns, a sentence, and what to do.';

CREATE OR REPLACE FUNCTION ar.required_text(p_value text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_value IS NULL OR btrim(p_value) = '' THEN
        PERFORM ar.fail('PG400', p_field, format('%s is required and cannot be blank', p_field), format('Give a value for %s.', p_field));
    END IF;
    IF p_value ~ '[[:cntrl:]]' THEN
        PERFORM ar.fail('PG400', p_field, format('%s holds a control character (a line break, tab or escape)', p_field),
                        format('Give %s as plain text on one line.', p_field));
    END IF;
    IF length(p_value) > 500 THEN
        PERFORM ar.fail('PG400', p_field, format('%s is %s characters long; at most 500 are kept', p_field, length(p_value)), NULL);
    END IF;
    RETURN btrim(p_value);
END
$$;
COMMENT ON FUNCTION ar.required_text(text, text) IS 'The trimmed text, or a PG400 refusal naming the field when it is missing, blank, holds control characters or is over 500 characters.';

-- A code or serial people type and search for: required text of at most 64 characters, with
-- no invisible characters (zero-width spaces and joiners, direction marks, byte-order marks).
CREATE OR REPLACE FUNCTION ar.code_text(p_value text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text;
BEGIN
    IF length(btrim(p_value)) > 64 THEN
        PERFORM ar.fail('PG400', p_field, format('%s is %s characters long; at most 64 are allowed', p_field, length(btrim(p_value))), NULL);
    END IF;
    v := ar.required_text(p_value, p_field);
    IF v ~ '[\u00AD\u200B-\u200F\u2028-\u202F\u2060-\u206F\uFEFF]' THEN
        PERFORM ar.fail('PG400', p_field, format('%s holds an invisible character (such as a zero-width space)', p_field),
                        format('Retype %s with visible characters only.', p_field));
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION ar.code_text(text, text) IS 'A code or serial: required text of at most 64 visible characters, trimmed; else a PG400 refusal naming the field.';

-- Refuses a JSON argument that is not an object, or that has a key not in p_known, naming it.
CREATE OR REPLACE FUNCTION ar.check_fields(p jsonb, p_known text[], p_noun text, p_prefix text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_key text;
BEGIN
    IF p IS NULL OR jsonb_typeof(p) <> 'object' THEN
        PERFORM ar.fail('PG400', p_prefix, format('%s is written as a JSON object of fields', p_noun), format('Use the fields %s.', array_to_string(p_known, ', ')));
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(p) LOOP
        IF v_key <> ALL (p_known) THEN
            PERFORM ar.fail('PG400', coalesce(p_prefix || '.', '') || v_key, format('%s is not a field of %s', v_key, p_noun),
                            format('Use the fields %s.', array_to_string(p_known, ', ')));
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ar.lookup(p_table text, p_code text, p_field text, p_noun text, p_command text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_code IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT id FROM ar.%I WHERE lower(code) = lower($1)', p_table) INTO v_id USING btrim(p_code);
    IF v_id IS NULL THEN
        PERFORM ar.fail('PG404', p_field, format('%s: there is no %s with code %L', p_field, p_noun, p_code),
                        format('Check the code, or create it first: %s', p_command));
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ar.lookup(text, text, text, text, text) IS 'The id of the row with this code (any case), or a PG404 refusal naming the field and how to create it. NULL for NULL.';

CREATE OR REPLACE FUNCTION ar.currency_code(p_code text, p_field text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_code text;
BEGIN
    SELECT code INTO v_code FROM ar.currencies WHERE code = upper(btrim(p_code));
    IF v_code IS NULL THEN
        PERFORM ar.fail('PG404', p_field, format('%s: there is no currency %L', p_field, p_code),
                        'Use a three-letter ISO code, or add it first: postgate ref currencies add CODE --name NAME');
    END IF;
    RETURN v_code;
END
$$;

CREATE OR REPLACE FUNCTION ar.check_version(p_noun text, p_code text, p_current integer, p_given integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_given IS NULL THEN
        PERFORM ar.fail('PG409', 'code', format('%s %s already exists (version %s)', p_noun, p_code, p_current),
                        format('To change it, pass its version (%s); to add another, choose a new code.', p_current));
    ELSIF p_given <> p_current THEN
        PERFORM ar.fail('PG412', 'version', format('%s %s was changed by someone else: it is now at version %s, not %s', p_noun, p_code, p_current, p_given),
                        'Read it again and reapply your change.');
    END IF;
END
$$;
COMMENT ON FUNCTION ar.check_version(text, text, integer, integer) IS 'Optimistic concurrency: refuses an update without the row version (PG409) or with a stale one (PG412).';

CREATE OR REPLACE FUNCTION ar.conversion_rate(p_from text, p_to text, p_on date) RETURNS numeric
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_rate numeric;
BEGIN
    IF p_from = p_to THEN
        RETURN 1;
    END IF;
    SELECT rate INTO v_rate FROM ar.conversion_rates
    WHERE from_currency = p_from AND to_currency = p_to AND valid_from <= p_on
    ORDER BY valid_from DESC LIMIT 1;
    IF v_rate IS NOT NULL THEN
        RETURN v_rate;
    END IF;
    SELECT 1 / rate INTO v_rate FROM ar.conversion_rates
    WHERE from_currency = p_to AND to_currency = p_from AND valid_from <= p_on
    ORDER BY valid_from DESC LIMIT 1;
    IF v_rate IS NULL THEN
        PERFORM ar.fail('PG424', 'rate', format('no conversion rate from %s to %s valid on %s', p_from, p_to, p_on),
                        format('Add one: postgate ref rates add %s %s RATE --valid-from %s', p_from, p_to, p_on));
    END IF;
    RETURN round(v_rate, 10);
END
$$;
COMMENT ON FUNCTION ar.conversion_rate(text, text, date) IS 'Units of p_to for one p_from on a date: the latest rate valid on or before it, else the inverse of the opposite pair, else a PG424 refusal.';

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
COMMENT ON FUNCTION api.conversion_rate(text, text, date) IS 'Units of p_to for one p_from on a date (the inverse pair when only it exists); PG424 when there is none.';
GRANT EXECUTE ON FUNCTION api.conversion_rate(text, text, date) TO postgate_client;

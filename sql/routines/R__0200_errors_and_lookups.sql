-- Shared helpers of the api functions: refusals with a project SQLSTATE, the field and a
-- sentence saying what to do; checks of text, JSON and decimal fields; code lookups; settings;
-- the trigger that keeps tables append-only.
--
-- Project SQLSTATEs (mapped to domain errors in Swift, in DomainError.swift):
--   PG400 a field's value is invalid          PG404 a referenced code does not exist
--   PG409 the code already exists             PG412 the row changed since it was read (stale version)
--   PG422 a business rule refuses the change  PG423 the row is immutable
--   PG424 no conversion rate for a pair and date
--
-- A refusal speaks of the data: its message names the field, the value and what is wrong or
-- missing, and its hint says what to change in the data. Clients add their own words on how to
-- do that with their tools, from the SQLSTATE and the field.
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

CREATE OR REPLACE FUNCTION ar.fail_missing(p_table text, p_field text, p_message text, p_hint text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PG404', MESSAGE = p_message, COLUMN = coalesce(p_field, ''), TABLE = p_table, HINT = p_hint;
END
$$;
COMMENT ON FUNCTION ar.fail_missing(text, text, text, text) IS
    'Raises PG404 for a code that names nothing, with the table of what it should name (so a client can say which kind to create), '
    'the field, a sentence and what to do.';

-- Text and codes.

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
COMMENT ON FUNCTION ar.required_text(text, text) IS
    'The trimmed text, or a PG400 refusal naming the field when it is missing, blank, holds control characters or is over 500 characters.';

-- A code or serial people type and search for: required text of at most 64 characters, with
-- no invisible characters (zero-width spaces and joiners, direction marks, byte-order marks).
CREATE OR REPLACE FUNCTION ar.code_text(p_value text, p_field text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v text;
BEGIN
    IF length(btrim(p_value)) > 64 THEN
        PERFORM ar.fail('PG400', p_field,
                        format('%s is %s characters long; at most 64 are allowed', p_field, length(btrim(p_value))), NULL);
    END IF;
    v := ar.required_text(p_value, p_field);
    IF v ~ '[\u00AD\u200B-\u200F\u2028-\u202F\u2060-\u206F\uFEFF]' THEN
        PERFORM ar.fail('PG400', p_field, format('%s holds an invisible character (such as a zero-width space)', p_field),
                        format('Retype %s with visible characters only.', p_field));
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION ar.code_text(text, text) IS
    'A code or serial: required text of at most 64 visible characters, trimmed; else a PG400 refusal naming the field.';

-- JSON arguments.

-- Refuses a JSON argument that is not an object, or that has a key not in p_known, naming it.
CREATE OR REPLACE FUNCTION ar.check_fields(p jsonb, p_known text[], p_noun text, p_prefix text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_key text;
BEGIN
    IF p IS NULL OR jsonb_typeof(p) <> 'object' THEN
        PERFORM ar.fail('PG400', p_prefix, format('%s is written as a JSON object of fields', p_noun),
                        format('Use the fields %s.', array_to_string(p_known, ', ')));
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(p) LOOP
        IF v_key <> ALL (p_known) THEN
            PERFORM ar.fail('PG400', coalesce(p_prefix || '.', '') || v_key, format('%s is not a field of %s', v_key, p_noun),
                            format('Use the fields %s.', array_to_string(p_known, ', ')));
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ar.json_value(p jsonb, p_key text, p_type text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v_value jsonb := p -> p_key;
    v_type text := jsonb_typeof(v_value);
BEGIN
    IF v_value IS NULL OR v_type = 'null' THEN
        RETURN NULL;
    END IF;
    IF v_type <> p_type
       AND NOT (p_type = 'number' AND v_type = 'string' AND (v_value #>> '{}') ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$') THEN
        PERFORM ar.fail('PG400', p_key, format('%s must be a %s, not %s', p_key,
            CASE p_type WHEN 'string' THEN 'text' WHEN 'boolean' THEN 'true or false' ELSE p_type END, v_value), NULL);
    END IF;
    RETURN v_value;
END
$$;
COMMENT ON FUNCTION ar.json_value(jsonb, text, text) IS
    'The value of a key of the expected JSON type (a number may come as a numeric string), NULL when absent or null, '
    'else a PG400 refusal naming the key.';

CREATE OR REPLACE FUNCTION ar.text_field(p jsonb, p_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT ar.json_value(p, p_key, 'string') #>> '{}'
$$;
COMMENT ON FUNCTION ar.text_field(jsonb, text) IS 'A text field of a JSON argument, NULL when absent or null; a PG400 refusal when it is not text.';

CREATE OR REPLACE FUNCTION ar.flag_field(p jsonb, p_key text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT (ar.json_value(p, p_key, 'boolean'))::boolean
$$;
COMMENT ON FUNCTION ar.flag_field(jsonb, text) IS 'A true-or-false field of a JSON argument, NULL when absent or null; else a PG400 refusal.';

-- A date written YYYY-MM-DD, given as a JSON value; NULL for NULL. The refusal names the value
-- by p_label (a key within the field), or by the field.
CREATE OR REPLACE FUNCTION ar.date_value(p_value jsonb, p_field text, p_label text DEFAULT NULL) RETURNS date
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (p_value #>> '{}')::date;
EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
    PERFORM ar.fail('PG400', p_field, format('%s %s is not a date', coalesce(p_label, p_field), p_value), 'Write dates as YYYY-MM-DD.');
    RETURN NULL;  -- never reached: ar.fail raises
END
$$;
COMMENT ON FUNCTION ar.date_value(jsonb, text, text) IS 'The date a JSON value holds, or a PG400 refusal naming the field and the value.';

-- A decimal field, refused (never rounded) when it has more decimals than stored or is too
-- large to store. NULL when absent.
CREATE OR REPLACE FUNCTION ar.checked_decimal(v numeric, p_field text, p_decimals integer, p_limit numeric) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF v IS NOT NULL AND scale(trim_scale(v)) > p_decimals THEN
        PERFORM ar.fail('PG400', p_field,
                        format('%s: %s has %s decimals, and at most %s are kept', p_field, v, scale(trim_scale(v)), p_decimals),
                        format('Give %s with at most %s decimals.', p_field, p_decimals));
    END IF;
    IF abs(v) >= p_limit THEN
        PERFORM ar.fail('PG400', p_field,
                        format('%s: %s is too large (the largest is %s)', p_field, v, trim_scale(p_limit - power(10::numeric, -p_decimals))),
                        NULL);
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION ar.checked_decimal(numeric, text, integer, numeric) IS
    'The number, or a PG400 refusal naming the field when it has more decimals than kept or is too large to store.';

CREATE OR REPLACE FUNCTION ar.decimal_field(p jsonb, p_key text, p_field text, p_decimals integer, p_limit numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$
    SELECT ar.checked_decimal((ar.json_value(p, p_key, 'number') #>> '{}')::numeric, p_field, p_decimals, p_limit)
$$;
COMMENT ON FUNCTION ar.decimal_field(jsonb, text, text, integer, numeric) IS
    'A number field of a JSON argument, checked against the decimals and size it is stored with: a PG400 refusal naming the field, '
    'never a rounding.';

-- Rows named by code.

DROP FUNCTION IF EXISTS ar.lookup(text, text, text, text, text);
CREATE OR REPLACE FUNCTION ar.lookup(p_table text, p_code text, p_field text, p_noun text) RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_code IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT id FROM ar.%I WHERE lower(code) = lower($1)', p_table) INTO v_id USING btrim(p_code);
    IF v_id IS NULL THEN
        PERFORM ar.fail_missing(p_table, p_field, format('%s: there is no %s with code %L', p_field, p_noun, p_code),
                        format('Create the %s first, or name an existing one.', p_noun));
    END IF;
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION ar.lookup(text, text, text, text) IS
    'The id of the row with this code (any case), or a PG404 refusal naming the field, the code and what is missing. NULL for NULL.';

CREATE OR REPLACE FUNCTION ar.currency_code(p_code text, p_field text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_code text;
BEGIN
    SELECT code INTO v_code FROM ar.currencies WHERE code = upper(btrim(p_code));
    IF v_code IS NULL THEN
        PERFORM ar.fail_missing('currencies', p_field, format('%s: there is no currency %L', p_field, p_code),
                        'Use the three-letter ISO code of a currency that exists, or add the currency first.');
    END IF;
    RETURN v_code;
END
$$;
COMMENT ON FUNCTION ar.currency_code(text, text) IS 'The code of an existing currency (any case), or a PG404 refusal naming the field and the code.';

-- Versions and settings.

CREATE OR REPLACE FUNCTION ar.check_version(p_noun text, p_code text, p_current integer, p_given integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_given IS NULL THEN
        PERFORM ar.fail('PG409', 'code', format('%s %s already exists (version %s)', p_noun, p_code, p_current),
                        format('To change it, pass its version (%s); to add another, choose a new code.', p_current));
    ELSIF p_given <> p_current THEN
        PERFORM ar.fail('PG412', 'version',
                        format('%s %s was changed by someone else: it is now at version %s, not %s', p_noun, p_code, p_current, p_given),
                        'Read it again and reapply your change.');
    END IF;
END
$$;
COMMENT ON FUNCTION ar.check_version(text, text, integer, integer) IS
    'Optimistic concurrency: refuses an update without the row version (PG409) or with a stale one (PG412).';

-- PL/pgSQL, not SQL: a SQL function that reads a table is planned again at every call, and the
-- posting reads settings several times per invoice; PL/pgSQL keeps the plan for the session.
CREATE OR REPLACE FUNCTION ar.setting(p_key text) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN (SELECT value FROM ar.settings WHERE key = p_key); END $$;
COMMENT ON FUNCTION ar.setting(text) IS 'The value of a global setting, NULL when there is none.';

-- Append-only tables refuse changes; the trigger's argument, when given, is the hint.
CREATE OR REPLACE FUNCTION ar.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
              HINT = coalesce(TG_ARGV[0], 'Correct it with a new entry (an adjustment, a credit note).');
END
$$;

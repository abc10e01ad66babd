-- Invoice number series (ar.invoice_series): added, listed, and given to locations. A series is
-- a range of the invoice numbers; a location with one numbers its invoices from it, so that tills
-- post without waiting for each other's numbers.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_invoice_series(p_code text, p_prefix text DEFAULT '', p_first bigint DEFAULT NULL,
                                                   p_last bigint DEFAULT NULL)
RETURNS TABLE (code text, prefix text, first_number bigint, last_number bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_prefix text := coalesce(p_prefix, '');
    v_first bigint;
    v_last bigint;
    v_other ar.invoice_series;
BEGIN
    IF v_prefix ~ '[[:cntrl:]]' OR length(v_prefix) > 16 THEN
        PERFORM ar.fail('PG400', 'prefix', 'a series prefix is at most 16 characters, without control characters', NULL);
    END IF;
    -- One series added at a time, so that the default range is free when it is written.
    LOCK TABLE ar.invoice_series IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO v_other FROM ar.invoice_series s WHERE lower(s.code) = lower(v_code);
    IF FOUND THEN
        PERFORM ar.fail('PG409', 'code', format('invoice number series %s already exists (numbers %s to %s)', v_other.code,
                        v_other.first_number, v_other.last_number), 'A series is never changed: add one with another code.');
    END IF;
    -- By default the next hundred million numbers after every series there is.
    v_first := coalesce(p_first, (SELECT max(s.last_number) + 1 FROM ar.invoice_series s), 1);
    IF v_first < 1 THEN
        PERFORM ar.fail('PG400', 'first', format('the first number of a series is 1 or more, not %s', v_first), NULL);
    END IF;
    IF p_last IS NULL AND v_first > 9223372036854775807 - 99999999 THEN
        PERFORM ar.fail('PG400', 'last', 'a series this high needs its last number', 'Give the last number of the series.');
    END IF;
    v_last := coalesce(p_last, v_first + 99999999);
    IF v_last < v_first THEN
        PERFORM ar.fail('PG400', 'last', format('the last number (%s) is before the first (%s)', v_last, v_first), NULL);
    END IF;
    SELECT * INTO v_other FROM ar.invoice_series s
    WHERE int8range(s.first_number, s.last_number, '[]') && int8range(v_first, v_last, '[]') ORDER BY s.first_number LIMIT 1;
    IF FOUND THEN
        PERFORM ar.fail('PG422', 'first', format('numbers %s to %s overlap series %s (%s to %s): an invoice number names one invoice',
                        v_first, v_last, v_other.code, v_other.first_number, v_other.last_number),
                        'Choose a range of its own, or leave out first and last for the next free one.');
    END IF;
    INSERT INTO ar.invoice_series (code, prefix, first_number, last_number, next) VALUES (v_code, v_prefix, v_first, v_last, v_first);
    RETURN QUERY SELECT v_code, v_prefix, v_first, v_last;
END
$$;
COMMENT ON FUNCTION api.save_invoice_series(text, text, bigint, bigint) IS
    'Adds an invoice number series: its code, the prefix printed before its numbers, and its range (by default the next hundred '
    'million numbers). Ranges never overlap; a series is never changed.';

CREATE OR REPLACE FUNCTION api.list_invoice_series()
RETURNS TABLE (code text, prefix text, first_number bigint, last_number bigint, next_number bigint, used bigint, locations text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT s.code, s.prefix, s.first_number, s.last_number, s.next, s.next - s.first_number,
           CASE WHEN s.code = 'COMPANY' THEN ARRAY['(every other location)']::text[] ELSE '{}'::text[] END
           || coalesce((SELECT array_agg(l.code ORDER BY lower(l.code)) FROM ar.locations l WHERE l.invoice_series = s.code), '{}')
    FROM ar.invoice_series s ORDER BY s.first_number
$$;
COMMENT ON FUNCTION api.list_invoice_series() IS
    'Invoice number series by range: prefix, first and last number, the next to take, how many are used, the locations numbered by each.';
GRANT EXECUTE ON FUNCTION api.list_invoice_series() TO postgate_client;

CREATE OR REPLACE FUNCTION api.set_location_series(p_location text, p_series text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_location bigint := ar.location_id(p_location, 'location');
    v_series text;
BEGIN
    IF p_series IS NOT NULL THEN
        SELECT s.code INTO v_series FROM ar.invoice_series s WHERE lower(s.code) = lower(btrim(p_series));
        IF NOT FOUND THEN
            PERFORM ar.fail_missing('invoice_series', 'series', format('there is no invoice number series %L', p_series),
                            'Name an existing series, or add it first.');
        END IF;
    END IF;
    UPDATE ar.locations SET invoice_series = nullif(v_series, 'COMPANY'), version = version + 1 WHERE id = v_location;
END
$$;
COMMENT ON FUNCTION api.set_location_series(text, text) IS
    'Numbers the invoices of a location from a series of its own; NULL or COMPANY: from the company''s series again. '
    'Invoices posted before keep their numbers.';

REVOKE EXECUTE ON FUNCTION api.save_invoice_series(text, text, bigint, bigint), api.set_location_series(text, text) FROM postgate_client;

-- Adjustment reason codes: reference data of customer adjustments.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_adjustment_reason(p_code text, p_name text, p_active boolean DEFAULT true, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.adjustment_reasons;
BEGIN
    SELECT * INTO v_row FROM ar.adjustment_reasons WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.adjustment_reasons (code, name, active) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_active, true));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('adjustment reason', v_row.code, v_row.version, p_version);
    UPDATE ar.adjustment_reasons SET name = ar.required_text(p_name, 'name'), active = coalesce(p_active, true), version = version + 1
    WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_adjustment_reason(text, text, boolean, integer) IS
    'Adds an adjustment reason code, or changes one when given its version.';

-- Reason codes are reference data: the service's.
REVOKE EXECUTE ON FUNCTION api.save_adjustment_reason(text, text, boolean, integer) FROM postgate_client;

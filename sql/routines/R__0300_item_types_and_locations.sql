-- The catalogue's reference data: customer item types (warranty and service intervals) and
-- stock locations.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.save_item_type(p_code text, p_name text, p_warranty_months integer DEFAULT 0,
                                              p_service_interval_months integer DEFAULT NULL, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.customer_item_types;
BEGIN
    IF p_warranty_months IS NULL OR p_warranty_months NOT BETWEEN 0 AND 600 THEN
        PERFORM ar.fail('PG400', 'warranty_months',
                        format('warranty_months must be between 0 and 600, not %s', coalesce(p_warranty_months::text, 'empty')),
                        'Give the warranty period in months (0: none).');
    END IF;
    IF p_service_interval_months IS NOT NULL AND p_service_interval_months NOT BETWEEN 1 AND 600 THEN
        PERFORM ar.fail('PG400', 'service_interval_months',
                        format('service_interval_months must be between 1 and 600, not %s', p_service_interval_months),
                        'Leave it empty for items that need no service.');
    END IF;
    SELECT * INTO v_row FROM ar.customer_item_types WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.customer_item_types (code, name, warranty_months, service_interval_months)
        VALUES (v_code, ar.required_text(p_name, 'name'), p_warranty_months, p_service_interval_months);
        RETURN 1;
    END IF;
    PERFORM ar.check_version('customer item type', v_row.code, v_row.version, p_version);
    UPDATE ar.customer_item_types SET name = ar.required_text(p_name, 'name'), warranty_months = p_warranty_months,
        service_interval_months = p_service_interval_months, version = version + 1 WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_item_type(text, text, integer, integer, integer) IS
    'Adds a customer item type (warranty and service interval in months), or changes one when given its version.';

CREATE OR REPLACE FUNCTION api.save_location(p_code text, p_name text, p_active boolean DEFAULT true, p_version integer DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_code text := ar.code_text(p_code, 'code');
    v_row ar.locations;
BEGIN
    SELECT * INTO v_row FROM ar.locations WHERE lower(code) = lower(v_code) FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO ar.locations (code, name, active) VALUES (v_code, ar.required_text(p_name, 'name'), coalesce(p_active, true));
        RETURN 1;
    END IF;
    PERFORM ar.check_version('location', v_row.code, v_row.version, p_version);
    UPDATE ar.locations SET name = ar.required_text(p_name, 'name'), active = coalesce(p_active, true), version = version + 1
    WHERE id = v_row.id;
    RETURN v_row.version + 1;
END
$$;
COMMENT ON FUNCTION api.save_location(text, text, boolean, integer) IS 'Adds a stock location, or changes one when given its version.';

-- The catalogue is administered through the service; other applications read it.
REVOKE EXECUTE ON FUNCTION api.save_item_type(text, text, integer, integer, integer), api.save_location(text, text, boolean, integer)
FROM postgate_client;

CREATE OR REPLACE FUNCTION api.list_locations(p_active_only boolean DEFAULT true)
RETURNS TABLE (code text, name text, active boolean, version integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT l.code, l.name, l.active, l.version FROM ar.locations l WHERE l.active OR NOT coalesce(p_active_only, true) ORDER BY lower(l.code)
$$;
COMMENT ON FUNCTION api.list_locations(boolean) IS 'Stock locations by code: the active ones, or all (p_active_only false).';
GRANT EXECUTE ON FUNCTION api.list_locations(boolean) TO postgate_client;

-- Adjustment imports: each import's rows are staged in a partition of staging.adjustment_import
-- of their own, which the importing session loads with COPY (the service, or psql's \copy), and
-- which only the login that began the import reads, through the owner's functions.
SET LOCAL ROLE postgate_owner;

-- Drops an import's rows and forgets it.
CREATE OR REPLACE FUNCTION ar.end_adjustment_import(p_import bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE IF EXISTS staging.%I', 'adjustment_import_' || p_import);
    DELETE FROM ar.adjustment_imports WHERE id = p_import;
END
$$;

-- An import's rows go into a partition of staging.adjustment_import of their own. The session
-- setting postgate.adjustment_import tells COPY which import the rows belong to.
DROP FUNCTION IF EXISTS api.begin_adjustment_import();
DROP FUNCTION IF EXISTS api.begin_adjustment_import(jsonb);
CREATE FUNCTION api.begin_adjustment_import(p_options jsonb DEFAULT '{}') RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_id bigint;
    v_stale bigint;
    v_order text;
BEGIN
    PERFORM ar.check_fields(coalesce(p_options, '{}'), ARRAY['date_order'], 'the import options');
    v_order := upper(coalesce(ar.text_field(p_options, 'date_order'), 'ISO'));
    IF v_order NOT IN ('ISO', 'MDY', 'DMY') THEN
        PERFORM ar.fail('PG400', 'date_order', format('date_order %L is not one of ISO, MDY, DMY', p_options ->> 'date_order'),
                        'ISO reads YYYY-MM-DD only; MDY also reads 11/01/2026 as November 1; DMY as 11 January.');
    END IF;
    -- Imports whose session is gone are swept, with their rows.
    FOR v_stale IN SELECT i.id FROM ar.adjustment_imports i
                   WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = i.backend)
                      OR (i.login = session_user AND i.backend = pg_catalog.pg_backend_pid()) LOOP
        PERFORM ar.end_adjustment_import(v_stale);
    END LOOP;
    INSERT INTO ar.adjustment_imports (date_order) VALUES (v_order) RETURNING id INTO v_id;
    EXECUTE format('CREATE TABLE staging.%I PARTITION OF staging.adjustment_import FOR VALUES IN (%s)', 'adjustment_import_' || v_id, v_id);
    PERFORM pg_catalog.set_config('postgate.adjustment_import', v_id::text, false);
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION api.begin_adjustment_import(jsonb) IS
    'Begins an adjustment import ({"date_order": "ISO" (default), "MDY" or "DMY"}): returns its id and makes it the session''s, '
    'so that COPY staging.adjustment_import (headings) FROM STDIN WITH (FORMAT csv, HEADER true) stages the file''s rows under it. '
    'Then api.validate_adjustment_import(id) and api.import_adjustments(id, ...).';

-- The caller's own import, or a refusal: an import is read only by the login that began it. Its
-- staged rows are analysed once, so that the checks join them to customers by hash, not row by row.
CREATE OR REPLACE FUNCTION ar.own_adjustment_import(p_import bigint) RETURNS ar.adjustment_imports
LANGUAGE plpgsql AS $$
DECLARE
    v ar.adjustment_imports;
BEGIN
    SELECT * INTO v FROM ar.adjustment_imports WHERE id = p_import AND login = session_user;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'import',
                        format('there is no adjustment import %s of login %s', coalesce(p_import::text, '(none)'), session_user),
                        'Begin one with api.begin_adjustment_import() and stage the rows in the same session.');
    END IF;
    IF (SELECT c.reltuples FROM pg_catalog.pg_class c
        WHERE c.oid = to_regclass(format('staging.%I', 'adjustment_import_' || p_import))) < 0 THEN
        EXECUTE format('ANALYZE staging.%I', 'adjustment_import_' || p_import);
    END IF;
    RETURN v;
END
$$;

DROP FUNCTION IF EXISTS api.discard_adjustment_import(bigint);
CREATE FUNCTION api.discard_adjustment_import(p_import bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.own_adjustment_import(p_import);
    PERFORM ar.end_adjustment_import(p_import);
END
$$;
COMMENT ON FUNCTION api.discard_adjustment_import(bigint) IS 'Ends an import without importing: its staged rows are dropped.';

DROP FUNCTION IF EXISTS ar.staged_adjustments(bigint);

GRANT EXECUTE ON FUNCTION api.begin_adjustment_import(jsonb), api.discard_adjustment_import(bigint) TO postgate_client;

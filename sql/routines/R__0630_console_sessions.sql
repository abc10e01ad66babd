-- The operator console's sessions, as rows every service instance reads: a browser may be sent
-- to any instance, and a restart signs nobody out. A session ends on sign-out, when its token is
-- removed (the row goes with it), and after its idle or absolute limit, which the service passes.
SET LOCAL ROLE postgate_owner;

-- The limits as the service states them: checked, so that a wrong one is an error, not a session
-- that never ends.
CREATE OR REPLACE FUNCTION ar.check_console_limits(p_idle interval, p_lifetime interval) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_idle IS NULL OR p_idle <= interval '0' THEN
        PERFORM ar.fail('PG400', 'idle', 'a console session''s idle limit is a positive interval', NULL);
    END IF;
    IF p_lifetime IS NULL OR p_lifetime <= interval '0' THEN
        PERFORM ar.fail('PG400', 'lifetime', 'a console session''s absolute limit is a positive interval', NULL);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION ar.check_console_session_id(p_id_hash text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_id_hash IS NULL OR p_id_hash !~ '^[0-9a-f]{64}$' THEN
        PERFORM ar.fail('PG400', 'session', 'a console session is named by its SHA-256 in 64 lowercase hex digits', NULL);
    END IF;
END
$$;

-- Signs in: a new session of the token with this SHA-256, or none (false) when there is no such
-- token. Sessions past their limits are swept on the way.
CREATE OR REPLACE FUNCTION api.start_console_session(p_token_hash text, p_id_hash text, p_csrf text, p_idle interval, p_lifetime interval)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_token bigint;
BEGIN
    PERFORM ar.check_console_session_id(p_id_hash);
    PERFORM ar.check_console_limits(p_idle, p_lifetime);
    IF p_csrf IS NULL OR length(p_csrf) < 32 THEN
        PERFORM ar.fail('PG400', 'csrf', 'a console session''s CSRF token has at least 32 characters', NULL);
    END IF;
    DELETE FROM ar.console_sessions s WHERE s.last_seen < now() - p_idle OR s.started_at < now() - p_lifetime;
    SELECT t.id INTO v_token FROM ar.api_tokens t WHERE t.token_hash = p_token_hash;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO ar.console_sessions (id_hash, token_id, csrf) VALUES (p_id_hash, v_token, p_csrf);
    RETURN true;
END
$$;
COMMENT ON FUNCTION api.start_console_session(text, text, text, interval, interval) IS
    'Signs a console user in with the token of this SHA-256: records the session (by its id''s SHA-256) and its CSRF token; false when the token is not known.';

-- The live session with this id, touched, with its token's name and role; no row when it is
-- unknown, has ended, or has passed a limit (then it is ended).
CREATE OR REPLACE FUNCTION api.console_session(p_id_hash text, p_idle interval, p_lifetime interval)
RETURNS TABLE (csrf text, token_name text, token_role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM ar.check_console_session_id(p_id_hash);
    PERFORM ar.check_console_limits(p_idle, p_lifetime);
    DELETE FROM ar.console_sessions s WHERE s.id_hash = p_id_hash AND (s.last_seen < now() - p_idle OR s.started_at < now() - p_lifetime);
    RETURN QUERY
    UPDATE ar.console_sessions s SET last_seen = now()
    FROM ar.api_tokens t
    WHERE s.id_hash = p_id_hash AND t.id = s.token_id
    RETURNING s.csrf, t.name, t.role;
END
$$;
COMMENT ON FUNCTION api.console_session(text, interval, interval) IS
    'A live console session (touched) with its CSRF token and its token''s name and role; nothing when it is unknown or past its idle or absolute limit (which ends it).';

CREATE OR REPLACE FUNCTION api.end_console_session(p_id_hash text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    DELETE FROM ar.console_sessions s WHERE s.id_hash = p_id_hash
$$;
COMMENT ON FUNCTION api.end_console_session(text) IS 'Signs a console session out.';

CREATE OR REPLACE FUNCTION api.set_console_flash(p_id_hash text, p_kind text, p_text text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('ok', 'warn', 'error') THEN
        PERFORM ar.fail('PG400', 'kind', format('%L is not a kind of console message', p_kind), 'Use ok, warn or error.');
    END IF;
    UPDATE ar.console_sessions s SET flash_kind = p_kind, flash_text = p_text WHERE s.id_hash = p_id_hash;
END
$$;
COMMENT ON FUNCTION api.set_console_flash(text, text, text) IS 'Leaves a message for the session''s next page.';

CREATE OR REPLACE FUNCTION api.take_console_flash(p_id_hash text) RETURNS TABLE (kind text, message text)
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    UPDATE ar.console_sessions s SET flash_kind = NULL, flash_text = NULL
    FROM ar.console_sessions old
    WHERE s.id_hash = p_id_hash AND old.id_hash = s.id_hash AND old.flash_kind IS NOT NULL
    RETURNING old.flash_kind, old.flash_text
$$;
COMMENT ON FUNCTION api.take_console_flash(text) IS 'The message left for the session''s next page, once.';

-- The session's latest previews, newest last; only the four newest are kept.
CREATE OR REPLACE FUNCTION api.keep_console_preview(p_id_hash text, p_token uuid, p_preview jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_token IS NULL OR p_preview IS NULL OR jsonb_typeof(p_preview) <> 'object' THEN
        PERFORM ar.fail('PG400', 'preview', 'a console preview is a JSON object kept under its token', NULL);
    END IF;
    UPDATE ar.console_sessions s
    SET previews = (SELECT coalesce(jsonb_agg(e.kept ORDER BY e.n), '[]')
                    FROM (SELECT k.kept, k.n, count(*) OVER () - k.n AS newer
                          FROM jsonb_array_elements(s.previews || jsonb_build_array(jsonb_build_object('token', p_token, 'preview', p_preview)))
                               WITH ORDINALITY AS k(kept, n)) e
                    WHERE e.newer < 4)
    WHERE s.id_hash = p_id_hash;
END
$$;
COMMENT ON FUNCTION api.keep_console_preview(text, uuid, jsonb) IS 'Keeps a preview for the session''s preview page (the four newest are kept).';

CREATE OR REPLACE FUNCTION api.console_preview(p_id_hash text, p_token uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT k.kept -> 'preview'
    FROM ar.console_sessions s, jsonb_array_elements(s.previews) WITH ORDINALITY AS k(kept, n)
    WHERE s.id_hash = p_id_hash AND k.kept ->> 'token' = p_token::text
    ORDER BY k.n DESC LIMIT 1
$$;
COMMENT ON FUNCTION api.console_preview(text, uuid) IS 'The session''s newest kept preview of this token; NULL when it kept none.';

REVOKE EXECUTE ON FUNCTION api.start_console_session(text, text, text, interval, interval), api.console_session(text, interval, interval),
    api.end_console_session(text), api.set_console_flash(text, text, text), api.take_console_flash(text),
    api.keep_console_preview(text, uuid, jsonb), api.console_preview(text, uuid)
FROM PUBLIC, postgate_client, postgate_reporting;

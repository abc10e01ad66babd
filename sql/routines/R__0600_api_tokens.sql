-- The HTTP service's tokens: made and removed by an administrator through the service's login,
-- looked up by the service for each request. Only SHA-256 hashes are stored.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE FUNCTION api.add_api_token(p_name text, p_role text, p_token_hash text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_.-]{0,62}$' THEN
        PERFORM ar.fail('PG400', 'name', format('token name %L is not valid', p_name),
                        'Use 1 to 63 lowercase letters, digits, ''_'', ''.'' or ''-'', starting with a letter.');
    END IF;
    IF p_role IS NULL OR p_role NOT IN ('poster', 'clerk', 'reader') THEN
        PERFORM ar.fail('PG400', 'role', format('%L is not a token role', p_role), 'Use poster, clerk or reader.');
    END IF;
    IF p_token_hash IS NULL OR p_token_hash !~ '^[0-9a-f]{64}$' THEN
        PERFORM ar.fail('PG400', 'token_hash', 'a token is stored as its SHA-256 in 64 lowercase hex digits', NULL);
    END IF;
    IF EXISTS (SELECT FROM ar.api_tokens t WHERE t.name = p_name) THEN
        PERFORM ar.fail('PG409', 'name', format('there is already a token named %s', p_name), 'Remove it first, or choose another name.');
    END IF;
    INSERT INTO ar.api_tokens (name, role, token_hash) VALUES (p_name, p_role, p_token_hash);
END
$$;
COMMENT ON FUNCTION api.add_api_token(text, text, text) IS 'Records a token of the HTTP service by its SHA-256: its name (the actor it posts as) and role.';

CREATE OR REPLACE FUNCTION api.remove_api_token(p_name text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    DELETE FROM ar.api_tokens t WHERE t.name = p_name;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'name', format('there is no token named %L', p_name), 'List the tokens to see their names.');
    END IF;
END
$$;
COMMENT ON FUNCTION api.remove_api_token(text) IS 'Removes a token of the HTTP service: requests that carry it are refused from then on.';

CREATE OR REPLACE FUNCTION api.api_token(p_token_hash text)
RETURNS TABLE (name text, role text) LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT t.name, t.role FROM ar.api_tokens t WHERE t.token_hash = p_token_hash
$$;
COMMENT ON FUNCTION api.api_token(text) IS 'The name and role of the token with this SHA-256; no row when there is none.';

CREATE OR REPLACE FUNCTION api.list_api_tokens()
RETURNS TABLE (name text, role text, created_by name, created_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT t.name, t.role, t.created_by, t.created_at FROM ar.api_tokens t ORDER BY t.name
$$;
COMMENT ON FUNCTION api.list_api_tokens() IS 'The tokens of the HTTP service, by name, without their hashes.';

-- The service's own: no client reads or makes tokens.
REVOKE EXECUTE ON FUNCTION api.add_api_token(text, text, text), api.remove_api_token(text), api.api_token(text), api.list_api_tokens()
FROM PUBLIC, postgate_client, postgate_reporting;

-- Idempotency keys of the HTTP service. A key is claimed, the request runs and the key is answered
-- with its response, all in one transaction: the key and the effect are committed together or not
-- at all. While the transaction runs it holds the key's lock, so a replay meanwhile is told the
-- key is running; a claim that finds the key answered returns the stored response.
SET LOCAL ROLE postgate_owner;

-- Claims a key for the calling transaction: 'claimed' (run the request), 'replay' (with the stored
-- response), 'running' (another transaction holds the key), or 'mismatch' (the key was used for
-- another request). Keys older than the time to live are swept first.
CREATE OR REPLACE FUNCTION api.claim_idempotency_key(p_scope text, p_key text, p_fingerprint text, p_ttl interval)
RETURNS TABLE (outcome text, response_status integer, response_type text, response_body text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
#variable_conflict use_column
DECLARE
    v ar.idempotency_keys;
BEGIN
    IF p_key IS NULL OR length(p_key) NOT BETWEEN 1 AND 255 THEN
        PERFORM ar.fail('PG400', 'Idempotency-Key', 'an idempotency key is 1 to 255 characters', 'Send a new random key with each new request.');
    END IF;
    IF p_scope IS NULL OR length(p_scope) > 255 OR p_fingerprint IS NULL OR length(p_fingerprint) > 255 OR p_ttl IS NULL THEN
        PERFORM ar.fail('PG400', 'Idempotency-Key', 'a key is claimed for a token (at most 255 characters), with the request''s fingerprint and a time to live',
                        NULL);
    END IF;
    -- A key that is answered is replayed without its lock, so that replays sent at once all get
    -- the stored response; the lock is only for a key that is not answered yet.
    SELECT * INTO v FROM ar.idempotency_keys k
    WHERE k.scope = p_scope AND k.key = p_key AND k.status = 'done' AND k.created_at >= now() - p_ttl;
    IF NOT FOUND AND NOT pg_try_advisory_xact_lock(hashtextextended(p_scope || chr(31) || p_key, 7)) THEN
        -- Held by the request that runs with the key, or by one that answered it just now.
        SELECT * INTO v FROM ar.idempotency_keys k
        WHERE k.scope = p_scope AND k.key = p_key AND k.status = 'done' AND k.created_at >= now() - p_ttl;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'running'::text, NULL::integer, NULL::text, NULL::text;
            RETURN;
        END IF;
    END IF;
    IF v.key IS NOT NULL THEN
        RETURN QUERY SELECT CASE WHEN v.fingerprint <> p_fingerprint THEN 'mismatch' ELSE 'replay' END,
                            v.response_status, v.response_type, v.response_body;
        RETURN;
    END IF;
    DELETE FROM ar.idempotency_keys k WHERE k.created_at < now() - p_ttl;
    -- A key left running holds no lock: the transaction that claimed it is gone, and so is its effect.
    DELETE FROM ar.idempotency_keys k WHERE k.scope = p_scope AND k.key = p_key AND k.status = 'running';
    INSERT INTO ar.idempotency_keys (scope, key, fingerprint) VALUES (p_scope, p_key, p_fingerprint)
    ON CONFLICT (scope, key) DO NOTHING;
    IF FOUND THEN
        RETURN QUERY SELECT 'claimed'::text, NULL::integer, NULL::text, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO v FROM ar.idempotency_keys k WHERE k.scope = p_scope AND k.key = p_key;
    RETURN QUERY SELECT CASE WHEN v.fingerprint <> p_fingerprint THEN 'mismatch' ELSE 'replay' END,
                        v.response_status, v.response_type, v.response_body;
END
$$;
COMMENT ON FUNCTION api.claim_idempotency_key(text, text, text, interval) IS
    'Claims an idempotency key for the calling transaction: claimed, replay (with the stored response), running, or mismatch.';

-- Stores the response of a key claimed in this transaction; a request that failed for a passing
-- reason gives its key back instead (p_status NULL), so that the client may try again.
CREATE OR REPLACE FUNCTION api.answer_idempotency_key(p_scope text, p_key text, p_status integer, p_type text, p_body text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_status IS NULL THEN
        DELETE FROM ar.idempotency_keys WHERE scope = p_scope AND key = p_key AND status = 'running';
        RETURN;
    END IF;
    UPDATE ar.idempotency_keys SET status = 'done', response_status = p_status, response_type = p_type, response_body = p_body
    WHERE scope = p_scope AND key = p_key;
END
$$;
COMMENT ON FUNCTION api.answer_idempotency_key(text, text, integer, text, text) IS 'Stores the response of a claimed key, or gives the key back.';

REVOKE EXECUTE ON FUNCTION api.claim_idempotency_key(text, text, text, interval), api.answer_idempotency_key(text, text, integer, text, text)
FROM PUBLIC, postgate_client, postgate_reporting;

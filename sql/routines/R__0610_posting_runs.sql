-- Mass postings run by the service, as rows any instance can read.
SET LOCAL ROLE postgate_owner;

-- Starts a run of a preview's token; a run already going is refused, a finished or stopped one
-- starts again (the confirmation skips what it posted before).
CREATE OR REPLACE FUNCTION api.start_posting_run(p_token uuid, p_actor text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_total integer;
BEGIN
    SELECT jsonb_array_length(t.invoices) INTO v_total FROM ar.preview_tokens t WHERE t.token = p_token;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'token', format('there is no preview %s', p_token), 'Preview the selection first.');
    END IF;
    INSERT INTO ar.posting_runs AS r (token, total, actor) VALUES (p_token, v_total, coalesce(nullif(btrim(p_actor), ''), session_user))
    ON CONFLICT (token) DO UPDATE SET status = 'running', stopped_because = NULL, finished_at = NULL, started_at = now(),
        actor = excluded.actor, started_by = session_user
    WHERE r.status <> 'running';
    IF NOT FOUND THEN
        PERFORM ar.fail('PG409', 'token', format('the posting run of preview %s is already running', p_token), 'Follow it until it ends.');
    END IF;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION api.start_posting_run(uuid, text) IS 'Starts the run of a preview''s confirmation; refused while one runs. Returns how many invoices it covers.';

CREATE OR REPLACE FUNCTION api.record_posting_run(p_token uuid, p_status text, p_posted integer, p_already integer, p_not_posted integer,
                                                  p_stopped_because text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    UPDATE ar.posting_runs SET status = p_status, posted = p_posted, already_posted = p_already, not_posted = p_not_posted,
        stopped_because = p_stopped_because, finished_at = CASE WHEN p_status = 'running' THEN NULL ELSE now() END
    -- A progress report that arrives after the end changes nothing.
    WHERE token = p_token AND status = 'running'
$$;
COMMENT ON FUNCTION api.record_posting_run(uuid, text, integer, integer, integer, text) IS 'Records a run''s progress, and its end.';

CREATE OR REPLACE FUNCTION api.posting_run(p_token uuid)
RETURNS TABLE (token uuid, status text, total integer, posted integer, already_posted integer, not_posted integer, stopped_because text,
               actor text, started_at timestamptz, finished_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT r.token, r.status, r.total, r.posted, r.already_posted, r.not_posted, r.stopped_because, r.actor, r.started_at, r.finished_at
    FROM ar.posting_runs r WHERE r.token = p_token
$$;
COMMENT ON FUNCTION api.posting_run(uuid) IS 'A posting run: its status, progress and result.';

REVOKE EXECUTE ON FUNCTION api.start_posting_run(uuid, text), api.record_posting_run(uuid, text, integer, integer, integer, text),
    api.posting_run(uuid)
FROM PUBLIC, postgate_client, postgate_reporting;

-- Mass postings run by the service, as rows any instance can read.
SET LOCAL ROLE postgate_owner;

-- Starts a run of a preview's token; a run already going is refused, a finished or stopped one
-- starts again (the confirmation skips what it posted before).
CREATE OR REPLACE FUNCTION ar.posting_run_lock(p_token uuid) RETURNS bigint
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT hashtextextended('postgate.posting_run:' || p_token::text, 0)
$$;
COMMENT ON FUNCTION ar.posting_run_lock(uuid) IS 'The advisory lock a posting run''s session holds while it runs.';

CREATE OR REPLACE FUNCTION api.release_posting_run(p_token uuid) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT pg_advisory_unlock(ar.posting_run_lock(p_token))
$$;
COMMENT ON FUNCTION api.release_posting_run(uuid) IS 'Releases the lock of a posting run this session ran, once it has ended.';

CREATE OR REPLACE FUNCTION api.start_posting_run(p_token uuid, p_actor text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_total integer;
    v_blocked integer;
BEGIN
    SELECT jsonb_array_length(t.invoices) INTO v_total FROM ar.preview_tokens t WHERE t.token = p_token;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'token', format('there is no preview %s', p_token), 'Preview the selection first.');
    END IF;
    v_blocked := api.preview_blocked(p_token);
    IF v_blocked > 0 THEN
        PERFORM ar.fail('PG422', 'token',
                        format('the preview showed %s blocked invoices, so its selection cannot be posted as a whole', v_blocked),
                        'Fix what their findings say and preview again, or preview only the invoices that may be posted (those whose can_post is true).');
    END IF;
    -- The session that runs a posting holds its lock until it ends, or until it dies: a run
    -- recorded as running whose lock is free was left by a process that stopped, and resumes.
    IF NOT pg_try_advisory_lock(ar.posting_run_lock(p_token)) THEN
        PERFORM ar.fail('PG409', 'token', format('the posting run of preview %s is already running', p_token), 'Follow it until it ends.');
    END IF;
    INSERT INTO ar.posting_runs AS r (token, total, actor) VALUES (p_token, v_total, coalesce(nullif(btrim(p_actor), ''), session_user))
    ON CONFLICT (token) DO UPDATE SET status = 'running', stopped_because = NULL, finished_at = NULL, started_at = now(),
        actor = excluded.actor, started_by = session_user;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION api.start_posting_run(uuid, text) IS 'Starts the run of a preview''s confirmation and takes its lock for this session; refused while a session runs it, and when the preview showed blocked invoices. Returns how many invoices it covers.';

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
    api.posting_run(uuid), api.release_posting_run(uuid)
FROM PUBLIC, postgate_client, postgate_reporting;

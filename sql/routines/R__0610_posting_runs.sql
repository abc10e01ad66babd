-- Mass postings run by the service, as rows any instance can read. A run is held by a lease in
-- its row, renewed by its runner: nothing of it lives in a database session, so it runs through a
-- pooler in transaction mode, and a run whose runner died is taken over once its lease has ended.
SET LOCAL ROLE postgate_owner;

-- Starts a run of a preview's token, held by p_holder until now + p_lease; a run still held by
-- another runner is refused, a finished or stopped one, or one whose lease has ended, starts
-- again (the confirmation skips what it posted before).
CREATE OR REPLACE FUNCTION api.start_posting_run(p_token uuid, p_actor text, p_holder uuid, p_lease interval) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_total integer;
    v_blocked integer;
    v_run ar.posting_runs;
BEGIN
    IF p_holder IS NULL THEN
        PERFORM ar.fail('PG400', 'holder', 'a posting run needs the id of the runner that holds it', NULL);
    END IF;
    IF p_lease IS NULL OR p_lease < interval '1 second' OR p_lease > interval '1 hour' THEN
        PERFORM ar.fail('PG400', 'lease', format('a posting run''s lease is between 1 second and 1 hour, not %s', coalesce(p_lease::text, 'none')), NULL);
    END IF;
    PERFORM FROM ar.preview_tokens t WHERE t.token = p_token;
    IF NOT FOUND THEN
        PERFORM ar.fail('PG404', 'token', format('there is no preview %s', p_token), 'Preview the selection first.');
    END IF;
    SELECT count(*) INTO v_total FROM ar.preview_items i WHERE i.token = p_token;
    v_blocked := api.preview_blocked(p_token);
    IF v_blocked > 0 THEN
        PERFORM ar.fail('PG422', 'token',
                        format('the preview showed %s blocked invoices, so its selection cannot be posted as a whole', v_blocked),
                        'Fix what their findings say and preview again, or preview only the invoices that may be posted (those whose can_post is true).');
    END IF;
    INSERT INTO ar.posting_runs AS r (token, total, actor, lease_holder, lease_until)
    VALUES (p_token, v_total, coalesce(nullif(btrim(p_actor), ''), session_user), p_holder, clock_timestamp() + p_lease)
    ON CONFLICT (token) DO UPDATE SET status = 'running', stopped_because = NULL, finished_at = NULL, started_at = now(),
        actor = excluded.actor, started_by = session_user, lease_holder = excluded.lease_holder, lease_until = excluded.lease_until
    -- Running and held: refused. A run left running with no lease, or one that ended, is free.
    WHERE r.status <> 'running' OR r.lease_until IS NULL OR r.lease_until < clock_timestamp() OR r.lease_holder = p_holder
    RETURNING r.* INTO v_run;
    IF NOT FOUND THEN
        SELECT * INTO v_run FROM ar.posting_runs r WHERE r.token = p_token;
        PERFORM ar.fail('PG409', 'token', format('the posting run of preview %s is already running', p_token),
                        format('Follow it until it ends. If its service instance stopped, the run can be started again after %s, when its lease ends.',
                               to_char(v_run.lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')));
    END IF;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION api.start_posting_run(uuid, text, uuid, interval) IS 'Starts the run of a preview''s confirmation, held by runner p_holder for p_lease unless renewed; refused while another runner''s lease holds it, and when the preview showed blocked invoices. Returns how many invoices it covers.';

-- Renews the lease of a run its holder is running; false when the run has ended or another
-- runner has taken it over, and the holder must stop.
CREATE OR REPLACE FUNCTION api.renew_posting_run(p_token uuid, p_holder uuid, p_lease interval) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_lease IS NULL OR p_lease < interval '1 second' OR p_lease > interval '1 hour' THEN
        PERFORM ar.fail('PG400', 'lease', format('a posting run''s lease is between 1 second and 1 hour, not %s', coalesce(p_lease::text, 'none')), NULL);
    END IF;
    UPDATE ar.posting_runs SET lease_until = clock_timestamp() + p_lease
    WHERE token = p_token AND status = 'running' AND lease_holder = p_holder;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION api.renew_posting_run(uuid, uuid, interval) IS 'Renews a running run''s lease for its holder; false when the holder no longer holds it (it ended, or another runner took it over).';

CREATE OR REPLACE FUNCTION api.record_posting_run(p_token uuid, p_holder uuid, p_status text, p_posted integer, p_already integer,
                                                  p_not_posted integer, p_stopped_because text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = ar, pg_temp AS $$
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('running', 'finished', 'stopped') THEN
        PERFORM ar.fail('PG400', 'status', format('%L is not a posting run''s status', p_status), 'Use running, finished or stopped.');
    END IF;
    UPDATE ar.posting_runs SET status = p_status, posted = p_posted, already_posted = p_already, not_posted = p_not_posted,
        stopped_because = p_stopped_because, finished_at = CASE WHEN p_status = 'running' THEN NULL ELSE now() END,
        lease_until = CASE WHEN p_status = 'running' THEN lease_until END,
        lease_holder = CASE WHEN p_status = 'running' THEN lease_holder END
    -- A report that arrives after the end, or from a runner whose run was taken over, changes nothing.
    WHERE token = p_token AND status = 'running' AND lease_holder = p_holder;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION api.record_posting_run(uuid, uuid, text, integer, integer, integer, text) IS 'Records a run''s progress, and its end (which ends its lease), for the runner holding it; false when it no longer does.';

CREATE OR REPLACE FUNCTION api.posting_run(p_token uuid)
RETURNS TABLE (token uuid, status text, total integer, posted integer, already_posted integer, not_posted integer, stopped_because text,
               actor text, started_at timestamptz, finished_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    -- A run left running whose lease has ended has no runner: it is stopped, and starts again.
    SELECT r.token, CASE WHEN r.status = 'running' AND NOT l.held THEN 'stopped' ELSE r.status END, r.total, r.posted, r.already_posted,
           r.not_posted,
           CASE WHEN r.status = 'running' AND NOT l.held
                THEN 'the service instance running it stopped or lost the database; start it again to post the rest'
                ELSE r.stopped_because END,
           r.actor, r.started_at, r.finished_at
    FROM ar.posting_runs r, LATERAL (SELECT coalesce(r.lease_until >= clock_timestamp(), false) AS held) l
    WHERE r.token = p_token
$$;
COMMENT ON FUNCTION api.posting_run(uuid) IS 'A posting run: its status, progress and result. A run whose runner''s lease ended without it ending is stopped.';

REVOKE EXECUTE ON FUNCTION api.start_posting_run(uuid, text, uuid, interval), api.renew_posting_run(uuid, uuid, interval),
    api.record_posting_run(uuid, uuid, text, integer, integer, integer, text), api.posting_run(uuid)
FROM PUBLIC, postgate_client, postgate_reporting;

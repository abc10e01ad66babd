-- V0012: nothing of the service's lives in a database session any more, so that it runs through a
-- pooler in transaction mode (PgBouncer) and on any instance: a posting run is held by a lease in
-- its row instead of a session's advisory lock, and the console's sessions are rows.
SET LOCAL ROLE postgate_owner;

-- A run's runner renews its lease while it runs; a run whose lease has ended (its process or its
-- connection died) is taken over by whoever starts it again.
ALTER TABLE ar.posting_runs
    ADD COLUMN lease_holder uuid,
    ADD COLUMN lease_until  timestamptz;
COMMENT ON COLUMN ar.posting_runs.lease_holder IS 'The runner holding the run while it is running: any instance may take it over once lease_until has passed.';
COMMENT ON COLUMN ar.posting_runs.lease_until IS 'Until when the runner''s lease holds unless renewed; NULL once the run has ended.';

DROP FUNCTION IF EXISTS api.start_posting_run(uuid, text);
DROP FUNCTION IF EXISTS api.release_posting_run(uuid);
DROP FUNCTION IF EXISTS api.record_posting_run(uuid, text, integer, integer, integer, text);
DROP FUNCTION IF EXISTS ar.posting_run_lock(uuid);

-- A signed-in console user. The cookie carries the session's id; only its SHA-256 is stored. The
-- token it signed in with is referenced, so that removing the token ends its sessions.
CREATE TABLE ar.console_sessions (
    id_hash    text PRIMARY KEY CONSTRAINT console_sessions_id_hash_check CHECK (id_hash ~ '^[0-9a-f]{64}$'),
    token_id   bigint NOT NULL CONSTRAINT console_sessions_token_fkey REFERENCES ar.api_tokens ON DELETE CASCADE,
    csrf       text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    flash_kind text CONSTRAINT console_sessions_flash_kind_check CHECK (flash_kind IN ('ok', 'warn', 'error')),
    flash_text text,
    previews   jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX console_sessions_token_idx ON ar.console_sessions (token_id);
CREATE INDEX console_sessions_last_seen_idx ON ar.console_sessions (last_seen);
COMMENT ON TABLE ar.console_sessions IS 'Signed-in users of the operator console, read by every service instance: the session id''s SHA-256, the token signed in with, the CSRF token of its forms, a message for its next page, and its latest previews.';

-- V0008: mass postings as a resource of the HTTP service: one row per run of a preview's token,
-- readable by any instance while it runs and after.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.posting_runs (
    token           uuid PRIMARY KEY CONSTRAINT posting_runs_token_fkey REFERENCES ar.preview_tokens,
    status          text NOT NULL DEFAULT 'running' CONSTRAINT posting_runs_status_check CHECK (status IN ('running', 'finished', 'stopped')),
    total           integer NOT NULL CONSTRAINT posting_runs_total_check CHECK (total >= 0),
    posted          integer NOT NULL DEFAULT 0,
    already_posted  integer NOT NULL DEFAULT 0,
    not_posted      integer NOT NULL DEFAULT 0,
    stopped_because text,
    actor           text NOT NULL,
    started_by      name NOT NULL DEFAULT session_user,
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
COMMENT ON TABLE ar.posting_runs IS 'Each confirmation of a mass-posting preview run by the service: its progress and result.';

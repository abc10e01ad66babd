-- V0009: idempotency keys of the HTTP service: a POST's key, a fingerprint of the request, and
-- the response it got, so that a replay gets the same response and never a second effect.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.idempotency_keys (
    scope           text NOT NULL,
    key             text NOT NULL CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 255),
    fingerprint     text NOT NULL,
    status          text NOT NULL DEFAULT 'running' CONSTRAINT idempotency_keys_status_check CHECK (status IN ('running', 'done')),
    response_status integer,
    response_type   text,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON ar.idempotency_keys (created_at);
COMMENT ON TABLE ar.idempotency_keys IS 'POSTs of the HTTP service made with an Idempotency-Key: per token, the request''s fingerprint and the stored response.';

-- V0007: the HTTP service's tokens. Only a token's SHA-256 is kept; the token itself is shown
-- once, when it is made.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.api_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CONSTRAINT api_tokens_name_check CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    role       text NOT NULL CONSTRAINT api_tokens_role_check CHECK (role IN ('poster', 'clerk', 'reader')),
    token_hash text NOT NULL CONSTRAINT api_tokens_hash_check CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_by name NOT NULL DEFAULT session_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_tokens_name_key UNIQUE (name),
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
COMMENT ON TABLE ar.api_tokens IS 'Tokens of the HTTP service: a name (the actor its postings record), a role (poster, clerk, reader), the token''s SHA-256.';

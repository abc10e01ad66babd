-- V0005: customer adjustments (immutable balance changes), their reasons and import batches.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.adjustment_reasons (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code    text NOT NULL CONSTRAINT adjustment_reasons_code_check CHECK (btrim(code) <> ''),
    name    text NOT NULL CONSTRAINT adjustment_reasons_name_check CHECK (btrim(name) <> ''),
    active  boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX adjustment_reasons_code_key ON ar.adjustment_reasons (lower(code));
COMMENT ON TABLE ar.adjustment_reasons IS 'Why balances are adjusted: a maintained list of reason codes.';
INSERT INTO ar.adjustment_reasons (code, name) VALUES ('GENERAL', 'General adjustment');
INSERT INTO ar.settings (key, value, note) VALUES ('default_adjustment_reason', '"GENERAL"', 'The reason of an adjustment whose file or command gives none.');

CREATE TABLE ar.adjustment_batches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_name   text NOT NULL DEFAULT '',
    checksum    text,
    rows        integer NOT NULL,
    imported_by text NOT NULL DEFAULT session_user,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX adjustment_batches_checksum_idx ON ar.adjustment_batches (checksum);
COMMENT ON TABLE ar.adjustment_batches IS 'Each imported file: its name, SHA-256 checksum (the same file is refused twice unless intended), rows, who and when.';

CREATE TABLE ar.adjustments (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL CONSTRAINT adjustments_customer_fkey REFERENCES ar.customers,
    adjustment_date date NOT NULL,
    currency        text NOT NULL CONSTRAINT adjustments_currency_fkey REFERENCES ar.currencies,
    amount          numeric(16, 4) NOT NULL CONSTRAINT adjustments_amount_check CHECK (amount <> 0),
    reason_id       bigint NOT NULL CONSTRAINT adjustments_reason_fkey REFERENCES ar.adjustment_reasons,
    reference       text NOT NULL DEFAULT '',
    notes           text NOT NULL DEFAULT '',
    batch_id        bigint CONSTRAINT adjustments_batch_fkey REFERENCES ar.adjustment_batches,
    created_by      text NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX adjustments_customer_idx ON ar.adjustments (customer_id, adjustment_date);
COMMENT ON TABLE ar.adjustments IS 'Customer adjustments: each changes a balance (positive or negative), is never edited, and is corrected by another adjustment.';

CREATE TRIGGER adjustments_immutable BEFORE UPDATE OR DELETE ON ar.adjustments FOR EACH ROW
    EXECUTE FUNCTION ar.refuse_change('Correct an adjustment with another adjustment.');
CREATE TRIGGER adjustments_no_truncate BEFORE TRUNCATE ON ar.adjustments FOR EACH STATEMENT
    EXECUTE FUNCTION ar.refuse_change('Correct an adjustment with another adjustment.');
CREATE TRIGGER adjustment_batches_immutable BEFORE UPDATE OR DELETE ON ar.adjustment_batches FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();

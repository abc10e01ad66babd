-- V0006: staged imports in an owner's table (never in the caller's temporary schema), the login
-- beside the actor in the posting audit, and the kind of each pending customer item so that the
-- settings in force at posting decide which ones are created.
SET LOCAL ROLE postgate_owner;

-- Imports a client stages for the owner's functions. The rows go into a partition of
-- staging.adjustment_import of their own, created by api.begin_adjustment_import and dropped when
-- the import ends; clients may only insert rows, and only under their own login.
CREATE TABLE ar.adjustment_imports (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login      name NOT NULL DEFAULT session_user,
    backend    integer NOT NULL DEFAULT pg_backend_pid(),
    date_order text NOT NULL DEFAULT 'ISO' CONSTRAINT adjustment_imports_date_order_check CHECK (date_order IN ('ISO', 'MDY', 'DMY')),
    started_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ar.adjustment_imports IS 'Adjustment imports in progress: who began each, from which session, and when. Ended imports are removed.';

CREATE SCHEMA staging;
COMMENT ON SCHEMA staging IS 'Tables that clients load with COPY for an import; the api functions read only the rows of the caller''s own import.';
REVOKE ALL ON SCHEMA staging FROM PUBLIC;
GRANT USAGE ON SCHEMA staging TO postgate_service, postgate_client;

CREATE TABLE staging.adjustment_import (
    import_id       bigint NOT NULL DEFAULT nullif(current_setting('postgate.adjustment_import', true), '')::bigint,
    login           name NOT NULL DEFAULT session_user,
    record_no       bigint GENERATED ALWAYS AS IDENTITY,
    customer_code   text,
    customer_name   text,
    adjustment_date text,
    amount          text,
    currency        text,
    reason          text,
    reference       text,
    notes           text,
    import_batch    text,
    created_at      text
) PARTITION BY LIST (import_id);
COMMENT ON TABLE staging.adjustment_import IS
    'Rows of adjustment files being imported, as text. Call api.begin_adjustment_import() first (it sets the import the rows belong to), '
    'then COPY staging.adjustment_import (heading columns) FROM STDIN WITH (FORMAT csv, HEADER true).';
-- Single adjustments pass through here for the length of one call.
CREATE TABLE staging.adjustment_import_default PARTITION OF staging.adjustment_import DEFAULT;
-- Clients insert the file's columns only: the login is always theirs (its default), and rows are
-- read by the owner's functions for the login that began the import. (Row-level security would
-- say the same, but COPY refuses tables that have it.) Clients cannot read the table.
GRANT INSERT (customer_code, customer_name, adjustment_date, amount, currency, reason, reference, notes, import_batch, created_at)
    ON staging.adjustment_import TO postgate_service, postgate_client;

-- The database login that posted, beside the actor the service names: the audit cannot be forged
-- from a login.
ALTER TABLE ar.posting_audit ADD COLUMN login name NOT NULL DEFAULT session_user;
COMMENT ON COLUMN ar.posting_audit.login IS 'The database login that ran the posting (session_user); actor is who the service says asked for it.';

-- unit: one item per unit of a product with an item type; batch: one item per batch serial;
-- component: an item for a component of a buildup.
ALTER TABLE ar.pending_customer_items ADD COLUMN kind text NOT NULL DEFAULT 'unit'
    CONSTRAINT pending_customer_items_kind_check CHECK (kind IN ('unit', 'batch', 'component'));
UPDATE ar.pending_customer_items pi SET kind = CASE WHEN pi.product_id <> l.product_id THEN 'component' ELSE 'batch' END
FROM ar.invoice_lines l, ar.products p
WHERE l.id = pi.line_id AND p.id = l.product_id AND (p.serial_tracking = 'batch' OR pi.product_id <> l.product_id);

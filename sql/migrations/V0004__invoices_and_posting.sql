-- V0004: customer invoices (drafts and posted), their lines and serials, pending and posted
-- customer items, payments, the posting audit, preview tokens, and global settings.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.settings (
    key   text PRIMARY KEY,
    value jsonb NOT NULL,
    note  text NOT NULL DEFAULT ''
);
COMMENT ON TABLE ar.settings IS 'Global settings, one row per key. The posting rules are built from them.';
INSERT INTO ar.settings (key, value, note) VALUES
    ('create_customer_items', 'true', 'Create customer items from invoices and POS sales.'),
    ('review_required', 'false', 'Require user confirmation of customer item details before posting invoice.'),
    ('batch_serial_items', 'false', 'Create customer items for batch-serial products (one item carrying its quantity).'),
    ('buildup_component_items', 'false', 'Create customer items for the components of a buildup, under the buildup''s item.'),
    ('credit_mode', '"warn"', 'Credit limit rule: off, warn or block.'),
    ('credit_watch_ratio', '0.9', 'Exposure at or above this share of the limit is noted (watch).'),
    ('disabled_rules', '[]', 'Posting rules switched off, by id.'),
    ('severity_overrides', '{}', 'Rule id to severity for its findings.');

CREATE TABLE ar.invoice_numbers (
    series text PRIMARY KEY,
    next   bigint NOT NULL CONSTRAINT invoice_numbers_next_check CHECK (next > 0)
);
INSERT INTO ar.invoice_numbers (series, next) VALUES ('invoice', 1);
COMMENT ON TABLE ar.invoice_numbers IS 'Gapless invoice numbering: the row is locked by the posting transaction, so a rolled-back posting leaves no gap.';

CREATE TABLE ar.invoices (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id   bigint NOT NULL CONSTRAINT invoices_customer_fkey REFERENCES ar.customers,
    status        text NOT NULL DEFAULT 'draft' CONSTRAINT invoices_status_check CHECK (status IN ('draft', 'posted')),
    invoice_date  date NOT NULL,
    currency      text NOT NULL CONSTRAINT invoices_currency_fkey REFERENCES ar.currencies,
    price_list_id bigint NOT NULL CONSTRAINT invoices_price_list_fkey REFERENCES ar.price_lists,
    location_id   bigint CONSTRAINT invoices_location_fkey REFERENCES ar.locations,
    reference     text NOT NULL DEFAULT '',
    number        bigint CONSTRAINT invoices_number_key UNIQUE,
    net_total     numeric(16, 2) NOT NULL DEFAULT 0,
    tax_total     numeric(16, 2) NOT NULL DEFAULT 0,
    total         numeric(16, 2) NOT NULL DEFAULT 0,
    due_date      date,
    version       integer NOT NULL DEFAULT 1,
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT now(),
    posted_at     timestamptz,
    posted_by     text,
    CONSTRAINT invoices_posted_check CHECK ((status = 'posted') = (number IS NOT NULL AND posted_at IS NOT NULL AND due_date IS NOT NULL))
);
CREATE INDEX invoices_customer_idx ON ar.invoices (customer_id, status);
CREATE INDEX invoices_draft_idx ON ar.invoices (invoice_date) WHERE status = 'draft';
COMMENT ON TABLE ar.invoices IS 'Customer invoices: editable drafts, then posted (numbered, final). A posted invoice is never changed or deleted.';

CREATE TABLE ar.invoice_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  bigint NOT NULL CONSTRAINT invoice_lines_invoice_fkey REFERENCES ar.invoices,
    line_no     integer NOT NULL CONSTRAINT invoice_lines_line_no_check CHECK (line_no > 0),
    product_id  bigint NOT NULL CONSTRAINT invoice_lines_product_fkey REFERENCES ar.products,
    location_id bigint CONSTRAINT invoice_lines_location_fkey REFERENCES ar.locations,
    quantity    numeric(14, 4) NOT NULL CONSTRAINT invoice_lines_quantity_check CHECK (quantity > 0),
    unit_price  numeric(14, 4) NOT NULL CONSTRAINT invoice_lines_unit_price_check CHECK (unit_price >= 0),
    tax_rate_id bigint NOT NULL CONSTRAINT invoice_lines_tax_rate_fkey REFERENCES ar.tax_rates,
    tax_percent numeric(7, 4) NOT NULL,
    net_amount  numeric(16, 2) NOT NULL,
    tax_amount  numeric(16, 2) NOT NULL,
    CONSTRAINT invoice_lines_key UNIQUE (invoice_id, line_no)
);
COMMENT ON TABLE ar.invoice_lines IS 'Invoice lines. Amounts are computed by the database: net = quantity x price, tax = net x rate, each rounded to cents.';

CREATE TABLE ar.invoice_line_serials (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_id       bigint NOT NULL CONSTRAINT invoice_line_serials_line_fkey REFERENCES ar.invoice_lines ON DELETE CASCADE,
    serial        text NOT NULL CONSTRAINT invoice_line_serials_serial_check CHECK (btrim(serial) <> ''),
    quantity      numeric(14, 4) NOT NULL DEFAULT 1 CONSTRAINT invoice_line_serials_quantity_check CHECK (quantity > 0),
    added_at_sale boolean NOT NULL DEFAULT false,
    CONSTRAINT invoice_line_serials_key UNIQUE (line_id, serial)
);
COMMENT ON TABLE ar.invoice_line_serials IS 'Serials sold on a line: picked from stock, or entered at sale (added_at_sale: not in stock, to be investigated).';

CREATE TABLE ar.pending_customer_items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id     bigint NOT NULL CONSTRAINT pending_customer_items_invoice_fkey REFERENCES ar.invoices,
    line_id        bigint NOT NULL CONSTRAINT pending_customer_items_line_fkey REFERENCES ar.invoice_lines ON DELETE CASCADE,
    product_id     bigint NOT NULL CONSTRAINT pending_customer_items_product_fkey REFERENCES ar.products,
    item_type_id   bigint NOT NULL CONSTRAINT pending_customer_items_type_fkey REFERENCES ar.customer_item_types,
    parent_id      bigint CONSTRAINT pending_customer_items_parent_fkey REFERENCES ar.pending_customer_items ON DELETE CASCADE,
    unit_no        integer NOT NULL,
    serial         text,
    quantity       numeric(14, 4) NOT NULL DEFAULT 1,
    warranty_start date,
    notes          text NOT NULL DEFAULT '',
    reviewed_by    text,
    reviewed_at    timestamptz
);
CREATE INDEX pending_customer_items_invoice_idx ON ar.pending_customer_items (invoice_id);
COMMENT ON TABLE ar.pending_customer_items IS 'The customer items a draft will create when posted, one per unit (per serial); editable and confirmable. Editing a line resets its review.';

CREATE TABLE ar.customer_items (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL CONSTRAINT customer_items_customer_fkey REFERENCES ar.customers,
    product_id      bigint NOT NULL CONSTRAINT customer_items_product_fkey REFERENCES ar.products,
    item_type_id    bigint NOT NULL CONSTRAINT customer_items_type_fkey REFERENCES ar.customer_item_types,
    parent_id       bigint CONSTRAINT customer_items_parent_fkey REFERENCES ar.customer_items,
    serial          text,
    quantity        numeric(14, 4) NOT NULL DEFAULT 1,
    source          text NOT NULL CONSTRAINT customer_items_source_check CHECK (source IN ('invoice', 'pos', 'manual')),
    invoice_id      bigint CONSTRAINT customer_items_invoice_fkey REFERENCES ar.invoices,
    invoice_line_id bigint CONSTRAINT customer_items_line_fkey REFERENCES ar.invoice_lines,
    warranty_start  date NOT NULL,
    warranty_end    date NOT NULL,
    next_service    date,
    notes           text NOT NULL DEFAULT '',
    created_by      text NOT NULL DEFAULT session_user,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_items_warranty_check CHECK (warranty_end >= warranty_start)
);
CREATE INDEX customer_items_customer_idx ON ar.customer_items (customer_id);
COMMENT ON TABLE ar.customer_items IS 'The installed base: key items a customer bought or owns, with warranty and service dates.';

CREATE TABLE ar.customer_item_events (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id bigint NOT NULL CONSTRAINT customer_item_events_item_fkey REFERENCES ar.customer_items,
    kind    text NOT NULL CONSTRAINT customer_item_events_kind_check CHECK (kind IN ('created', 'warranty_ends', 'service_due')),
    on_date date NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX customer_item_events_item_idx ON ar.customer_item_events (item_id);

CREATE TABLE ar.payments (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id          bigint NOT NULL CONSTRAINT payments_customer_fkey REFERENCES ar.customers,
    payment_date         date NOT NULL,
    currency             text NOT NULL CONSTRAINT payments_currency_fkey REFERENCES ar.currencies,
    amount               numeric(16, 2) NOT NULL CONSTRAINT payments_amount_check CHECK (amount > 0),
    payment_method_id    bigint CONSTRAINT payments_method_fkey REFERENCES ar.payment_methods,
    financial_account_id bigint CONSTRAINT payments_account_fkey REFERENCES ar.financial_accounts,
    reference            text NOT NULL DEFAULT '',
    created_by           text NOT NULL DEFAULT session_user,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer_idx ON ar.payments (customer_id);
COMMENT ON TABLE ar.payments IS 'Payments in. Never changed; a wrong one is corrected by an adjustment.';

CREATE TABLE ar.payment_allocations (
    payment_id bigint NOT NULL CONSTRAINT payment_allocations_payment_fkey REFERENCES ar.payments,
    invoice_id bigint NOT NULL CONSTRAINT payment_allocations_invoice_fkey REFERENCES ar.invoices,
    amount     numeric(16, 2) NOT NULL CONSTRAINT payment_allocations_amount_check CHECK (amount > 0),
    CONSTRAINT payment_allocations_pkey PRIMARY KEY (payment_id, invoice_id)
);

CREATE TABLE ar.posting_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id bigint NOT NULL CONSTRAINT posting_audit_invoice_fkey REFERENCES ar.invoices,
    batch_id   uuid NOT NULL,
    mode       text NOT NULL CONSTRAINT posting_audit_mode_check CHECK (mode IN ('single', 'mass', 'post_and_pay', 'pos')),
    findings   jsonb NOT NULL,
    actor      text NOT NULL,
    posted_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posting_audit_invoice_idx ON ar.posting_audit (invoice_id);
COMMENT ON TABLE ar.posting_audit IS 'Each posting: the rules evaluated and every finding, who posted and when.';

CREATE TABLE ar.preview_tokens (
    token      uuid PRIMARY KEY,
    invoices   jsonb NOT NULL,
    created_by text NOT NULL DEFAULT session_user,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ar.preview_tokens IS 'Mass-posting previews: the exact invoices and versions a confirmation may post.';

ALTER TABLE ar.stock_documents ADD COLUMN invoice_id bigint CONSTRAINT stock_documents_invoice_fkey REFERENCES ar.invoices;

-- Posted invoices, their lines, serials, payments and the audit are never changed by anyone.
CREATE FUNCTION ar.refuse_posted_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_invoice bigint;
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        IF OLD.status = 'posted' THEN
            RAISE EXCEPTION 'invoice % is posted: it is never changed or deleted', OLD.number
                USING ERRCODE = 'PG423', TABLE = 'invoices', HINT = 'Correct it with another document (a credit note or an adjustment).';
        END IF;
    ELSE
        IF TG_TABLE_NAME = 'invoice_lines' THEN
            v_invoice := OLD.invoice_id;
        ELSE
            SELECT l.invoice_id INTO v_invoice FROM ar.invoice_lines l WHERE l.id = OLD.line_id;
        END IF;
        IF EXISTS (SELECT FROM ar.invoices WHERE id = v_invoice AND status = 'posted') THEN
            RAISE EXCEPTION 'the lines of a posted invoice are never changed or deleted'
                USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, HINT = 'Correct it with another document (a credit note or an adjustment).';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER invoices_posted_immutable BEFORE UPDATE OR DELETE ON ar.invoices FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER invoice_lines_posted_immutable BEFORE UPDATE OR DELETE ON ar.invoice_lines FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER invoice_line_serials_posted_immutable BEFORE UPDATE OR DELETE ON ar.invoice_line_serials FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON ar.invoices FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change('Posted invoices are corrected by other documents.');
CREATE TRIGGER invoice_lines_no_truncate BEFORE TRUNCATE ON ar.invoice_lines FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change('Posted invoices are corrected by other documents.');
CREATE TRIGGER invoice_line_serials_no_truncate BEFORE TRUNCATE ON ar.invoice_line_serials FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change('Posted invoices are corrected by other documents.');
CREATE TRIGGER payments_immutable BEFORE UPDATE OR DELETE ON ar.payments FOR EACH ROW EXECUTE FUNCTION ar.refuse_change('Correct a payment with an adjustment.');
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON ar.payments FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change('Correct a payment with an adjustment.');
CREATE TRIGGER payment_allocations_immutable BEFORE UPDATE OR DELETE ON ar.payment_allocations FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER posting_audit_immutable BEFORE UPDATE OR DELETE ON ar.posting_audit FOR EACH ROW EXECUTE FUNCTION ar.refuse_change('The posting audit is a record of what happened.');
CREATE TRIGGER posting_audit_no_truncate BEFORE TRUNCATE ON ar.posting_audit FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change('The posting audit is a record of what happened.');
CREATE TRIGGER customer_items_no_truncate BEFORE TRUNCATE ON ar.customer_items FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();

-- V0011: credit notes against posted invoices (whole, chosen lines and quantities, or a price
-- correction), the goods they bring back, the credit they leave (allocated to invoices or paid
-- out as a refund), customer items that end when their goods return, and the serials of a kit's
-- serial-tracked components on the kit's invoice line.
SET LOCAL ROLE postgate_owner;

-- A gapless series of its own.
INSERT INTO ar.invoice_numbers (series, next) VALUES ('credit_note', 1);

CREATE TABLE ar.credit_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_id  bigint NOT NULL CONSTRAINT credit_notes_invoice_fkey REFERENCES ar.invoices,
    customer_id bigint NOT NULL CONSTRAINT credit_notes_customer_fkey REFERENCES ar.customers,
    status      text NOT NULL DEFAULT 'draft' CONSTRAINT credit_notes_status_check CHECK (status IN ('draft', 'posted')),
    credit_date date NOT NULL,
    currency    text NOT NULL CONSTRAINT credit_notes_currency_fkey REFERENCES ar.currencies,
    reason      text NOT NULL DEFAULT '',
    number      bigint CONSTRAINT credit_notes_number_key UNIQUE,
    net_total   numeric(16, 2) NOT NULL DEFAULT 0,
    tax_total   numeric(16, 2) NOT NULL DEFAULT 0,
    total       numeric(16, 2) NOT NULL DEFAULT 0,
    version     integer NOT NULL DEFAULT 1,
    created_by  text NOT NULL DEFAULT session_user,
    created_at  timestamptz NOT NULL DEFAULT now(),
    posted_at   timestamptz,
    posted_by   text,
    CONSTRAINT credit_notes_posted_check CHECK ((status = 'posted') = (number IS NOT NULL AND posted_at IS NOT NULL))
);
CREATE INDEX credit_notes_invoice_idx ON ar.credit_notes (invoice_id);
CREATE INDEX credit_notes_customer_idx ON ar.credit_notes (customer_id, status);
COMMENT ON TABLE ar.credit_notes IS
    'Credit notes against one posted invoice each, in its currency: a draft, then posted (numbered, final). Never changed once posted.';

-- kind: return (the goods come back into stock at location_id, or are a service), quantity (the
-- quantity is credited and the goods stay with the customer), price (an amount off the line, no
-- quantity). Amounts are computed by the database from what the invoice line has left to credit.
CREATE TABLE ar.credit_note_lines (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_note_id  bigint NOT NULL CONSTRAINT credit_note_lines_credit_note_fkey REFERENCES ar.credit_notes,
    line_no         integer NOT NULL CONSTRAINT credit_note_lines_line_no_check CHECK (line_no > 0),
    invoice_line_id bigint NOT NULL CONSTRAINT credit_note_lines_invoice_line_fkey REFERENCES ar.invoice_lines,
    kind            text NOT NULL CONSTRAINT credit_note_lines_kind_check CHECK (kind IN ('return', 'quantity', 'price')),
    quantity        numeric(14, 4) NOT NULL DEFAULT 0 CONSTRAINT credit_note_lines_quantity_check CHECK (quantity >= 0),
    location_id     bigint CONSTRAINT credit_note_lines_location_fkey REFERENCES ar.locations,
    net_amount      numeric(16, 2) NOT NULL CONSTRAINT credit_note_lines_net_check CHECK (net_amount >= 0),
    tax_amount      numeric(16, 2) NOT NULL CONSTRAINT credit_note_lines_tax_check CHECK (tax_amount >= 0),
    CONSTRAINT credit_note_lines_key UNIQUE (credit_note_id, line_no),
    CONSTRAINT credit_note_lines_invoice_line_key UNIQUE (credit_note_id, invoice_line_id),
    CONSTRAINT credit_note_lines_price_check CHECK ((kind = 'price') = (quantity = 0)),
    CONSTRAINT credit_note_lines_location_check CHECK (kind = 'return' OR location_id IS NULL)
);
CREATE INDEX credit_note_lines_invoice_line_idx ON ar.credit_note_lines (invoice_line_id);
COMMENT ON TABLE ar.credit_note_lines IS
    'What a credit note credits of an invoice line: a quantity returned (into stock at location_id) or kept by the customer, or a price '
    'correction (an amount, no quantity).';

-- The serials that come back on a return line: the line's product's, or a kit's component's.
CREATE TABLE ar.credit_note_line_serials (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_id    bigint NOT NULL CONSTRAINT credit_note_line_serials_line_fkey REFERENCES ar.credit_note_lines ON DELETE CASCADE,
    product_id bigint NOT NULL CONSTRAINT credit_note_line_serials_product_fkey REFERENCES ar.products,
    serial     text NOT NULL CONSTRAINT credit_note_line_serials_serial_check CHECK (btrim(serial) <> ''),
    quantity   numeric(14, 4) NOT NULL DEFAULT 1 CONSTRAINT credit_note_line_serials_quantity_check CHECK (quantity > 0),
    CONSTRAINT credit_note_line_serials_key UNIQUE (line_id, product_id, serial)
);
COMMENT ON TABLE ar.credit_note_line_serials IS 'Serials returned on a credit note line: unique serials one each, a batch serial with its quantity.';

-- What a posted credit note's credit went to: the invoice it corrects (what that invoice still
-- owed), another open invoice of the customer, or a refund paid out.
CREATE TABLE ar.credit_allocations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    credit_note_id bigint NOT NULL CONSTRAINT credit_allocations_credit_note_fkey REFERENCES ar.credit_notes,
    invoice_id     bigint CONSTRAINT credit_allocations_invoice_fkey REFERENCES ar.invoices,
    payment_id     bigint CONSTRAINT credit_allocations_payment_fkey REFERENCES ar.payments,
    amount         numeric(16, 2) NOT NULL CONSTRAINT credit_allocations_amount_check CHECK (amount > 0),
    created_by     text NOT NULL DEFAULT session_user,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credit_allocations_target_check CHECK (num_nonnulls(invoice_id, payment_id) = 1)
);
CREATE INDEX credit_allocations_credit_note_idx ON ar.credit_allocations (credit_note_id);
CREATE INDEX credit_allocations_invoice_idx ON ar.credit_allocations (invoice_id) WHERE invoice_id IS NOT NULL;
COMMENT ON TABLE ar.credit_allocations IS
    'Where a credit note''s credit went, in its currency: to an invoice''s open amount, or out as a refund. Never changed.';
CREATE TRIGGER credit_allocations_immutable BEFORE UPDATE OR DELETE ON ar.credit_allocations FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER credit_allocations_no_truncate BEFORE TRUNCATE ON ar.credit_allocations FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();

-- A refund is a payment out, recorded like a payment in.
ALTER TABLE ar.payments ADD COLUMN direction text NOT NULL DEFAULT 'in' CONSTRAINT payments_direction_check CHECK (direction IN ('in', 'refund'));
COMMENT ON COLUMN ar.payments.direction IS 'in: a payment received (the balance goes down); refund: credit paid out to the customer (it goes up).';

ALTER TABLE ar.ledger_entries DROP CONSTRAINT ledger_entries_document_kind_check,
    ADD CONSTRAINT ledger_entries_document_kind_check
        CHECK (document_kind IN ('invoice', 'payment', 'adjustment', 'currency_change', 'credit_note', 'refund'));
CREATE INDEX ledger_entries_document_idx ON ar.ledger_entries (document_kind, document_id);

ALTER TABLE ar.customer_events DROP CONSTRAINT customer_events_kind_check,
    ADD CONSTRAINT customer_events_kind_check
        CHECK (kind IN ('created', 'updated', 'held', 'released', 'currency_changed', 'credited', 'refunded'));

-- Returned goods come in on a stock document of their own, naming the credit note.
ALTER TABLE ar.stock_documents DROP CONSTRAINT stock_documents_kind_check,
    ADD CONSTRAINT stock_documents_kind_check CHECK (kind IN ('receipt', 'transfer', 'write_off', 'sale', 'return')),
    ADD COLUMN credit_note_id bigint CONSTRAINT stock_documents_credit_note_fkey REFERENCES ar.credit_notes;
CREATE INDEX stock_documents_invoice_idx ON ar.stock_documents (invoice_id) WHERE invoice_id IS NOT NULL;

-- A customer item ends when its goods come back.
ALTER TABLE ar.customer_items
    ADD COLUMN status text NOT NULL DEFAULT 'active' CONSTRAINT customer_items_status_check CHECK (status IN ('active', 'returned')),
    ADD COLUMN ended_on date,
    ADD COLUMN credit_note_id bigint CONSTRAINT customer_items_credit_note_fkey REFERENCES ar.credit_notes,
    ADD CONSTRAINT customer_items_returned_check CHECK ((status = 'returned') = (credit_note_id IS NOT NULL AND ended_on IS NOT NULL));
CREATE INDEX customer_items_invoice_line_idx ON ar.customer_items (invoice_line_id) WHERE invoice_line_id IS NOT NULL;
ALTER TABLE ar.customer_item_events DROP CONSTRAINT customer_item_events_kind_check,
    ADD CONSTRAINT customer_item_events_kind_check CHECK (kind IN ('created', 'warranty_ends', 'service_due', 'returned'));

-- The posting audit records credit notes beside invoices: each row is one document's.
ALTER TABLE ar.posting_audit ALTER COLUMN invoice_id DROP NOT NULL,
    ADD COLUMN credit_note_id bigint CONSTRAINT posting_audit_credit_note_fkey REFERENCES ar.credit_notes,
    ADD CONSTRAINT posting_audit_document_check CHECK (num_nonnulls(invoice_id, credit_note_id) = 1);
CREATE INDEX posting_audit_credit_note_idx ON ar.posting_audit (credit_note_id) WHERE credit_note_id IS NOT NULL;

-- A kit's serial-tracked components carry their serials on the kit's line: component_id names
-- the component a serial belongs to (NULL: the line's own product). Two components may share a
-- serial's text, so the key takes the component in.
ALTER TABLE ar.invoice_line_serials ADD COLUMN component_id bigint CONSTRAINT invoice_line_serials_component_fkey REFERENCES ar.products,
    DROP CONSTRAINT invoice_line_serials_key;
CREATE UNIQUE INDEX invoice_line_serials_key ON ar.invoice_line_serials (line_id, coalesce(component_id, 0), serial);
COMMENT ON COLUMN ar.invoice_line_serials.component_id IS 'For a kit''s line: the component the serial belongs to. NULL: the line''s own product.';

-- Posted credit notes, their lines and serials are never changed (ar.refuse_posted_change, R__0430).
CREATE TRIGGER credit_notes_posted_immutable BEFORE UPDATE OR DELETE ON ar.credit_notes FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER credit_note_lines_posted_immutable BEFORE UPDATE OR DELETE ON ar.credit_note_lines FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER credit_note_line_serials_posted_immutable BEFORE UPDATE OR DELETE ON ar.credit_note_line_serials
    FOR EACH ROW EXECUTE FUNCTION ar.refuse_posted_change();
CREATE TRIGGER credit_notes_no_truncate BEFORE TRUNCATE ON ar.credit_notes FOR EACH STATEMENT
    EXECUTE FUNCTION ar.refuse_change('Posted credit notes are corrected by other documents.');
CREATE TRIGGER credit_note_lines_no_truncate BEFORE TRUNCATE ON ar.credit_note_lines FOR EACH STATEMENT
    EXECUTE FUNCTION ar.refuse_change('Posted credit notes are corrected by other documents.');
CREATE TRIGGER credit_note_line_serials_no_truncate BEFORE TRUNCATE ON ar.credit_note_line_serials FOR EACH STATEMENT
    EXECUTE FUNCTION ar.refuse_change('Posted credit notes are corrected by other documents.');

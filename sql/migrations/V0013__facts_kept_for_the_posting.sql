-- V0013: a posting reads its facts once. api.posting_facts, locking, keeps for the transaction
-- each invoice's total in its customer's currency and whether the data rules passed;
-- api.post_invoices books those totals when every invoice passed and is still at the version read
-- (they are locked since), instead of reading every fact again. And it reads what the invoices
-- take out of stock once, handing the moves (ar.sale_move) to each of its steps.
SET LOCAL ROLE postgate_owner;

-- Unlogged: the rows live for one transaction, are never needed after a crash and are not copied
-- to standbys. Only the owner's functions read or write them; no login is granted anything.
CREATE UNLOGGED TABLE ar.checked_facts (
    xact       xid8    NOT NULL,
    invoice_id bigint  NOT NULL,
    version    integer NOT NULL,
    total_customer numeric,
    passed     boolean NOT NULL,
    CONSTRAINT checked_facts_pkey PRIMARY KEY (xact, invoice_id)
);
COMMENT ON TABLE ar.checked_facts IS
    'What api.posting_facts read under its locks (the total in the customer''s currency, whether the data rules passed), kept for '
    'api.post_invoices in the same transaction (xact) and removed by it.';
REVOKE ALL ON ar.checked_facts FROM PUBLIC;

-- One line's take out of stock at a sale (ar.sale_moves): a product or a kit's component, at a
-- location, with its serial (serial_key 0: none, or one not recorded yet) and quantity.
CREATE TYPE ar.sale_move AS (
    invoice_id    bigint,
    line_no       integer,
    product_id    bigint,
    location_id   bigint,
    serial_key    bigint,
    serial        text,
    quantity      numeric,
    added_at_sale boolean
);
COMMENT ON TYPE ar.sale_move IS
    'What one invoice line takes out of stock at a sale (ar.sale_moves): product, location, serial (serial_key 0: none or not yet '
    'recorded), quantity, and whether the serial is entered at the sale.';

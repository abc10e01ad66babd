-- V0015: a mass posting's preview is kept as rows, one per invoice, written chunk by chunk as
-- the preview evaluates them: the invoice and version the confirmation may post, the verdict,
-- and the item as the preview showed it (read back in pages). The service no longer holds a
-- whole selection in memory to save it, nor a reader the whole preview to show it.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.preview_items (
    token           uuid    NOT NULL CONSTRAINT preview_items_token_fkey REFERENCES ar.preview_tokens ON DELETE CASCADE,
    k               integer NOT NULL CONSTRAINT preview_items_k_check CHECK (k > 0),
    invoice_id      bigint  NOT NULL,
    version         integer NOT NULL,
    blocked         boolean NOT NULL,
    warned          boolean NOT NULL DEFAULT false,
    items_to_create integer NOT NULL DEFAULT 0,
    currency        text,
    total           numeric(16, 2),
    reference       text,
    customer        text,
    findings        jsonb,
    CONSTRAINT preview_items_pkey PRIMARY KEY (token, k)
);
-- A confirmation reads the pinned versions of a chunk's invoices by id.
CREATE INDEX preview_items_invoice_idx ON ar.preview_items (token, invoice_id);
COMMENT ON TABLE ar.preview_items IS
    'A mass-posting preview''s invoices in its order (k): the version a confirmation may post, whether the rules blocked it or '
    'warned, the customer items it would create, its total, reference and customer as shown, and its findings (NULL: none).';

INSERT INTO ar.preview_items (token, k, invoice_id, version, blocked)
SELECT t.token, e.n, (e.item ->> 'id')::bigint, (e.item ->> 'version')::integer, coalesce((e.item ->> 'blocked')::boolean, false)
FROM ar.preview_tokens t, jsonb_array_elements(t.invoices) WITH ORDINALITY e(item, n);
ALTER TABLE ar.preview_tokens DROP COLUMN invoices;
COMMENT ON TABLE ar.preview_tokens IS 'Mass-posting previews: the token a confirmation names; their invoices are ar.preview_items.';

-- V0014: invoice number series. A series is a range of the one invoice number space, numbered
-- without gaps from its first number, with a prefix printed before its numbers. The company's
-- series (COMPANY) keeps numbering every invoice as before; a location (a shop, a till) may be
-- given a series of its own, so that postings at different tills do not wait for each other's
-- numbers. Because the ranges do not overlap, an invoice number still names one invoice in the
-- whole company: payments and credit notes cite it as they did.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.invoice_series (
    code         text   PRIMARY KEY CONSTRAINT invoice_series_code_check CHECK (btrim(code) <> ''),
    prefix       text   NOT NULL DEFAULT '' CONSTRAINT invoice_series_prefix_check CHECK (prefix !~ '[[:cntrl:]]' AND length(prefix) <= 16),
    first_number bigint NOT NULL CONSTRAINT invoice_series_first_check CHECK (first_number > 0),
    last_number  bigint NOT NULL,
    next         bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoice_series_range_check CHECK (first_number <= last_number),
    CONSTRAINT invoice_series_next_check CHECK (next BETWEEN first_number AND last_number + 1),
    CONSTRAINT invoice_series_overlap EXCLUDE USING gist (int8range(first_number, last_number, '[]') WITH &&)
);
CREATE UNIQUE INDEX invoice_series_code_key ON ar.invoice_series (lower(code));
COMMENT ON TABLE ar.invoice_series IS
    'Invoice number series: each a range of invoice numbers [first_number, last_number], taken without gaps (next is the one to '
    'take; its row is locked by the posting until it commits), printed after its prefix. Ranges never overlap, so a number '
    'names one invoice company-wide. COMPANY numbers the invoices of every location without a series of its own.';

INSERT INTO ar.invoice_series (code, prefix, first_number, last_number, next)
SELECT 'COMPANY', '', 1, greatest(999999999, next), next FROM ar.invoice_numbers WHERE series = 'invoice';
DELETE FROM ar.invoice_numbers WHERE series = 'invoice';
COMMENT ON TABLE ar.invoice_numbers IS
    'Gapless numbering of orders, shipments and credit notes (invoices: ar.invoice_series): the row is locked by the transaction '
    'that takes a number, so a rolled-back one leaves no gap.';

ALTER TABLE ar.locations ADD COLUMN invoice_series text CONSTRAINT locations_invoice_series_fkey REFERENCES ar.invoice_series;
COMMENT ON COLUMN ar.locations.invoice_series IS
    'The series that numbers the invoices sold at this location (the invoice''s own location); none: the company''s series.';

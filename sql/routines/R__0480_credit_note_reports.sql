-- Reports on credit notes for psql users.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.credit_notes AS
SELECT n.number, n.id AS credit_note_id, i.number AS invoice_number, c.code AS customer, n.credit_date, n.currency, n.status, n.reason,
       n.net_total, n.tax_total, n.total,
       (SELECT count(*) FROM ar.credit_note_lines cl WHERE cl.credit_note_id = n.id AND cl.kind = 'return') AS returned_lines,
       (SELECT count(*) FROM ar.credit_note_lines cl WHERE cl.credit_note_id = n.id AND cl.kind = 'price') AS price_corrections,
       coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id AND a.invoice_id IS NOT NULL), 0)::numeric(16, 2)
           AS allocated,
       coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id AND a.payment_id IS NOT NULL), 0)::numeric(16, 2)
           AS refunded,
       CASE WHEN n.status = 'posted'
            THEN (n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0))::numeric(16, 2) END
           AS unallocated,
       n.created_by, n.created_at, n.posted_by, n.posted_at
FROM ar.credit_notes n JOIN ar.invoices i ON i.id = n.invoice_id JOIN ar.customers c ON c.id = n.customer_id;
COMMENT ON VIEW report.credit_notes IS
    'Credit notes, drafts and posted: the invoice each credits, totals, how many lines brought goods back or corrected a price, and '
    'where the credit went (allocated to invoices, refunded, not yet allocated).';

CREATE OR REPLACE VIEW report.credit_note_lines AS
SELECT n.number, n.id AS credit_note_id, n.status, i.number AS invoice_number, cl.line_no, il.line_no AS invoice_line, p.code AS product,
       cl.kind, cl.quantity, loc.code AS location, cl.net_amount, cl.tax_amount,
       (SELECT string_agg(cs.serial || CASE WHEN cs.quantity <> 1 THEN '=' || trim_scale(cs.quantity) ELSE '' END, ', ' ORDER BY cs.id)
        FROM ar.credit_note_line_serials cs WHERE cs.line_id = cl.id) AS serials
FROM ar.credit_note_lines cl JOIN ar.credit_notes n ON n.id = cl.credit_note_id JOIN ar.invoices i ON i.id = n.invoice_id
JOIN ar.invoice_lines il ON il.id = cl.invoice_line_id JOIN ar.products p ON p.id = il.product_id
LEFT JOIN ar.locations loc ON loc.id = cl.location_id;
COMMENT ON VIEW report.credit_note_lines IS
    'Each credit note line: the invoice line it credits, how (return: goods back at location; quantity: kept by the customer; price: an '
    'amount), its amounts and the serials that came back.';

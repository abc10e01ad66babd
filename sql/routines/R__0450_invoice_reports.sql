-- Reports on invoices, payments, posting and customer items for psql users.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.invoices AS
SELECT i.number, i.id AS invoice_id, i.status, c.code AS customer, i.invoice_date, i.due_date, i.currency, i.reference,
       i.net_total, i.tax_total, i.total,
       coalesce(a.paid, 0)::numeric(16, 2) AS paid,
       (i.total - coalesce(a.paid, 0) - coalesce(ca.credited, 0))::numeric(16, 2) AS open_amount,
       i.posted_at, i.posted_by,
       coalesce(ca.credited, 0)::numeric(16, 2) AS credited,
       s.code AS series, s.prefix || i.number AS document_number
FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
LEFT JOIN ar.invoice_series s ON i.number BETWEEN s.first_number AND s.last_number
LEFT JOIN (SELECT invoice_id, sum(amount) AS paid FROM ar.payment_allocations GROUP BY invoice_id) a ON a.invoice_id = i.id
LEFT JOIN (SELECT invoice_id, sum(amount) AS credited FROM ar.credit_allocations WHERE invoice_id IS NOT NULL GROUP BY invoice_id) ca
    ON ca.invoice_id = i.id;
COMMENT ON VIEW report.invoices IS
    'Every invoice, draft or posted, with what has been paid against it, the credit (of credit notes) allocated to it, and what is open; '
    'a posted one with its number series and the number as printed (the series'' prefix before the number).';

-- A view checks EXECUTE on the functions it calls against its reader, and a function that is not a
-- definer reads the ar tables as that reader: so the facts come through a definer function that
-- takes no arguments and returns only what this view shows. Both are made afresh, so that the
-- columns may change.
DROP VIEW IF EXISTS report.unposted_invoices;
DROP FUNCTION IF EXISTS ar.report_unposted_invoices();
CREATE FUNCTION ar.report_unposted_invoices()
RETURNS TABLE (invoice_id bigint, reference text, customer text, invoice_date date, currency text, total numeric, lines integer,
               customer_on_hold boolean, cash_sales_only boolean, credit_limit numeric, open_balance numeric, exposure numeric,
               missing_serials jsonb, disallowed_taxes jsonb, stock_short jsonb, unreviewed_items integer, items_to_create integer,
               missing_rate jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT f.invoice_id, f.reference, f.customer, i.invoice_date, i.currency, f.total, f.line_count,
           f.on_hold_invoices, f.cash_sales_only, f.credit_limit, f.open_balance, f.open_balance + f.total_customer,
           f.missing_serials, f.disallowed_taxes, f.short_stock, f.unreviewed, f.items_to_create, f.missing_rate
    FROM ar.invoice_facts((SELECT coalesce(array_agg(d.id), '{}') FROM ar.invoices d WHERE d.status = 'draft')) f
    JOIN ar.invoices i ON i.id = f.invoice_id
$$;
COMMENT ON FUNCTION ar.report_unposted_invoices() IS 'The rows of report.unposted_invoices: the posting facts of every draft, read as the owner.';
REVOKE ALL ON FUNCTION ar.report_unposted_invoices() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ar.report_unposted_invoices() TO postgate_reporting, postgate_service;

CREATE VIEW report.unposted_invoices AS
SELECT * FROM ar.report_unposted_invoices();
COMMENT ON VIEW report.unposted_invoices IS
    'Draft invoices with the facts the posting rules read (the same function guards the posting). '
    'The verdicts come from a preview of the posting.';

CREATE OR REPLACE VIEW report.payments AS
SELECT p.id AS payment_id, c.code AS customer, p.payment_date, p.currency, p.amount, m.code AS payment_method, a.code AS financial_account,
       p.reference, coalesce((SELECT sum(pa.amount) FROM ar.payment_allocations pa WHERE pa.payment_id = p.id), 0)::numeric(16, 2) AS allocated,
       p.created_by, p.created_at
FROM ar.payments p JOIN ar.customers c ON c.id = p.customer_id
LEFT JOIN ar.payment_methods m ON m.id = p.payment_method_id LEFT JOIN ar.financial_accounts a ON a.id = p.financial_account_id;
COMMENT ON VIEW report.payments IS 'Payments in, with how much of each is allocated to invoices.';

-- The rate is looked up in the view itself (as ar.conversion_rate would choose it: the pair's rate
-- valid on the invoice date, else the inverse of the opposite pair) so that its reader needs no
-- right on a function. An invoice without a rate is counted rather than failing the whole report.
CREATE OR REPLACE VIEW report.aged_receivables AS
SELECT a.customer, a.name, a.currency, a.current, a.days_1_30, a.days_31_60, a.days_61_90, a.over_90, a.total_open,
       a.invoices_without_rate, a.unallocated_credit,
       -- What the balance holds on no invoice: payments not allocated and adjustments (negative for
       -- money received), so that the buckets, the unallocated credit and this add up to the balance.
       CASE WHEN a.invoices_without_rate = 0 THEN (a.balance - a.total_open - a.unallocated_credit)::numeric(16, 2) END AS unapplied,
       a.balance
FROM (
SELECT c.code AS customer, c.name, c.currency,
       coalesce(sum(o.open) FILTER (WHERE o.days_late <= 0), 0)::numeric(16, 2) AS current,
       coalesce(sum(o.open) FILTER (WHERE o.days_late BETWEEN 1 AND 30), 0)::numeric(16, 2) AS days_1_30,
       coalesce(sum(o.open) FILTER (WHERE o.days_late BETWEEN 31 AND 60), 0)::numeric(16, 2) AS days_31_60,
       coalesce(sum(o.open) FILTER (WHERE o.days_late BETWEEN 61 AND 90), 0)::numeric(16, 2) AS days_61_90,
       coalesce(sum(o.open) FILTER (WHERE o.days_late > 90), 0)::numeric(16, 2) AS over_90,
       coalesce(sum(o.open), 0)::numeric(16, 2) AS total_open,
       count(*) FILTER (WHERE o.open IS NULL) AS invoices_without_rate,
       (SELECT -coalesce(sum(round((n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0))
                                   * e.amount_customer / nullif(e.amount, 0), 2)), 0)
        FROM ar.credit_notes n JOIN ar.ledger_entries e ON e.document_kind = 'credit_note' AND e.document_id = n.id
        WHERE n.customer_id = c.id AND n.status = 'posted')::numeric(16, 2) AS unallocated_credit,
       c.balance
FROM ar.customers c
JOIN LATERAL (
    SELECT (i.total - coalesce((SELECT sum(pa.amount) FROM ar.payment_allocations pa WHERE pa.invoice_id = i.id), 0)
                    - coalesce((SELECT sum(ca.amount) FROM ar.credit_allocations ca WHERE ca.invoice_id = i.id), 0)) * fx.rate AS open,
           current_date - i.due_date AS days_late
    FROM ar.invoices i
    CROSS JOIN LATERAL (
        SELECT CASE WHEN i.currency = c.currency THEN 1 ELSE coalesce(
                   (SELECT r.rate FROM ar.conversion_rates r
                    WHERE r.from_currency = i.currency AND r.to_currency = c.currency AND r.valid_from <= i.invoice_date
                    ORDER BY r.valid_from DESC LIMIT 1),
                   (SELECT round(1 / r.rate, 10) FROM ar.conversion_rates r
                    WHERE r.from_currency = c.currency AND r.to_currency = i.currency AND r.valid_from <= i.invoice_date
                    ORDER BY r.valid_from DESC LIMIT 1)) END AS rate
    ) fx
    WHERE i.customer_id = c.id AND i.status = 'posted'
) o ON o.open IS DISTINCT FROM 0
GROUP BY c.id, c.code, c.name, c.currency, c.balance
) a;
COMMENT ON VIEW report.aged_receivables IS 'Open amounts of posted invoices (less allocated payments and credit) in the customer''s currency by '
    'days past due: current, 1-30, 31-60, 61-90, over 90 (0 when none). invoices_without_rate: open invoices left out of the sums for '
    'want of a conversion rate. unallocated_credit: credit of posted credit notes not yet allocated or refunded (negative). '
    'unapplied: what the balance holds on no invoice, payments not allocated and adjustments (negative for money received; NULL '
    'while an invoice lacks a rate). The buckets, unallocated_credit and unapplied add up to balance.';

CREATE OR REPLACE VIEW report.posting_audit AS
SELECT a.posted_at, coalesce(i.number, n.number) AS number, a.invoice_id, c.code AS customer, a.mode, a.actor, a.batch_id,
       (SELECT count(*) FROM jsonb_array_elements(a.findings) f WHERE f ->> 'severity' = 'warn') AS warnings,
       a.findings, a.login,
       CASE WHEN a.credit_note_id IS NULL THEN 'invoice' ELSE 'credit note' END AS document, a.credit_note_id
FROM ar.posting_audit a LEFT JOIN ar.invoices i ON i.id = a.invoice_id LEFT JOIN ar.credit_notes n ON n.id = a.credit_note_id
JOIN ar.customers c ON c.id = coalesce(i.customer_id, n.customer_id);
COMMENT ON VIEW report.posting_audit IS
    'Each posting of an invoice or a credit note (document; number is its own series''): when, by whom (the actor the service names, '
    'and the database login), how (single, mass, post and pay, POS), and every rule finding.';

CREATE OR REPLACE VIEW report.customer_items AS
SELECT ci.id AS item_id, c.code AS customer, p.code AS product, t.code AS item_type, ci.serial, ci.quantity, ci.source,
       i.number AS invoice_number, parent.id AS part_of_item,
       ci.warranty_start, ci.warranty_end,
       CASE WHEN ci.status = 'returned' THEN 'returned' WHEN ci.warranty_end >= current_date THEN 'in warranty' ELSE 'expired' END
           AS warranty_status,
       ci.next_service, ci.status = 'active' AND ci.next_service IS NOT NULL AND ci.next_service <= current_date AS service_due, ci.notes,
       ci.created_at, ci.status, ci.ended_on, cn.number AS credit_note_number
FROM ar.customer_items ci
JOIN ar.customers c ON c.id = ci.customer_id JOIN ar.products p ON p.id = ci.product_id JOIN ar.customer_item_types t ON t.id = ci.item_type_id
LEFT JOIN ar.invoices i ON i.id = ci.invoice_id LEFT JOIN ar.customer_items parent ON parent.id = ci.parent_id
LEFT JOIN ar.credit_notes cn ON cn.id = ci.credit_note_id;
COMMENT ON VIEW report.customer_items IS
    'Every customer item with its status (active, or returned with the credit note and the day it ended), warranty status (in warranty / '
    'expired / returned) and next service. The installed base is the active ones: report.installed_base.';

CREATE OR REPLACE VIEW report.installed_base AS
SELECT * FROM report.customer_items WHERE status = 'active';
COMMENT ON VIEW report.installed_base IS 'The installed base: the customer items still with their customers (returned ones are left out).';

CREATE OR REPLACE VIEW report.customer_item_events AS
SELECT e.item_id, c.code AS customer, p.code AS product, ci.serial, e.kind, e.on_date
FROM ar.customer_item_events e JOIN ar.customer_items ci ON ci.id = e.item_id
JOIN ar.customers c ON c.id = ci.customer_id JOIN ar.products p ON p.id = ci.product_id;
COMMENT ON VIEW report.customer_item_events IS 'The history of each customer item: created, warranty ends, service due.';

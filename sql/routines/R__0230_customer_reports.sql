-- Reports on customers for psql users.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.customers AS
SELECT code, name, currency, price_list, payment_terms, cash_sales_only, net_days, payment_method, financial_account,
       invoice_terms, invoice_schedule, credit_limit, tax_exempt, tax_category, sales_rep,
       on_hold, hold_sales_order, hold_goods_shipment, hold_sales_invoice, hold_payment_in,
       create_customer_items, active, version, created_at, updated_at
FROM api.customer_details;
COMMENT ON VIEW report.customers IS 'The customer master, with references as codes.';

CREATE OR REPLACE VIEW report.customer_balances AS
SELECT c.code, c.name, c.currency,
       b.balance,
       c.credit_limit,
       c.credit_limit - b.balance AS headroom,
       CASE WHEN c.credit_limit IS NULL THEN 'no limit'
            WHEN b.balance > c.credit_limit THEN 'over limit'
            ELSE 'ok' END AS credit_status,
       c.on_hold, c.hold_sales_order, c.hold_goods_shipment, c.hold_sales_invoice, c.hold_payment_in,
       c.active,
       (SELECT coalesce(sum(round((n.total - coalesce((SELECT sum(a.amount) FROM ar.credit_allocations a WHERE a.credit_note_id = n.id), 0))
                                  * e.amount_customer / nullif(e.amount, 0), 2)), 0)
        FROM ar.credit_notes n JOIN ar.ledger_entries e ON e.document_kind = 'credit_note' AND e.document_id = n.id
        WHERE n.customer_id = c.id AND n.status = 'posted')::numeric(16, 2) AS unallocated_credit
FROM ar.customers c
CROSS JOIN LATERAL (
    SELECT cb.balance::numeric(16, 2) AS balance FROM ar.customer_balances cb WHERE cb.customer_id = c.id
) b;
COMMENT ON VIEW report.customer_balances IS
    'Each customer''s open balance in its own currency (posted credit notes and refunds in it), credit limit, headroom, credit status '
    '(no limit / ok / over limit), hold switches, and the credit of its credit notes not yet allocated or refunded.';

CREATE OR REPLACE VIEW report.customer_events AS
SELECT c.code AS customer, e.kind, e.details, e.actor, e.at
FROM ar.customer_events e JOIN ar.customers c ON c.id = e.customer_id;
COMMENT ON VIEW report.customer_events IS
    'What happened to each customer record (created, updated, held, released, currency changed), who did it and when.';

CREATE OR REPLACE VIEW report.conversion_rates AS
SELECT from_currency, to_currency, valid_from, rate,
       lead(valid_from) OVER (PARTITION BY from_currency, to_currency ORDER BY valid_from) - 1 AS valid_to
FROM ar.conversion_rates;
COMMENT ON VIEW report.conversion_rates IS 'Conversion rates with the last day each applies (NULL: still current).';

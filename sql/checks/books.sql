-- What is wrong with the books, read from the tables themselves: one row per problem, none when
-- the books agree. A posted invoice or credit note without exactly one ledger entry of its total,
-- one audit row, a number and its stock moved; a draft with any of them; a number series with a gap; stock
-- on hand that is not the sum of its movements; customer items of invoices that are not posted;
-- allocations above what an invoice or a credit note has; more credited than invoiced; a unique
-- serial in two places; an active customer item whose serial came back; a customer whose kept
-- balance is not the sum of its ledger.
-- The tests run it (Tests/Support/Books.swift), and so does scripts/ha-check after each failover:
--   psql -X -At -v ON_ERROR_STOP=1 -f sql/checks/books.sql
SELECT format('invoice %s (%s): %s', i.id, i.status, p.problem) AS problem
FROM ar.invoices i,
LATERAL (SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM ar.ledger_entries l
         WHERE l.document_kind = 'invoice' AND l.document_id = i.id) ledger,
LATERAL (SELECT count(*) AS n FROM ar.posting_audit a WHERE a.invoice_id = i.id) audit,
LATERAL (SELECT count(*) AS n FROM ar.stock_documents d WHERE d.invoice_id = i.id) stock,
LATERAL (SELECT count(*) AS n FROM ar.invoice_lines il
         WHERE il.invoice_id = i.id AND il.location_id IS NOT NULL AND il.shipment_line_id IS NULL) lines,
LATERAL (VALUES
    (CASE WHEN i.status = 'posted' AND (ledger.n <> 1 OR ledger.amount <> i.total) THEN 'not one ledger entry of its total' END),
    (CASE WHEN i.status = 'draft' AND ledger.n > 0 THEN 'a ledger entry' END),
    (CASE WHEN i.status = 'posted' AND audit.n <> 1 THEN 'not one audit row' END),
    (CASE WHEN i.status = 'draft' AND audit.n > 0 THEN 'an audit row' END),
    (CASE WHEN i.status = 'posted' AND i.number IS NULL THEN 'no number' END),
    (CASE WHEN i.status = 'draft' AND i.number IS NOT NULL THEN 'a number' END),
    (CASE WHEN i.status = 'posted' AND lines.n > 0 AND stock.n = 0 THEN 'its stock not moved' END),
    (CASE WHEN i.status = 'draft' AND stock.n > 0 THEN 'stock moved' END)
) p(problem)
WHERE p.problem IS NOT NULL
UNION ALL
SELECT format('numbers of series %s: %s posted from %s, highest %s, next to take %s', s.code, count(i.number), s.first_number,
              max(i.number), s.next)
FROM ar.invoice_series s LEFT JOIN ar.invoices i ON i.number BETWEEN s.first_number AND s.last_number
GROUP BY s.code, s.first_number, s.next
HAVING count(i.number) <> s.next - s.first_number OR coalesce(max(i.number), s.first_number - 1) <> s.next - 1
UNION ALL
SELECT format('invoice %s: number %s is in no series', i.id, i.number) FROM ar.invoices i
WHERE i.number IS NOT NULL AND NOT EXISTS (SELECT FROM ar.invoice_series s WHERE i.number BETWEEN s.first_number AND s.last_number)
UNION ALL
SELECT format('stock of product %s at location %s (serial %s): %s on hand, movements sum to %s',
              coalesce(h.product_id, m.product_id), coalesce(h.location_id, m.location_id), coalesce(h.serial_key, m.serial_key),
              coalesce(h.quantity, 0), coalesce(m.quantity, 0))
FROM ar.stock_on_hand h
FULL JOIN (SELECT product_id, location_id, coalesce(serial_id, 0) AS serial_key, sum(quantity) AS quantity
           FROM ar.stock_movements GROUP BY 1, 2, 3) m
  ON m.product_id = h.product_id AND m.location_id = h.location_id AND m.serial_key = h.serial_key
WHERE coalesce(h.quantity, 0) <> coalesce(m.quantity, 0)
UNION ALL
SELECT format('customer item %s of invoice %s, which is not posted', ci.id, ci.invoice_id)
FROM ar.customer_items ci JOIN ar.invoices i ON i.id = ci.invoice_id WHERE i.status <> 'posted'
UNION ALL
SELECT format('shipment %s: %s without its stock document', s.id, s.status)
FROM ar.shipments s WHERE (s.status = 'completed') <> (s.document_id IS NOT NULL)
UNION ALL
SELECT format('invoice line %s invoices %s of shipment line %s, which shipped %s', il.id, il.quantity, sl.id, sl.quantity)
FROM ar.invoice_lines il JOIN ar.shipment_lines sl ON sl.id = il.shipment_line_id WHERE il.quantity <> sl.quantity
UNION ALL
SELECT format('order line %s: %s shipped and %s invoiced without shipping, of %s booked', q.order_line_id, q.shipped, q.invoiced_direct, q.quantity)
FROM ar.order_line_quantities q WHERE q.shipped + q.invoiced_direct > q.quantity
UNION ALL
SELECT format('credit note %s (%s): %s', n.id, n.status, p.problem)
FROM ar.credit_notes n,
LATERAL (SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount FROM ar.ledger_entries l
         WHERE l.document_kind = 'credit_note' AND l.document_id = n.id) ledger,
LATERAL (SELECT count(*) AS n FROM ar.posting_audit a WHERE a.credit_note_id = n.id) audit,
LATERAL (SELECT count(*) AS n FROM ar.stock_documents d WHERE d.credit_note_id = n.id) stock,
LATERAL (SELECT count(*) AS n FROM ar.credit_note_lines cl WHERE cl.credit_note_id = n.id AND cl.location_id IS NOT NULL) returns,
LATERAL (SELECT coalesce(sum(amount), 0) AS amount FROM ar.credit_allocations a WHERE a.credit_note_id = n.id) allocated,
LATERAL (VALUES
    (CASE WHEN n.status = 'posted' AND (ledger.n <> 1 OR ledger.amount <> -n.total) THEN 'not one ledger entry of minus its total' END),
    (CASE WHEN n.status = 'draft' AND ledger.n > 0 THEN 'a ledger entry' END),
    (CASE WHEN n.status = 'posted' AND audit.n <> 1 THEN 'not one audit row' END),
    (CASE WHEN n.status = 'draft' AND (audit.n > 0 OR stock.n > 0 OR allocated.amount > 0) THEN 'an audit row, stock or allocations' END),
    (CASE WHEN n.status = 'posted' AND returns.n > 0 AND stock.n <> 1 THEN 'its goods not back on one return document' END),
    (CASE WHEN allocated.amount > n.total THEN format('%s allocated of %s', allocated.amount, n.total) END)
) p(problem)
WHERE p.problem IS NOT NULL
UNION ALL
SELECT format('credit note numbers: %s posted, highest %s', count(*), max(number)) FROM ar.credit_notes WHERE number IS NOT NULL
HAVING count(*) <> coalesce(max(number), 0)
UNION ALL
SELECT format('invoice %s: %s paid and %s credited of %s', i.number, pa.amount, ca.amount, i.total)
FROM ar.invoices i,
LATERAL (SELECT coalesce(sum(amount), 0) AS amount FROM ar.payment_allocations WHERE invoice_id = i.id) pa,
LATERAL (SELECT coalesce(sum(amount), 0) AS amount FROM ar.credit_allocations WHERE invoice_id = i.id) ca
WHERE pa.amount + ca.amount > i.total
UNION ALL
SELECT format('invoice line %s: %s credited of %s invoiced, %s net of %s', il.id, c.quantity, il.quantity, c.net, il.net_amount)
FROM ar.invoice_lines il
JOIN (SELECT cl.invoice_line_id, sum(cl.quantity) AS quantity, sum(cl.net_amount) AS net
      FROM ar.credit_note_lines cl JOIN ar.credit_notes n ON n.id = cl.credit_note_id WHERE n.status = 'posted' GROUP BY 1) c
    ON c.invoice_line_id = il.id
WHERE c.quantity > il.quantity OR c.net > il.net_amount
UNION ALL
SELECT format('unique serial %s of product %s: %s units in stock by its movements', s.serial, s.product_id, m.quantity)
FROM ar.serials s JOIN ar.products p ON p.id = s.product_id AND p.serial_tracking = 'unique'
JOIN (SELECT serial_id, sum(quantity) AS quantity FROM ar.stock_movements WHERE serial_id IS NOT NULL GROUP BY 1) m ON m.serial_id = s.id
WHERE m.quantity NOT IN (0, 1)
UNION ALL
SELECT format('customer item %s (serial %s) is %s though its serial came back on credit note %s', ci.id, ci.serial, ci.status, n.number)
FROM ar.customer_items ci
JOIN ar.credit_note_lines cl ON cl.invoice_line_id = ci.invoice_line_id AND cl.kind = 'return'
JOIN ar.credit_notes n ON n.id = cl.credit_note_id AND n.status = 'posted'
JOIN ar.credit_note_line_serials cs ON cs.line_id = cl.id AND cs.serial = ci.serial AND cs.product_id = ci.product_id
JOIN ar.products p ON p.id = ci.product_id AND p.serial_tracking = 'unique'
WHERE ci.status <> 'returned'
UNION ALL
SELECT format('customer %s: balance kept as %s, its ledger entries of epoch %s sum to %s', c.code, c.balance, c.currency_epoch, l.amount)
FROM ar.customers c,
LATERAL (SELECT coalesce(sum(e.amount_customer), 0) AS amount FROM ar.ledger_entries e
         WHERE e.customer_id = c.id AND e.currency_epoch = c.currency_epoch) l
WHERE c.balance <> l.amount;

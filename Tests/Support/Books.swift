import Foundation
import Postgres

/// What is wrong with the books, read from the tables themselves: a posted invoice without
/// exactly one ledger entry of its total, one audit row, a number, and its stock moved; a draft
/// with any of them; numbers with a gap; stock on hand that is not the sum of its movements;
/// customer items of invoices that are not posted. Empty when the books agree.
public func bookProblems(_ connection: PostgresConnection) async throws -> [String] {
    try await connection.query(
        """
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
        SELECT format('numbers: %s posted, highest %s', count(*), max(number)) FROM ar.invoices WHERE number IS NOT NULL
        HAVING count(*) <> coalesce(max(number), 0)
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
        """
    ).map { try $0.decode("problem", as: String.self) }
}

/// A fault test's size: the environment variable `name` when set (to run it at full size by
/// hand, see docs/reliability.md), else `standard`, the size the test command runs.
public func faultSize(_ name: String, _ standard: Int) -> Int {
    ProcessInfo.processInfo.environment[name].flatMap(Int.init) ?? standard
}

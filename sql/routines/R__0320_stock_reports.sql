-- Stock and serial reports for psql users.
SET LOCAL ROLE postgate_owner;

CREATE OR REPLACE VIEW report.stock_on_hand AS
SELECT p.code AS product, p.name AS product_name, p.unit, l.code AS location,
       sum(h.quantity)::numeric AS quantity,
       count(*) FILTER (WHERE h.serial_key <> 0 AND h.quantity > 0) AS serials
FROM ar.stock_on_hand h
JOIN ar.products p ON p.id = h.product_id
JOIN ar.locations l ON l.id = h.location_id
GROUP BY p.code, p.name, p.unit, l.code
HAVING sum(h.quantity) > 0;
COMMENT ON VIEW report.stock_on_hand IS 'Quantity on hand per product and location (with how many serials it is held under).';

CREATE OR REPLACE VIEW report.serial_numbers AS
SELECT s.serial, p.code AS product, p.name AS product_name, p.serial_tracking AS tracking,
       CASE WHEN coalesce(stock.quantity, 0) > 0 THEN 'in stock'
            WHEN last.kind = 'sale' THEN 'sold'
            WHEN last.kind = 'write_off' THEN 'written off'
            ELSE 'not in stock' END AS status,
       stock.locations AS location, coalesce(stock.quantity, 0)::numeric AS on_hand, s.expiry,
       sold.customer, s.added_at_sale, s.created_at AS recorded_at
FROM ar.serials s
JOIN ar.products p ON p.id = s.product_id
LEFT JOIN LATERAL (
    SELECT sum(h.quantity) AS quantity, string_agg(l.code, ', ' ORDER BY l.code) AS locations
    FROM ar.stock_on_hand h JOIN ar.locations l ON l.id = h.location_id
    WHERE h.serial_key = s.id AND h.quantity > 0
) stock ON true
LEFT JOIN LATERAL (
    SELECT d.kind FROM ar.stock_movements m JOIN ar.stock_documents d ON d.id = m.document_id
    WHERE m.serial_id = s.id ORDER BY m.id DESC LIMIT 1
) last ON true
LEFT JOIN LATERAL (
    SELECT c.code AS customer FROM ar.stock_movements m JOIN ar.stock_documents d ON d.id = m.document_id JOIN ar.customers c ON c.id = d.customer_id
    WHERE m.serial_id = s.id AND d.kind = 'sale' ORDER BY m.id DESC LIMIT 1
) sold ON true;
COMMENT ON VIEW report.serial_numbers IS
    'Every serial: product, status (in stock, sold, written off), where it is, expiry, the customer once sold. '
    'Search it with ILIKE on any column.';

CREATE OR REPLACE VIEW report.serial_history AS
SELECT s.serial, p.code AS product, d.document_date, d.kind AS document_kind, d.id AS document_id, d.reference,
       l.code AS location, m.quantity, c.code AS customer, d.created_by, m.created_at
FROM ar.stock_movements m
JOIN ar.serials s ON s.id = m.serial_id
JOIN ar.products p ON p.id = m.product_id
JOIN ar.stock_documents d ON d.id = m.document_id
JOIN ar.locations l ON l.id = m.location_id
LEFT JOIN ar.customers c ON c.id = d.customer_id
ORDER BY s.serial, m.id;
COMMENT ON VIEW report.serial_history IS 'Everything that happened to each serial, in order: receipts, transfers (out and in), sales, write-offs.';

CREATE OR REPLACE VIEW report.serials_added_at_sale AS
SELECT serial, product, product_name, status, customer, recorded_at
FROM report.serial_numbers WHERE added_at_sale;
COMMENT ON VIEW report.serials_added_at_sale IS 'Serials entered at a sale without a receipt: each probably needs a retrospective product receipt.';

CREATE OR REPLACE VIEW report.expiring_serials AS
SELECT s.serial, p.code AS product, l.code AS location, h.quantity::numeric AS quantity, s.expiry, s.expiry - current_date AS days_left
FROM ar.stock_on_hand h
JOIN ar.serials s ON s.id = h.serial_key
JOIN ar.products p ON p.id = h.product_id
JOIN ar.locations l ON l.id = h.location_id
WHERE h.quantity > 0 AND s.expiry IS NOT NULL
ORDER BY s.expiry, s.serial;
COMMENT ON VIEW report.expiring_serials IS 'Serials in stock with an expiry date, soonest first (days_left negative: expired).';

CREATE OR REPLACE VIEW report.stock_movements AS
SELECT d.id AS document_id, d.kind AS document_kind, d.document_date, d.reference, m.line_no,
       p.code AS product, l.code AS location, s.serial, m.quantity, d.created_by, m.created_at
FROM ar.stock_movements m
JOIN ar.stock_documents d ON d.id = m.document_id
JOIN ar.products p ON p.id = m.product_id
JOIN ar.locations l ON l.id = m.location_id
LEFT JOIN ar.serials s ON s.id = m.serial_id;
COMMENT ON VIEW report.stock_movements IS 'Every stock movement with its document: quantity in (+) or out (-).';

-- On hand recounted from the movements, against the kept quantities: always empty.
CREATE OR REPLACE VIEW report.stock_discrepancies AS
WITH recount AS (
    SELECT product_id, location_id, coalesce(serial_id, 0) AS serial_key, sum(quantity) AS quantity
    FROM ar.stock_movements GROUP BY 1, 2, 3
)
SELECT p.code AS product, l.code AS location, s.serial, coalesce(h.quantity, 0)::numeric AS kept, coalesce(r.quantity, 0)::numeric AS recounted
FROM recount r
FULL JOIN ar.stock_on_hand h USING (product_id, location_id, serial_key)
JOIN ar.products p ON p.id = coalesce(r.product_id, h.product_id)
JOIN ar.locations l ON l.id = coalesce(r.location_id, h.location_id)
LEFT JOIN ar.serials s ON s.id = coalesce(r.serial_key, h.serial_key)
WHERE coalesce(h.quantity, 0) <> coalesce(r.quantity, 0);
COMMENT ON VIEW report.stock_discrepancies IS
    'Differences between the kept on-hand quantities and a recount of every movement. '
    'Always empty; a row means something bypassed the stock functions.';

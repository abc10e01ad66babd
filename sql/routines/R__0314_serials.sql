-- Serials in stock: where a unique serial is, and which serials to pick at a sale.
SET LOCAL ROLE postgate_owner;

-- Where a unique serial that is not in stock at a line's location is instead: in stock at
-- another location, or gone (sold, written off). NULL when it is there, or was never recorded
-- (then it is entered as added at sale).
CREATE OR REPLACE FUNCTION ar.serial_whereabouts(p_product_id bigint, p_serial text, p_location_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT FROM ar.stock_on_hand h WHERE h.serial_key = s.id AND h.location_id = p_location_id AND h.quantity > 0) THEN NULL
        WHEN elsewhere.code IS NOT NULL THEN format('in stock at %s', elsewhere.code)
        WHEN last.kind = 'sale' THEN format('already sold (%s to %s on %s)', last.reference, last.customer, last.document_date)
        WHEN last.kind = 'write_off' THEN format('written off on %s', last.document_date)
        ELSE 'not in stock anywhere' END
    FROM ar.serials s
    LEFT JOIN LATERAL (
        SELECT l.code FROM ar.stock_on_hand h JOIN ar.locations l ON l.id = h.location_id
        WHERE h.serial_key = s.id AND h.quantity > 0 ORDER BY l.code LIMIT 1) elsewhere ON true
    LEFT JOIN LATERAL (
        SELECT d.kind, d.reference, d.document_date, c.code AS customer
        FROM ar.stock_movements m JOIN ar.stock_documents d ON d.id = m.document_id LEFT JOIN ar.customers c ON c.id = d.customer_id
        WHERE m.serial_id = s.id ORDER BY m.id DESC LIMIT 1) last ON true
    WHERE s.product_id = p_product_id AND s.serial = p_serial
$$;
COMMENT ON FUNCTION ar.serial_whereabouts(bigint, text, bigint) IS
    'Why a unique serial cannot be sold from a location: where it is instead, or that it is gone. NULL: it is there, or was never recorded.';

CREATE OR REPLACE FUNCTION api.pick_serials(p_product text, p_location text, p_limit integer DEFAULT 100)
RETURNS TABLE (serial text, quantity numeric, expiry date)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
DECLARE
    v_product bigint := ar.lookup('products', ar.required_text(p_product, 'product'), 'product', 'product');
    v_location bigint := ar.location_id(p_location, 'location');
BEGIN
    RETURN QUERY
    SELECT s.serial, h.quantity, s.expiry
    FROM ar.stock_on_hand h JOIN ar.serials s ON s.id = h.serial_key
    WHERE h.product_id = v_product AND h.location_id = v_location AND h.quantity > 0
    ORDER BY s.expiry NULLS LAST, s.created_at, s.serial
    LIMIT greatest(coalesce(p_limit, 100), 1);
END
$$;
COMMENT ON FUNCTION api.pick_serials(text, text, integer) IS 'Serials of a product in stock at a location, to pick at sale: oldest expiry first.';
GRANT EXECUTE ON FUNCTION api.pick_serials(text, text, integer) TO postgate_client;

-- How a unique serial that left on a sale was sold, naming the invoice (for a shipment, the
-- invoice of its line once there is one), or NULL when its last movement was no sale: it is in
-- stock, written off, or came back on a credit note.
CREATE OR REPLACE FUNCTION ar.serial_sold_on(p_serial_id bigint) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('sold on %s to %s on %s%s', coalesce('invoice ' || coalesce(i.number, si.number), d.reference), c.code, d.document_date,
                  CASE WHEN coalesce(i.number, si.number) IS NULL THEN ' (not invoiced yet)' ELSE '' END)
    FROM (SELECT m.document_id FROM ar.stock_movements m WHERE m.serial_id = p_serial_id ORDER BY m.id DESC LIMIT 1) last
    JOIN ar.stock_documents d ON d.id = last.document_id AND d.kind = 'sale'
    LEFT JOIN ar.customers c ON c.id = d.customer_id
    LEFT JOIN ar.invoices i ON i.id = d.invoice_id
    LEFT JOIN LATERAL (
        SELECT iv.number FROM ar.shipments s JOIN ar.shipment_lines sl ON sl.shipment_id = s.id
        JOIN ar.invoice_lines il ON il.shipment_line_id = sl.id JOIN ar.invoices iv ON iv.id = il.invoice_id
        WHERE s.document_id = d.id AND iv.status = 'posted' ORDER BY iv.number LIMIT 1) si ON d.invoice_id IS NULL
$$;
COMMENT ON FUNCTION ar.serial_sold_on(bigint) IS
    'How a serial whose last movement is a sale was sold ("sold on invoice 12 to ACME on 2026-11-02"), or NULL.';

-- Reading adjustments: the export clients write CSV files from, and the report for psql users.
SET LOCAL ROLE postgate_owner;

-- The export, with the import's headings. Filters: customer, from, to, reason, min, max, batch.
DROP FUNCTION IF EXISTS api.export_adjustments(jsonb);
CREATE OR REPLACE FUNCTION api.export_adjustments(p_filter jsonb DEFAULT '{}')
RETURNS TABLE ("Customer Code" text, "Customer Name" text, "Adjustment Date" date, "Amount" numeric, "Currency" text,
               "Reason" text, "Reference" text, "Notes" text, "Import Batch" bigint, "Created At (UTC)" text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ar, pg_temp AS $$
    SELECT c.code, c.name, a.adjustment_date, round(a.amount, cur.minor_units), a.currency, r.code, a.reference, a.notes, a.batch_id,
           to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
    FROM ar.adjustments a JOIN ar.customers c ON c.id = a.customer_id JOIN ar.adjustment_reasons r ON r.id = a.reason_id
    JOIN ar.currencies cur ON cur.code = a.currency
    WHERE (p_filter ->> 'customer' IS NULL OR lower(c.code) = lower(p_filter ->> 'customer'))
      AND (p_filter ->> 'from' IS NULL OR a.adjustment_date >= (p_filter ->> 'from')::date)
      AND (p_filter ->> 'to' IS NULL OR a.adjustment_date <= (p_filter ->> 'to')::date)
      AND (p_filter ->> 'reason' IS NULL OR lower(r.code) = lower(p_filter ->> 'reason'))
      AND (p_filter ->> 'min' IS NULL OR a.amount >= (p_filter ->> 'min')::numeric)
      AND (p_filter ->> 'max' IS NULL OR a.amount <= (p_filter ->> 'max')::numeric)
      AND (p_filter ->> 'batch' IS NULL OR a.batch_id = (p_filter ->> 'batch')::bigint)
    ORDER BY a.id
$$;
COMMENT ON FUNCTION api.export_adjustments(jsonb) IS
    'Adjustments with the CSV headings of the import, filtered by {"customer", "from", "to", "reason", "min", "max", "batch"}.';
GRANT EXECUTE ON FUNCTION api.export_adjustments(jsonb) TO postgate_client;

CREATE OR REPLACE VIEW report.adjustments AS
SELECT a.id AS adjustment_id, c.code AS customer, a.adjustment_date, a.amount, a.currency, r.code AS reason, a.reference, a.notes,
       a.batch_id, b.file_name, a.created_by, a.created_at
FROM ar.adjustments a JOIN ar.customers c ON c.id = a.customer_id JOIN ar.adjustment_reasons r ON r.id = a.reason_id
LEFT JOIN ar.adjustment_batches b ON b.id = a.batch_id;
COMMENT ON VIEW report.adjustments IS 'Every customer adjustment, with its reason and import batch.';

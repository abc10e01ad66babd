-- V0016: a customer's open balance is kept on its row. Every ledger entry adds its amount in the
-- same statement (one trigger on ar.ledger_entries, whatever writes it), so the facts of a posting
-- read one row per customer instead of summing a ledger that grows with every posting. The ledger
-- stays the record: sql/checks/books.sql reports a customer whose kept balance is not the sum of
-- its current epoch's entries.
SET LOCAL ROLE postgate_owner;

ALTER TABLE ar.customers ADD COLUMN balance numeric NOT NULL DEFAULT 0;
COMMENT ON COLUMN ar.customers.balance IS
    'Open balance in the customer''s currency: the sum of its ledger entries of the current currency epoch, kept by '
    'the trigger ledger_entries_balance; set to 0 when the epoch rises (the new epoch''s first entry re-expresses the old balance).';

UPDATE ar.customers c SET balance = coalesce((
    SELECT sum(e.amount_customer) FROM ar.ledger_entries e WHERE e.customer_id = c.id AND e.currency_epoch = c.currency_epoch), 0);

-- Once per statement, with the statement's entries: the customers in id order (two writers of
-- entries for the same customers lock them in the same order), each by the sum of its entries of
-- its current epoch.
CREATE FUNCTION ar.add_ledger_entries_to_balances() RETURNS trigger
LANGUAGE plpgsql SET search_path = ar, pg_temp AS $$
BEGIN
    PERFORM FROM ar.customers c WHERE c.id IN (SELECT n.customer_id FROM new_entries n) ORDER BY c.id FOR NO KEY UPDATE;
    UPDATE ar.customers c SET balance = c.balance + s.amount
    FROM (SELECT n.customer_id, n.currency_epoch, sum(n.amount_customer) AS amount FROM new_entries n GROUP BY 1, 2) s
    WHERE c.id = s.customer_id AND c.currency_epoch = s.currency_epoch;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION ar.add_ledger_entries_to_balances() IS
    'Trigger: adds a statement''s new ledger entries to their customers'' kept balances (ar.customers.balance).';

CREATE TRIGGER ledger_entries_balance AFTER INSERT ON ar.ledger_entries
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION ar.add_ledger_entries_to_balances();

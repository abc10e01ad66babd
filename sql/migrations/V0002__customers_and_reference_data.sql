-- V0002: the customer master and the reference data it points to, and the one ledger every
-- balance is computed from.
--
-- Codes are unique without regard to case. Every constraint is named, so a refusal names it;
-- the api functions check the same rules first and say what to do.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.currencies (
    code        text PRIMARY KEY CONSTRAINT currencies_code_check CHECK (code ~ '^[A-Z]{3}$'),
    name        text NOT NULL CONSTRAINT currencies_name_check CHECK (btrim(name) <> ''),
    minor_units smallint NOT NULL DEFAULT 2 CONSTRAINT currencies_minor_units_check CHECK (minor_units BETWEEN 0 AND 4),
    version     integer NOT NULL DEFAULT 1
);
COMMENT ON TABLE ar.currencies IS 'ISO 4217 currencies and their minor units (2 for EUR, 0 for JPY).';

CREATE TABLE ar.conversion_rates (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_currency text NOT NULL CONSTRAINT conversion_rates_from_fkey REFERENCES ar.currencies,
    to_currency   text NOT NULL CONSTRAINT conversion_rates_to_fkey REFERENCES ar.currencies,
    valid_from    date NOT NULL,
    rate          numeric(20, 10) NOT NULL CONSTRAINT conversion_rates_rate_check CHECK (rate > 0),
    CONSTRAINT conversion_rates_pair_check CHECK (from_currency <> to_currency),
    CONSTRAINT conversion_rates_key UNIQUE (from_currency, to_currency, valid_from)
);
COMMENT ON TABLE ar.conversion_rates IS 'One unit of from_currency is worth rate units of to_currency from valid_from on, until a later row of the same pair.';

CREATE TABLE ar.price_lists (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     text NOT NULL CONSTRAINT price_lists_code_check CHECK (btrim(code) <> ''),
    name     text NOT NULL CONSTRAINT price_lists_name_check CHECK (btrim(name) <> ''),
    currency text NOT NULL CONSTRAINT price_lists_currency_fkey REFERENCES ar.currencies,
    version  integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX price_lists_code_key ON ar.price_lists (lower(code));
COMMENT ON TABLE ar.price_lists IS 'Sales price lists, each in one currency. Product prices arrive with the catalogue.';

CREATE TABLE ar.payment_methods (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code    text NOT NULL CONSTRAINT payment_methods_code_check CHECK (btrim(code) <> ''),
    name    text NOT NULL CONSTRAINT payment_methods_name_check CHECK (btrim(name) <> ''),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX payment_methods_code_key ON ar.payment_methods (lower(code));
COMMENT ON TABLE ar.payment_methods IS 'How customers pay: bank transfer, card, cash, ...';

CREATE TABLE ar.financial_accounts (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     text NOT NULL CONSTRAINT financial_accounts_code_check CHECK (btrim(code) <> ''),
    name     text NOT NULL CONSTRAINT financial_accounts_name_check CHECK (btrim(name) <> ''),
    currency text NOT NULL CONSTRAINT financial_accounts_currency_fkey REFERENCES ar.currencies,
    version  integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX financial_accounts_code_key ON ar.financial_accounts (lower(code));
COMMENT ON TABLE ar.financial_accounts IS 'Bank and cash accounts that collect customer payments.';

CREATE TABLE ar.financial_account_methods (
    account_id bigint NOT NULL CONSTRAINT financial_account_methods_account_fkey REFERENCES ar.financial_accounts ON DELETE CASCADE,
    method_id  bigint NOT NULL CONSTRAINT financial_account_methods_method_fkey REFERENCES ar.payment_methods,
    CONSTRAINT financial_account_methods_pkey PRIMARY KEY (account_id, method_id)
);
COMMENT ON TABLE ar.financial_account_methods IS 'The payment methods each financial account accepts.';

CREATE TABLE ar.payment_terms (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL CONSTRAINT payment_terms_code_check CHECK (btrim(code) <> ''),
    name            text NOT NULL CONSTRAINT payment_terms_name_check CHECK (btrim(name) <> ''),
    net_days        integer NOT NULL DEFAULT 0 CONSTRAINT payment_terms_net_days_check CHECK (net_days BETWEEN 0 AND 3650),
    cash_sales_only boolean NOT NULL DEFAULT false,
    version         integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX payment_terms_code_key ON ar.payment_terms (lower(code));
COMMENT ON TABLE ar.payment_terms IS 'When invoices fall due. Cash Sales Only: every invoice must be paid in full when it is posted.';

CREATE TABLE ar.invoice_schedules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL CONSTRAINT invoice_schedules_code_check CHECK (btrim(code) <> ''),
    name        text NOT NULL CONSTRAINT invoice_schedules_name_check CHECK (btrim(name) <> ''),
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX invoice_schedules_code_key ON ar.invoice_schedules (lower(code));
COMMENT ON TABLE ar.invoice_schedules IS 'Calendars agreed with customers invoiced on a schedule after delivery.';

CREATE TABLE ar.tax_rates (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code    text NOT NULL CONSTRAINT tax_rates_code_check CHECK (btrim(code) <> ''),
    name    text NOT NULL CONSTRAINT tax_rates_name_check CHECK (btrim(name) <> ''),
    rate    numeric(7, 4) NOT NULL CONSTRAINT tax_rates_rate_check CHECK (rate BETWEEN 0 AND 100),
    exempt  boolean NOT NULL DEFAULT false,
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tax_rates_code_key ON ar.tax_rates (lower(code));
COMMENT ON TABLE ar.tax_rates IS 'Tax rates in percent. Tax-exempt customers may use only rates marked exempt.';

CREATE TABLE ar.tax_categories (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code    text NOT NULL CONSTRAINT tax_categories_code_check CHECK (btrim(code) <> ''),
    name    text NOT NULL CONSTRAINT tax_categories_name_check CHECK (btrim(name) <> ''),
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX tax_categories_code_key ON ar.tax_categories (lower(code));
COMMENT ON TABLE ar.tax_categories IS 'Business-partner tax categories: a customer in a category may use only its tax rates.';

CREATE TABLE ar.tax_category_rates (
    category_id bigint NOT NULL CONSTRAINT tax_category_rates_category_fkey REFERENCES ar.tax_categories ON DELETE CASCADE,
    tax_rate_id bigint NOT NULL CONSTRAINT tax_category_rates_rate_fkey REFERENCES ar.tax_rates,
    CONSTRAINT tax_category_rates_pkey PRIMARY KEY (category_id, tax_rate_id)
);

CREATE TABLE ar.employees (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL CONSTRAINT employees_code_check CHECK (btrim(code) <> ''),
    name         text NOT NULL CONSTRAINT employees_name_check CHECK (btrim(name) <> ''),
    is_sales_rep boolean NOT NULL DEFAULT false,
    version      integer NOT NULL DEFAULT 1,
    CONSTRAINT employees_id_sales_rep_key UNIQUE (id, is_sales_rep)
);
CREATE UNIQUE INDEX employees_code_key ON ar.employees (lower(code));
COMMENT ON TABLE ar.employees IS 'Employees; those flagged as sales representatives may be assigned to customers.';

CREATE TABLE ar.customers (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  text NOT NULL CONSTRAINT customers_code_check CHECK (btrim(code) <> ''),
    name                  text NOT NULL CONSTRAINT customers_name_check CHECK (btrim(name) <> ''),
    currency              text NOT NULL CONSTRAINT customers_currency_fkey REFERENCES ar.currencies,
    currency_epoch        integer NOT NULL DEFAULT 1,
    price_list_id         bigint NOT NULL CONSTRAINT customers_price_list_fkey REFERENCES ar.price_lists,
    payment_method_id     bigint CONSTRAINT customers_payment_method_fkey REFERENCES ar.payment_methods,
    financial_account_id  bigint CONSTRAINT customers_financial_account_fkey REFERENCES ar.financial_accounts,
    payment_terms_id      bigint NOT NULL CONSTRAINT customers_payment_terms_fkey REFERENCES ar.payment_terms,
    invoice_terms         text NOT NULL DEFAULT 'immediate'
        CONSTRAINT customers_invoice_terms_check CHECK (invoice_terms IN
            ('after_order_delivered', 'after_delivery', 'do_not_invoice', 'immediate', 'customer_schedule_after_delivery')),
    invoice_schedule_id   bigint CONSTRAINT customers_invoice_schedule_fkey REFERENCES ar.invoice_schedules,
    credit_limit          numeric(14, 2) CONSTRAINT customers_credit_limit_check CHECK (credit_limit >= 0),
    tax_exempt            boolean NOT NULL DEFAULT false,
    tax_category_id       bigint CONSTRAINT customers_tax_category_fkey REFERENCES ar.tax_categories,
    sales_rep_id          bigint,
    sales_rep_flag        boolean NOT NULL DEFAULT true CONSTRAINT customers_sales_rep_flag_check CHECK (sales_rep_flag),
    on_hold               boolean NOT NULL DEFAULT false,
    hold_sales_order      boolean NOT NULL DEFAULT true,
    hold_goods_shipment   boolean NOT NULL DEFAULT true,
    hold_sales_invoice    boolean NOT NULL DEFAULT true,
    hold_payment_in       boolean NOT NULL DEFAULT false,
    create_customer_items boolean NOT NULL DEFAULT true,
    active                boolean NOT NULL DEFAULT true,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- Only an employee flagged as a sales representative can be one: the pair must exist.
    CONSTRAINT customers_sales_rep_fkey FOREIGN KEY (sales_rep_id, sales_rep_flag) REFERENCES ar.employees (id, is_sales_rep),
    -- The financial account must accept the payment method.
    CONSTRAINT customers_payment_method_accepted_fkey FOREIGN KEY (financial_account_id, payment_method_id)
        REFERENCES ar.financial_account_methods (account_id, method_id),
    CONSTRAINT customers_invoice_schedule_check CHECK (
        (invoice_terms = 'customer_schedule_after_delivery') = (invoice_schedule_id IS NOT NULL))
);
CREATE UNIQUE INDEX customers_code_key ON ar.customers (lower(code));
CREATE INDEX customers_name_idx ON ar.customers (lower(name));
COMMENT ON TABLE ar.customers IS 'The customer master. version rises with every change, for optimistic concurrency.';
COMMENT ON COLUMN ar.customers.credit_limit IS 'NULL: no limit.';
COMMENT ON COLUMN ar.customers.currency_epoch IS 'Rises when the customer''s currency changes; the balance sums the ledger entries of the current epoch.';

CREATE TABLE ar.customer_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL CONSTRAINT customer_events_customer_fkey REFERENCES ar.customers,
    kind        text NOT NULL CONSTRAINT customer_events_kind_check CHECK (kind IN ('created', 'updated', 'held', 'released', 'currency_changed')),
    details     jsonb NOT NULL DEFAULT '{}',
    actor       text NOT NULL DEFAULT session_user,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_events_customer_idx ON ar.customer_events (customer_id, id);
COMMENT ON TABLE ar.customer_events IS 'What happened to each customer record, and who did it. Never changed.';

CREATE TABLE ar.ledger_entries (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id       bigint NOT NULL CONSTRAINT ledger_entries_customer_fkey REFERENCES ar.customers,
    document_kind     text NOT NULL CONSTRAINT ledger_entries_document_kind_check
        CHECK (document_kind IN ('invoice', 'payment', 'adjustment', 'currency_change')),
    document_id       bigint,
    entry_date        date NOT NULL,
    currency          text NOT NULL CONSTRAINT ledger_entries_currency_fkey REFERENCES ar.currencies,
    amount            numeric(16, 4) NOT NULL,
    rate              numeric(20, 10) NOT NULL CONSTRAINT ledger_entries_rate_check CHECK (rate > 0),
    customer_currency text NOT NULL CONSTRAINT ledger_entries_customer_currency_fkey REFERENCES ar.currencies,
    currency_epoch    integer NOT NULL,
    amount_customer   numeric(16, 4) NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_customer_idx ON ar.ledger_entries (customer_id, currency_epoch);
COMMENT ON TABLE ar.ledger_entries IS 'Every change to a customer balance: posted invoices (+), payments (-), adjustments (+/-), currency changes. Never changed; a wrong entry is corrected by another.';
COMMENT ON COLUMN ar.ledger_entries.amount IS 'In the document currency.';
COMMENT ON COLUMN ar.ledger_entries.amount_customer IS 'amount * rate, in the customer''s currency of the entry''s epoch.';

CREATE FUNCTION ar.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or deleted', TG_TABLE_NAME
        USING ERRCODE = 'PG423', TABLE = TG_TABLE_NAME, SCHEMA = TG_TABLE_SCHEMA,
              HINT = 'Correct it with a new entry (an adjustment, a credit note).';
END
$$;
COMMENT ON FUNCTION ar.refuse_change() IS 'Trigger: makes a table append-only.';

CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ar.ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ar.ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER customer_events_immutable BEFORE UPDATE OR DELETE ON ar.customer_events
    FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER customer_events_no_truncate BEFORE TRUNCATE ON ar.customer_events
    FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();


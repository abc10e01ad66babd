-- V0010: sales orders, goods shipments and what Generate Invoices needs: the dates of invoice
-- schedules, and invoice lines that remember the order line and the shipment line they invoice.
SET LOCAL ROLE postgate_owner;

INSERT INTO ar.invoice_numbers (series, next) VALUES ('order', 1), ('shipment', 1);

INSERT INTO ar.settings (key, value, note) VALUES
    ('order_credit_mode', '"off"', 'Credit check when a sales order is booked: off, warn or block.'),
    ('credit_exposure', '"balance"',
     'What the credit rules count against the limit: balance (the open balance) or full (balance, booked not shipped, shipped not invoiced).');

CREATE TABLE ar.invoice_schedule_dates (
    schedule_id bigint NOT NULL CONSTRAINT invoice_schedule_dates_schedule_fkey REFERENCES ar.invoice_schedules ON DELETE CASCADE,
    on_date     date NOT NULL,
    CONSTRAINT invoice_schedule_dates_pkey PRIMARY KEY (schedule_id, on_date)
);
COMMENT ON TABLE ar.invoice_schedule_dates IS 'The dates on which customers of a schedule are invoiced for what was shipped to them.';

CREATE TABLE ar.sales_orders (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id   bigint NOT NULL CONSTRAINT sales_orders_customer_fkey REFERENCES ar.customers,
    status        text NOT NULL DEFAULT 'draft'
        CONSTRAINT sales_orders_status_check CHECK (status IN ('draft', 'booked', 'closed', 'cancelled')),
    order_date    date NOT NULL,
    currency      text NOT NULL CONSTRAINT sales_orders_currency_fkey REFERENCES ar.currencies,
    price_list_id bigint NOT NULL CONSTRAINT sales_orders_price_list_fkey REFERENCES ar.price_lists,
    location_id   bigint NOT NULL CONSTRAINT sales_orders_location_fkey REFERENCES ar.locations,
    reference     text NOT NULL DEFAULT '',
    number        bigint CONSTRAINT sales_orders_number_key UNIQUE,
    net_total     numeric(16, 2) NOT NULL DEFAULT 0,
    tax_total     numeric(16, 2) NOT NULL DEFAULT 0,
    total         numeric(16, 2) NOT NULL DEFAULT 0,
    version       integer NOT NULL DEFAULT 1,
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT now(),
    booked_at     timestamptz,
    booked_by     text,
    findings      jsonb NOT NULL DEFAULT '[]',
    closed_at     timestamptz,
    CONSTRAINT sales_orders_booked_check CHECK ((status = 'draft') = (number IS NULL AND booked_at IS NULL))
);
CREATE INDEX sales_orders_customer_idx ON ar.sales_orders (customer_id, status);
COMMENT ON TABLE ar.sales_orders IS
    'Sales orders: a draft, then booked (numbered; its lines may be shipped and invoiced), then closed or cancelled.';

CREATE TABLE ar.sales_order_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL CONSTRAINT sales_order_lines_order_fkey REFERENCES ar.sales_orders,
    line_no     integer NOT NULL CONSTRAINT sales_order_lines_line_no_check CHECK (line_no > 0),
    product_id  bigint NOT NULL CONSTRAINT sales_order_lines_product_fkey REFERENCES ar.products,
    location_id bigint NOT NULL CONSTRAINT sales_order_lines_location_fkey REFERENCES ar.locations,
    quantity    numeric(14, 4) NOT NULL CONSTRAINT sales_order_lines_quantity_check CHECK (quantity > 0),
    unit_price  numeric(14, 4) NOT NULL CONSTRAINT sales_order_lines_unit_price_check CHECK (unit_price >= 0),
    tax_rate_id bigint NOT NULL CONSTRAINT sales_order_lines_tax_rate_fkey REFERENCES ar.tax_rates,
    tax_percent numeric(7, 4) NOT NULL,
    net_amount  numeric(16, 2) NOT NULL,
    tax_amount  numeric(16, 2) NOT NULL,
    CONSTRAINT sales_order_lines_key UNIQUE (order_id, line_no)
);
COMMENT ON TABLE ar.sales_order_lines IS 'Order lines, priced as invoice lines are: net = quantity x price, tax = net x rate, each rounded to cents.';

CREATE TABLE ar.shipments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      bigint NOT NULL CONSTRAINT shipments_order_fkey REFERENCES ar.sales_orders,
    customer_id   bigint NOT NULL CONSTRAINT shipments_customer_fkey REFERENCES ar.customers,
    status        text NOT NULL DEFAULT 'draft' CONSTRAINT shipments_status_check CHECK (status IN ('draft', 'completed')),
    shipment_date date NOT NULL,
    reference     text NOT NULL DEFAULT '',
    number        bigint CONSTRAINT shipments_number_key UNIQUE,
    document_id   bigint CONSTRAINT shipments_document_fkey REFERENCES ar.stock_documents,
    version       integer NOT NULL DEFAULT 1,
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT now(),
    completed_at  timestamptz,
    completed_by  text,
    CONSTRAINT shipments_completed_check CHECK ((status = 'completed') = (number IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX shipments_order_idx ON ar.shipments (order_id);
COMMENT ON TABLE ar.shipments IS 'Goods shipments of booked orders: a draft, then completed (numbered; its stock has left on a shipment document).';

CREATE TABLE ar.shipment_lines (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id   bigint NOT NULL CONSTRAINT shipment_lines_shipment_fkey REFERENCES ar.shipments,
    line_no       integer NOT NULL CONSTRAINT shipment_lines_line_no_check CHECK (line_no > 0),
    order_line_id bigint NOT NULL CONSTRAINT shipment_lines_order_line_fkey REFERENCES ar.sales_order_lines,
    quantity      numeric(14, 4) NOT NULL CONSTRAINT shipment_lines_quantity_check CHECK (quantity > 0),
    CONSTRAINT shipment_lines_key UNIQUE (shipment_id, line_no),
    CONSTRAINT shipment_lines_order_line_key UNIQUE (shipment_id, order_line_id)
);
CREATE INDEX shipment_lines_order_line_idx ON ar.shipment_lines (order_line_id);
COMMENT ON TABLE ar.shipment_lines IS 'What a shipment takes of an order line.';

CREATE TABLE ar.shipment_line_serials (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    line_id  bigint NOT NULL CONSTRAINT shipment_line_serials_line_fkey REFERENCES ar.shipment_lines ON DELETE CASCADE,
    serial   text NOT NULL CONSTRAINT shipment_line_serials_serial_check CHECK (btrim(serial) <> ''),
    quantity numeric(14, 4) NOT NULL DEFAULT 1 CONSTRAINT shipment_line_serials_quantity_check CHECK (quantity > 0),
    CONSTRAINT shipment_line_serials_key UNIQUE (line_id, serial)
);
COMMENT ON TABLE ar.shipment_line_serials IS 'Serials picked from stock for a shipment line: unique serials one each, a batch with its quantity.';

-- An invoice line made from an order remembers its order line; one made from a shipment, its
-- shipment line too (its stock left with the shipment, so posting does not move it again). A
-- shipment line is invoiced once: by one line of one invoice, draft or posted.
ALTER TABLE ar.invoice_lines
    ADD COLUMN order_line_id bigint CONSTRAINT invoice_lines_order_line_fkey REFERENCES ar.sales_order_lines,
    ADD COLUMN shipment_line_id bigint CONSTRAINT invoice_lines_shipment_line_fkey REFERENCES ar.shipment_lines,
    ADD CONSTRAINT invoice_lines_shipment_order_check CHECK (shipment_line_id IS NULL OR order_line_id IS NOT NULL);
CREATE UNIQUE INDEX invoice_lines_shipment_line_key ON ar.invoice_lines (shipment_line_id) WHERE shipment_line_id IS NOT NULL;
CREATE INDEX invoice_lines_order_line_idx ON ar.invoice_lines (order_line_id) WHERE order_line_id IS NOT NULL;

-- V0003: products (with serial tracking and buildups), customer item types, prices, locations,
-- and stock: every movement an immutable row, on-hand quantities kept by the same transaction,
-- serials that are never edited in place.
SET LOCAL ROLE postgate_owner;

CREATE TABLE ar.customer_item_types (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                    text NOT NULL CONSTRAINT customer_item_types_code_check CHECK (btrim(code) <> ''),
    name                    text NOT NULL CONSTRAINT customer_item_types_name_check CHECK (btrim(name) <> ''),
    warranty_months         integer NOT NULL DEFAULT 0 CONSTRAINT customer_item_types_warranty_check CHECK (warranty_months BETWEEN 0 AND 600),
    service_interval_months integer CONSTRAINT customer_item_types_service_check CHECK (service_interval_months BETWEEN 1 AND 600),
    version                 integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX customer_item_types_code_key ON ar.customer_item_types (lower(code));
COMMENT ON TABLE ar.customer_item_types IS 'Kinds of key item a customer owns: warranty period and service interval in months (NULL: no service).';

CREATE TABLE ar.products (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                  text NOT NULL CONSTRAINT products_code_check CHECK (btrim(code) <> ''),
    name                  text NOT NULL CONSTRAINT products_name_check CHECK (btrim(name) <> ''),
    unit                  text NOT NULL DEFAULT 'unit' CONSTRAINT products_unit_check CHECK (btrim(unit) <> ''),
    default_tax_rate_id   bigint CONSTRAINT products_default_tax_rate_fkey REFERENCES ar.tax_rates,
    customer_item_type_id bigint CONSTRAINT products_customer_item_type_fkey REFERENCES ar.customer_item_types,
    serial_tracking       text NOT NULL DEFAULT 'none' CONSTRAINT products_serial_tracking_check CHECK (serial_tracking IN ('none', 'unique', 'batch')),
    track_on              text NOT NULL DEFAULT 'both' CONSTRAINT products_track_on_check CHECK (track_on IN ('sales', 'purchases', 'both')),
    track_expiry          boolean NOT NULL DEFAULT false,
    is_buildup            boolean NOT NULL DEFAULT false,
    active                boolean NOT NULL DEFAULT true,
    version               integer NOT NULL DEFAULT 1,
    CONSTRAINT products_expiry_needs_serials_check CHECK (NOT track_expiry OR serial_tracking <> 'none'),
    CONSTRAINT products_buildup_untracked_check CHECK (NOT is_buildup OR serial_tracking = 'none')
);
CREATE UNIQUE INDEX products_code_key ON ar.products (lower(code));
CREATE INDEX products_name_idx ON ar.products (lower(name));
COMMENT ON TABLE ar.products IS 'Products. serial_tracking: none, unique (a serial per unit) or batch (a serial covers a quantity); it changes only while no stock is on hand.';

CREATE TABLE ar.buildup_components (
    buildup_id   bigint NOT NULL CONSTRAINT buildup_components_buildup_fkey REFERENCES ar.products,
    component_id bigint NOT NULL CONSTRAINT buildup_components_component_fkey REFERENCES ar.products,
    quantity     numeric(14, 4) NOT NULL CONSTRAINT buildup_components_quantity_check CHECK (quantity > 0),
    CONSTRAINT buildup_components_pkey PRIMARY KEY (buildup_id, component_id),
    CONSTRAINT buildup_components_self_check CHECK (buildup_id <> component_id)
);
COMMENT ON TABLE ar.buildup_components IS 'What one unit of a buildup (kit) is made of. Selling a buildup consumes its components.';

CREATE TABLE ar.product_prices (
    price_list_id bigint NOT NULL CONSTRAINT product_prices_price_list_fkey REFERENCES ar.price_lists,
    product_id    bigint NOT NULL CONSTRAINT product_prices_product_fkey REFERENCES ar.products,
    valid_from    date NOT NULL,
    price         numeric(14, 4) NOT NULL CONSTRAINT product_prices_price_check CHECK (price >= 0),
    CONSTRAINT product_prices_pkey PRIMARY KEY (price_list_id, product_id, valid_from)
);
COMMENT ON TABLE ar.product_prices IS 'Unit prices in the price list''s currency, from valid_from until the next row.';

CREATE TABLE ar.locations (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code    text NOT NULL CONSTRAINT locations_code_check CHECK (btrim(code) <> ''),
    name    text NOT NULL CONSTRAINT locations_name_check CHECK (btrim(name) <> ''),
    active  boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX locations_code_key ON ar.locations (lower(code));
COMMENT ON TABLE ar.locations IS 'Where stock is kept.';

CREATE TABLE ar.serials (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    bigint NOT NULL CONSTRAINT serials_product_fkey REFERENCES ar.products,
    serial        text NOT NULL CONSTRAINT serials_serial_check CHECK (btrim(serial) <> '' AND serial = btrim(serial)),
    expiry        date,
    added_at_sale boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT serials_product_serial_key UNIQUE (product_id, serial)
);
CREATE INDEX serials_serial_idx ON ar.serials (lower(serial) text_pattern_ops);
COMMENT ON TABLE ar.serials IS 'Every serial ever recorded, never edited: a wrong one is written off and the right one received. added_at_sale: entered at a sale without a receipt (to investigate).';

CREATE TABLE ar.stock_documents (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CONSTRAINT stock_documents_kind_check CHECK (kind IN ('receipt', 'transfer', 'write_off', 'sale')),
    document_date date NOT NULL,
    reference     text NOT NULL DEFAULT '',
    notes         text NOT NULL DEFAULT '',
    customer_id   bigint CONSTRAINT stock_documents_customer_fkey REFERENCES ar.customers,
    created_by    text NOT NULL DEFAULT session_user,
    created_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ar.stock_documents IS 'Receipts, transfers, write-offs and sales: each posted at once, whole, and never changed.';

CREATE TABLE ar.stock_movements (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    document_id bigint NOT NULL CONSTRAINT stock_movements_document_fkey REFERENCES ar.stock_documents,
    line_no     integer NOT NULL CONSTRAINT stock_movements_line_check CHECK (line_no > 0),
    product_id  bigint NOT NULL CONSTRAINT stock_movements_product_fkey REFERENCES ar.products,
    location_id bigint NOT NULL CONSTRAINT stock_movements_location_fkey REFERENCES ar.locations,
    serial_id   bigint CONSTRAINT stock_movements_serial_fkey REFERENCES ar.serials,
    quantity    numeric(14, 4) NOT NULL CONSTRAINT stock_movements_quantity_check CHECK (quantity <> 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_product_idx ON ar.stock_movements (product_id, location_id);
CREATE INDEX stock_movements_serial_idx ON ar.stock_movements (serial_id) WHERE serial_id IS NOT NULL;
CREATE INDEX stock_movements_document_idx ON ar.stock_movements (document_id);
COMMENT ON TABLE ar.stock_movements IS 'Every change to stock: quantity in (+) or out (-) of a location, with its serial. Never changed.';

-- On hand per product, location and serial (serial_key 0: no serial), kept by the functions that
-- write movements, in the same transaction; report.stock_discrepancies recounts it.
CREATE TABLE ar.stock_on_hand (
    product_id  bigint NOT NULL CONSTRAINT stock_on_hand_product_fkey REFERENCES ar.products,
    location_id bigint NOT NULL CONSTRAINT stock_on_hand_location_fkey REFERENCES ar.locations,
    serial_key  bigint NOT NULL DEFAULT 0,
    unit_serial boolean NOT NULL DEFAULT false,
    quantity    numeric(14, 4) NOT NULL CONSTRAINT stock_on_hand_quantity_check CHECK (quantity >= 0),
    CONSTRAINT stock_on_hand_pkey PRIMARY KEY (product_id, location_id, serial_key),
    CONSTRAINT stock_on_hand_unit_serial_check CHECK (NOT unit_serial OR quantity <= 1)
);
-- A unique serial is in stock in one place at most.
CREATE UNIQUE INDEX stock_on_hand_unit_serial_key ON ar.stock_on_hand (serial_key) WHERE unit_serial AND quantity > 0;
COMMENT ON TABLE ar.stock_on_hand IS 'Quantity on hand per product, location and serial. Never negative; a unique serial is one unit in one place.';

CREATE TRIGGER stock_documents_immutable BEFORE UPDATE OR DELETE ON ar.stock_documents FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER stock_documents_no_truncate BEFORE TRUNCATE ON ar.stock_documents FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER stock_movements_immutable BEFORE UPDATE OR DELETE ON ar.stock_movements FOR EACH ROW EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER stock_movements_no_truncate BEFORE TRUNCATE ON ar.stock_movements FOR EACH STATEMENT EXECUTE FUNCTION ar.refuse_change();
CREATE TRIGGER serials_immutable BEFORE UPDATE OR DELETE ON ar.serials FOR EACH ROW
    EXECUTE FUNCTION ar.refuse_change('To correct a serial, write it off and receive the right one.');
CREATE TRIGGER serials_no_truncate BEFORE TRUNCATE ON ar.serials FOR EACH STATEMENT
    EXECUTE FUNCTION ar.refuse_change('To correct a serial, write it off and receive the right one.');

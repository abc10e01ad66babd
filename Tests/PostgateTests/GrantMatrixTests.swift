import Foundation
import Postgate
import Postgres
import TestSupport
import Testing

/// The api functions other applications may call, by name. Any other api function, present or
/// future, is refused to them.
let clientAPIFunctions: Set<String> = [
    "create_invoice", "add_invoice_line", "update_invoice_line", "set_line_serials", "remove_invoice_line", "delete_invoice",
    "update_pending_item", "review_customer_items", "get_invoice", "list_unposted", "receive_payment", "add_customer_item",
    "post_receipt", "post_transfer", "post_write_off", "pick_serials", "conversion_rate", "list_reference", "get_customer",
    "list_customers", "customer_alerts", "product_price", "list_products", "get_product", "begin_adjustment_import",
    "validate_adjustment_import", "import_adjustments", "add_adjustment", "export_adjustments", "discard_adjustment_import",
    "adjustment_import_summary", "adjustment_import_totals", "create_order", "add_order_line", "remove_order_line", "delete_order", "end_order",
    "get_order",
    "list_orders", "create_shipment", "complete_shipment", "delete_shipment", "get_shipment", "list_shipments",
    "preview_invoice_generation", "generate_invoices", "create_credit_note", "delete_credit_note", "get_credit_note", "list_credit_notes",
    "apply_credit_note", "list_locations", "list_invoice_series", "unposted_ids",
]

/// One login per group, made for one test and dropped after it (roles are cluster-wide).
struct GrantLogins: Sendable {
    let client: String
    let reporting: String
    let service: String

    init() {
        let suffix = "\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
        client = "gm_client_\(suffix)"
        reporting = "gm_reporting_\(suffix)"
        service = "gm_service_\(suffix)"
    }

    var all: [(role: AccessRole, name: String)] { [(.client, client), (.reporting, reporting), (.service, service)] }
}

/// Runs `body` with a fresh database (holding a small company when `data` is true) and three logins
/// made by `postgate logins add`. The logins are dropped once the database is gone, so nothing of
/// theirs is left to hold them.
func withGrantLogins<T: Sendable>(data: Bool = false, _ body: (TestDatabase, GrantLogins) async throws -> T) async throws -> T {
    let logins = GrantLogins()
    var server: ConnectionConfig?
    func dropLogins() async throws {
        guard let server else { return }
        let admin = try await PostgresConnection.connect(server)
        defer { Task { await admin.close() } }
        for (_, name) in logins.all {
            try await admin.execute(unsafeSQL: "DROP ROLE IF EXISTS \(PostgresQuery.quoteIdentifier(name))")
        }
    }
    do {
        let value = try await withTestDatabase { database in
            server = database.admin
            let admin = try await database.connect()
            do {
                let store = LoginStore(connection: admin)
                for (role, name) in logins.all { try await store.add(name, role: role, password: nil) }
                if data { try await admin.execute(unsafeSQL: grantMatrixCompany) }
                await admin.close()
            } catch {
                await admin.close()
                throw error
            }
            return try await body(database, logins)
        }
        try await dropLogins()
        return value
    } catch {
        try? await dropLogins()
        throw error
    }
}

/// Runs `body` on a connection of `login` (the test server trusts its local socket).
func asLogin<T: Sendable>(_ login: String, on database: TestDatabase, _ body: (PostgresConnection) async throws -> T) async throws -> T {
    let connection = try await PostgresConnection.connect(database.config.with("user", login))
    do {
        let value = try await body(connection)
        await connection.close()
        return value
    } catch {
        await connection.close()
        throw error
    }
}

/// Expects the server to refuse `sql` with `sqlState` (42501: insufficient privilege).
func expectRefused(
    _ connection: PostgresConnection, _ sql: String, sqlState: String = "42501", sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        _ = try await connection.execute(unsafeSQL: sql)
        Issue.record("expected \(sql) to be refused with \(sqlState), but it ran", sourceLocation: sourceLocation)
    } catch {
        #expect(error.sqlState == sqlState, "\(sql): \(error)", sourceLocation: sourceLocation)
        _ = try? await connection.execute(unsafeSQL: "ROLLBACK")
    }
}

/// A single text value of `sql` (NULL as nil).
func text(_ connection: PostgresConnection, _ sql: String) async throws -> String? {
    try await connection.query(PostgresQuery(unsafeSQL: sql))[0].decode(0, as: String?.self)
}

/// A little of everything, entered through the api functions as the administrator: stock with
/// serials, posted invoices in three currencies (one whose customer's currency has no rate on its
/// date), a payment, a draft, a customer item, an adjustment.
let grantMatrixCompany = """
    DO $$
    DECLARE
        v_invoice bigint;
    BEGIN
        PERFORM api.save_currency('EUR', 'Euro');
        PERFORM api.save_currency('USD', 'US Dollar');
        PERFORM api.add_conversion_rate('EUR', 'USD', 1.1, '2000-01-01');
        PERFORM api.save_price_list('SALES', 'Sales', 'EUR');
        PERFORM api.save_price_list('SALESUSD', 'Sales in dollars', 'USD');
        PERFORM api.save_payment_terms('NET30', '30 days', 30);
        PERFORM api.save_payment_method('TRANSFER', 'Bank transfer');
        PERFORM api.save_financial_account('BANK', 'Bank', 'EUR', ARRAY['TRANSFER']);
        PERFORM api.save_tax_rate('VAT', 'VAT 21%', 21);
        PERFORM api.save_item_type('TVTYPE', 'Television', 24, 12);
        PERFORM api.save_location('MAIN', 'Main');
        PERFORM api.save_location('VAN', 'Van');
        PERFORM api.save_product('{"code": "TV", "name": "TV", "serial_tracking": "unique", "customer_item_type": "TVTYPE", "default_tax_rate": "VAT"}');
        PERFORM api.save_product('{"code": "CABLE", "name": "Cable", "default_tax_rate": "VAT"}');
        PERFORM api.save_product('{"code": "GLUE", "name": "Glue", "serial_tracking": "batch", "track_expiry": true, "default_tax_rate": "VAT"}');
        PERFORM api.set_product_price('SALES', 'TV', 500, '2000-01-01');
        PERFORM api.set_product_price('SALES', 'CABLE', 9.99, '2000-01-01');
        PERFORM api.set_product_price('SALESUSD', 'CABLE', 11, '2000-01-01');
        PERFORM api.post_receipt('{"location": "MAIN", "lines": [{"product": "TV", "quantity": 3, "serials": ["S1", "S2", "S3"]},
            {"product": "CABLE", "quantity": 50}, {"product": "GLUE", "quantity": 10, "serials": [{"serial": "G1", "quantity": 10, "expiry": "2099-01-01"}]}]}');
        PERFORM api.post_transfer('{"from": "MAIN", "to": "VAN", "lines": [{"product": "CABLE", "quantity": 5}]}');
        PERFORM api.post_write_off('{"location": "VAN", "lines": [{"product": "CABLE", "quantity": 1}]}');
        PERFORM api.create_customer('{"code": "ACME", "name": "Acme", "price_list": "SALES", "payment_terms": "NET30",
            "payment_method": "TRANSFER", "financial_account": "BANK", "credit_limit": 100000}');
        PERFORM api.create_customer('{"code": "YANK", "name": "Yankee", "price_list": "SALES", "payment_terms": "NET30", "currency": "USD"}');
        PERFORM api.create_customer('{"code": "EURO", "name": "Euro buyer", "price_list": "SALESUSD", "payment_terms": "NET30", "currency": "EUR"}');

        v_invoice := api.create_invoice(jsonb_build_object('customer', 'ACME', 'date', current_date - 100, 'location', 'MAIN')) ->> 'invoice_id';
        PERFORM api.add_invoice_line(v_invoice, '{"product": "TV", "quantity": 1, "serials": ["S1"]}');
        PERFORM api.add_invoice_line(v_invoice, '{"product": "CABLE", "quantity": 2}');
        PERFORM api.review_customer_items(v_invoice, 'fixture');
        PERFORM api.post_invoices(ARRAY[v_invoice], '{}', 'fixture', 'single', gen_random_uuid());
        PERFORM api.receive_payment('{"customer": "ACME", "amount": 100, "allocations": [{"invoice_number": 1}]}');
        -- Converted at the pair's rate, and at the inverse of the opposite pair.
        v_invoice := api.create_invoice(jsonb_build_object('customer', 'YANK', 'date', current_date - 40, 'location', 'MAIN')) ->> 'invoice_id';
        PERFORM api.add_invoice_line(v_invoice, '{"product": "CABLE", "quantity": 3}');
        PERFORM api.post_invoices(ARRAY[v_invoice], '{}', 'fixture', 'single', gen_random_uuid());
        v_invoice := api.create_invoice(jsonb_build_object('customer', 'EURO', 'date', current_date - 10, 'location', 'MAIN')) ->> 'invoice_id';
        PERFORM api.add_invoice_line(v_invoice, '{"product": "CABLE", "quantity": 4}');
        PERFORM api.post_invoices(ARRAY[v_invoice], '{}', 'fixture', 'single', gen_random_uuid());

        v_invoice := api.create_invoice('{"customer": "ACME", "location": "MAIN", "reference": "draft"}') ->> 'invoice_id';
        PERFORM api.add_invoice_line(v_invoice, '{"product": "TV", "quantity": 1}');
        PERFORM api.add_customer_item('{"customer": "EURO", "product": "TV", "serial": "X9"}');
        PERFORM api.add_adjustment('{"customer": "ACME", "amount": -5, "reason": "GENERAL", "reference": "fixture"}');

        -- YANK's invoice has no rate to yen on its date.
        PERFORM api.save_currency('JPY', 'Yen', 0);
        PERFORM api.add_conversion_rate('EUR', 'JPY', 160, current_date - 5);
        PERFORM api.set_customer_currency('YANK', 'JPY', 145, current_date);
    END
    $$;
    """

@Suite("Grant matrix")
struct GrantMatrixTests {
    /// What a login may do to one relation.
    struct RelationRights: Sendable {
        var schema: String
        var name: String
        var privileges: String
        var anyColumn: Bool
    }

    @Test("each login has exactly its group's rights on every table, view, sequence and function of ar, api and report")
    func catalogMatrix() async throws {
        try await withGrantLogins { database, logins in
            let admin = try await database.connect()
            // Functions a view calls are checked against its reader: only the report helpers may be.
            let helpers = try await admin.query(
                """
                SELECT DISTINCT p.oid::regprocedure::text AS signature FROM pg_rewrite r
                JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_proc'::regclass
                JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace
                WHERE vn.nspname IN ('ar', 'api', 'report') AND pn.nspname <> 'pg_catalog'
                """
            ).map { try $0.decode("signature", as: String.self) }
            await admin.close()

            for (role, login) in logins.all {
                try await asLogin(login, on: database) { connection in
                    let relations = try await connection.query(
                        """
                        SELECT n.nspname AS schema, c.relname AS name,
                               array_to_string(ARRAY(
                                   SELECT p FROM unnest(CASE WHEN c.relkind = 'S' THEN ARRAY['USAGE', 'SELECT', 'UPDATE']
                                                             ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] END) p
                                   WHERE CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, p) ELSE has_table_privilege(c.oid, p) END), ',') AS privileges,
                               c.relkind <> 'S' AND has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES') AS any_column
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE n.nspname IN ('ar', 'api', 'report') AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                        ORDER BY 1, 2
                        """
                    ).map {
                        RelationRights(
                            schema: try $0.decode("schema"), name: try $0.decode("name"),
                            privileges: try $0.decode("privileges"), anyColumn: try $0.decode("any_column"))
                    }
                    #expect(relations.contains { $0.schema == "ar" } && relations.contains { $0.schema == "report" })
                    for relation in relations {
                        let readable = relation.schema == "report" && role != .client
                        #expect(
                            relation.privileges == (readable ? "SELECT" : ""),
                            "\(login) (\(role)) on \(relation.schema).\(relation.name): \(relation.privileges)")
                        #expect(relation.anyColumn == readable, "\(login) (\(role)) has column rights on \(relation.schema).\(relation.name)")
                    }

                    let functions = try await connection.query(
                        """
                        SELECT n.nspname AS schema, p.proname AS name, p.oid::regprocedure::text AS signature,
                               has_function_privilege(p.oid, 'EXECUTE') AS executable
                        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                        WHERE n.nspname IN ('ar', 'api', 'report')
                        ORDER BY 3
                        """)
                    #expect(functions.count > 50)
                    for function in functions {
                        let schema = try function.decode("schema", as: String.self)
                        let name = try function.decode("name", as: String.self)
                        let signature = try function.decode("signature", as: String.self)
                        let expected =
                            switch (schema, role) {
                            case ("api", .service): true
                            case ("api", .client): clientAPIFunctions.contains(name)
                            case ("api", .reporting): false
                            case ("ar", .client): false
                            case ("ar", _): helpers.contains(signature)
                            case (_, .client): false
                            default: true
                            }
                        #expect(
                            try function.decode("executable", as: Bool.self) == expected,
                            "\(login) (\(role)) \(expected ? "should" : "must not") execute \(signature)")
                    }
                }
            }
        }
    }

    @Test("views call only small definer helpers; definer functions fix a search path ending in pg_temp and are not PUBLIC's")
    func definerFunctions() async throws {
        try await withTestConnection { connection in
            let calls = try await connection.query(
                """
                SELECT DISTINCT v.oid::regclass::text AS view, p.oid::regprocedure::text AS function, pn.nspname AS schema,
                       p.prosecdef, p.pronargs
                FROM pg_rewrite r JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
                JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_proc'::regclass
                JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace
                WHERE vn.nspname IN ('ar', 'api', 'report') AND pn.nspname <> 'pg_catalog'
                ORDER BY 1, 2
                """)
            for call in calls {
                let view = try call.decode("view", as: String.self)
                let function = try call.decode("function", as: String.self)
                // Not a definer: it would read the tables as the view's reader, who may not.
                #expect(try call.decode("prosecdef", as: Bool.self), "\(view) calls \(function), which is not SECURITY DEFINER")
                #expect(try call.decode("schema", as: String.self) == "ar", "\(view) calls \(function) outside ar")
                // No arguments: a reader gets what the view shows and nothing else.
                #expect(try call.decode("pronargs", as: Int.self) == 0, "\(view) calls \(function), which takes arguments")
            }

            let definers = try await connection.query(
                """
                SELECT p.oid::regprocedure::text AS function, pg_get_userbyid(p.proowner)::text AS owner,
                       (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%') AS search_path,
                       has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname IN ('ar', 'api', 'report') AND p.prosecdef
                ORDER BY 1
                """)
            #expect(definers.count > 50)
            for definer in definers {
                let function = try definer.decode("function", as: String.self)
                let path = try definer.decode("search_path", as: String?.self)
                let elements = path?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: ["\""]) } ?? []
                #expect(elements.last == "pg_temp", "\(function) runs with search_path \(path ?? "(not set)"): pg_temp must come last")
                #expect(
                    elements.filter { $0 == "pg_temp" }.count == 1 && !elements.contains("public") && !elements.contains("$user"),
                    "\(function) runs with search_path \(path ?? "(not set)")")
                #expect(try definer.decode("public_execute", as: Bool.self) == false, "PUBLIC may execute \(function)")
                #expect(try definer.decode("owner", as: String.self) == "postgate_owner", "\(function) is not owned by postgate_owner")
            }
        }
    }

    @Test("no login creates anything in any schema or the database; reporting has no temporary objects")
    func schemasAndDatabase() async throws {
        try await withGrantLogins { database, logins in
            for (role, login) in logins.all {
                try await asLogin(login, on: database) { connection in
                    let schemas = try await connection.query(
                        """
                        SELECT n.nspname AS schema, has_schema_privilege(n.oid, 'CREATE') AS can_create, has_schema_privilege(n.oid, 'USAGE') AS can_use
                        FROM pg_namespace n
                        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg\\_temp\\_%'
                          AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
                        ORDER BY 1
                        """)
                    #expect(Set(try schemas.map { try $0.decode("schema", as: String.self) }).isSuperset(of: ["ar", "api", "report", "public"]))
                    for schema in schemas {
                        let name = try schema.decode("schema", as: String.self)
                        #expect(try schema.decode("can_create", as: Bool.self) == false, "\(login) (\(role)) may create in schema \(name)")
                        let usage: Bool? =
                            switch name {
                            case "ar": false
                            case "api": role != .reporting
                            case "report": role != .client
                            default: nil
                            }
                        if let usage {
                            #expect(try schema.decode("can_use", as: Bool.self) == usage, "\(login) (\(role)) usage of schema \(name)")
                        }
                    }
                    let rights = try await connection.query(
                        """
                        SELECT has_database_privilege(current_database(), 'CREATE') AS can_create,
                               has_database_privilege(current_database(), 'TEMPORARY') AS can_temp,
                               (SELECT string_agg(g, ',' ORDER BY g) FROM unnest(ARRAY['postgate_owner', 'postgate_service', 'postgate_client',
                                   'postgate_reporting']) g WHERE pg_has_role(current_user, g, 'MEMBER')) AS groups
                        """)[0]
                    #expect(try rights.decode("can_create", as: Bool.self) == false, "\(login) may create schemas")
                    if role == .reporting {
                        #expect(try rights.decode("can_temp", as: Bool.self) == false, "\(login) may create temporary objects")
                    }
                    // Its own group only: never the owner's rights.
                    #expect(try rights.decode("groups", as: String.self) == role.groupRole)
                }
            }
        }
    }

    @Test("every report view reads to the end as a reporting and a service login, and is refused to a client")
    func reportViewsReadToTheEnd() async throws {
        try await withGrantLogins(data: true) { database, logins in
            let admin = try await database.connect()
            let views = try await admin.query(
                "SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = 'report'::regnamespace AND c.relkind IN ('v', 'm') ORDER BY 1"
            )
            .map { try $0.decode("name", as: String.self) }
            #expect(views.contains("unposted_invoices") && views.contains("aged_receivables"))
            var expected: [String: Int] = [:]
            for view in views {
                do {
                    expected[view] = try await admin.query(
                        PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM report.\(PostgresQuery.quoteIdentifier(view))"))[0]
                        .decode("n", as: Int.self)
                } catch {
                    Issue.record("the administrator cannot read report.\(view): \(error)")
                }
            }
            #expect(expected["unposted_invoices"] == 1)
            // The view's own rate lookup gives what ar.conversion_rate gives, where it gives one.
            let byFunction = try await admin.query(
                """
                SELECT c.code, sum((i.total - coalesce((SELECT sum(pa.amount) FROM ar.payment_allocations pa WHERE pa.invoice_id = i.id), 0))
                                   * ar.conversion_rate(i.currency, c.currency, i.invoice_date))::numeric(16, 2)::text AS total
                FROM ar.invoices i JOIN ar.customers c ON c.id = i.customer_id
                WHERE i.status = 'posted' AND c.code IN ('ACME', 'EURO') GROUP BY c.code ORDER BY c.code
                """
            ).map { "\(try $0.decode("code", as: String.self)) \(try $0.decode("total", as: String.self))" }
            #expect(byFunction == ["ACME 529.18", "EURO 48.40"])
            await admin.close()

            for login in [logins.reporting, logins.service] {
                try await asLogin(login, on: database) { connection in
                    for view in views {
                        // Every row and column, as psql would fetch them.
                        do {
                            let rows = try await connection.query(
                                PostgresQuery(unsafeSQL: "SELECT * FROM report.\(PostgresQuery.quoteIdentifier(view))"))
                            #expect(rows.count == expected[view], "\(login) read \(rows.count) rows of report.\(view)")
                        } catch {
                            Issue.record("\(login) cannot read report.\(view) to the end: \(error)")
                        }
                    }
                    let aged = try await connection.query(
                        """
                        SELECT customer, total_open::text AS total, invoices_without_rate AS missing FROM report.aged_receivables ORDER BY customer
                        """
                    ).map {
                        "\(try $0.decode("customer", as: String.self)) \(try $0.decode("total", as: String?.self) ?? "-") \(try $0.decode("missing", as: Int.self))"
                    }
                    // An invoice without a rate is left out of the sums (0, never NULL) and counted.
                    #expect(aged == ["ACME 529.18 0", "EURO 48.40 0", "YANK 0.00 1"])
                    let draft = try await connection.query("SELECT reference, lines, stock_short::text AS short FROM report.unposted_invoices")[0]
                    #expect(try draft.decode("reference", as: String.self) == "draft")
                    #expect(try draft.decode("lines", as: Int.self) == 1)
                }
            }
            try await asLogin(logins.client, on: database) { connection in
                for view in views {
                    await expectRefused(connection, "SELECT * FROM report.\(PostgresQuery.quoteIdentifier(view))")
                }
            }
        }
    }

    @Test("what a login may not do, it is refused when it tries")
    func refusalsAreReal() async throws {
        try await withGrantLogins(data: true) { database, logins in
            try await asLogin(logins.reporting, on: database) { connection in
                await expectRefused(connection, "SELECT * FROM ar.customers")
                await expectRefused(connection, "SELECT * FROM ar.report_unposted_invoices()")
                await expectRefused(connection, "SELECT api.get_customer('ACME')")
                await expectRefused(connection, "SELECT api.create_invoice('{\"customer\": \"ACME\"}')")
                // Read-only is a default it may lift; its rights stop it all the same.
                await expectRefused(connection, "BEGIN READ WRITE; CREATE TEMPORARY TABLE scratch (a int)")
                await expectRefused(connection, "BEGIN READ WRITE; CREATE TABLE public.scratch (a int)")
                await expectRefused(connection, "BEGIN READ WRITE; CREATE VIEW report.scratch AS SELECT 1")
                // A view simple enough to be updatable, so that only the rights stand in the way.
                await expectRefused(connection, "BEGIN READ WRITE; DELETE FROM report.schema_history")
                await expectRefused(connection, "BEGIN READ WRITE; UPDATE report.schema_history SET script = 'x'")
                await expectRefused(connection, "SET ROLE postgate_owner")
            }
            try await asLogin(logins.client, on: database) { connection in
                await expectRefused(connection, "SELECT * FROM ar.invoices")
                await expectRefused(connection, "SELECT * FROM report.invoices")
                await expectRefused(connection, "SELECT * FROM ar.report_unposted_invoices()")
                await expectRefused(connection, "SELECT * FROM api.post_invoices(ARRAY[1]::bigint[], '{}', 'x', 'single', gen_random_uuid())")
                await expectRefused(connection, "SELECT * FROM api.posting_facts(ARRAY[1]::bigint[])")
                await expectRefused(connection, "CREATE TABLE api.scratch (a int)")
                await expectRefused(connection, "CREATE TABLE public.scratch (a int)")
                await expectRefused(connection, "CREATE SCHEMA scratch")
                await expectRefused(connection, "SET ROLE postgate_owner")
            }
            try await asLogin(logins.service, on: database) { connection throws in
                await expectRefused(connection, "SELECT * FROM ar.customers")
                await expectRefused(connection, "UPDATE ar.settings SET value = value")
                await expectRefused(connection, "SELECT nextval(pg_get_serial_sequence('ar.invoices', 'id'))")
                await expectRefused(connection, "SELECT * FROM ar.report_unposted_invoices()")
                await expectRefused(connection, "CREATE TABLE public.scratch (a int)")
                await expectRefused(connection, "CREATE VIEW report.scratch AS SELECT 1")
                await expectRefused(connection, "DELETE FROM report.schema_history")
                await expectRefused(connection, "SET ROLE postgate_owner")
                // Its own calls work: it reads the reports and calls the api.
                #expect(try await text(connection, "SELECT count(*)::text FROM report.unposted_invoices") == "1")
                #expect(try await text(connection, "SELECT (api.get_customer('ACME')).code") == "ACME")
            }
        }
    }

    @Test("reporting logins are read-only with a statement timeout by default, set on the login itself")
    func reportingLoginDefaults() async throws {
        try await withGrantLogins { database, logins in
            let expected = AccessRole.reporting.loginSettings.map { "\($0.name)=\($0.value)" }.sorted()
            try await asLogin(logins.reporting, on: database) { connection throws in
                #expect(try await text(connection, "SHOW default_transaction_read_only") == "on")
                #expect(try await text(connection, "SHOW statement_timeout") == "5min")
                await expectRefused(connection, "CREATE TEMPORARY TABLE scratch (a int)", sqlState: "25006")
            }
            try await asLogin(logins.client, on: database) { connection throws in
                #expect(try await text(connection, "SHOW default_transaction_read_only") == "off")
            }

            // A reporting login made by hand gets the same settings from the rights routine, which
            // keeps a setting the administrator chose.
            let admin = try await database.connect()
            let byHand = logins.reporting + "_h"
            let chosen = logins.reporting + "_c"
            try await admin.execute(
                unsafeSQL: """
                    CREATE ROLE \(byHand) LOGIN IN ROLE postgate_reporting;
                    CREATE ROLE \(chosen) LOGIN IN ROLE postgate_reporting;
                    ALTER ROLE \(chosen) SET statement_timeout = '1h';
                    """)
            do {
                let routine = try String(contentsOfFile: TestServer.sqlDirectory + "/routines/R__0900_rights.sql", encoding: .utf8)
                try await admin.withTransaction { try await $0.execute(unsafeSQL: routine) }
                func settings(_ role: String) async throws -> [String] {
                    let value = try await admin.query(
                        """
                        SELECT array_to_string(ARRAY(SELECT c FROM pg_db_role_setting s, unnest(s.setconfig) c
                                                     WHERE s.setrole = \(role)::regrole AND s.setdatabase = 0 ORDER BY c), ',') AS settings
                        """)[0].decode("settings", as: String.self)
                    return value.split(separator: ",").map(String.init)
                }
                #expect(try await settings(byHand) == expected)
                #expect(try await settings(logins.reporting) == expected)
                #expect(try await settings(chosen) == ["default_transaction_read_only=on", "statement_timeout=1h"])
                #expect(try await settings(logins.client) == [])
            } catch {
                Issue.record(error)
            }
            try await admin.execute(unsafeSQL: "DROP ROLE \(byHand); DROP ROLE \(chosen)")
            await admin.close()
        }
    }

    @Test("a client's temporary objects named like Postgate's never run inside the api functions it calls")
    func temporaryObjectsAreNeverRead() async throws {
        try await withGrantLogins(data: true) { database, logins in
            let admin = try await database.connect()
            let granted = try await admin.query(
                """
                SELECT DISTINCT p.proname AS name FROM pg_proc p WHERE p.pronamespace = 'api'::regnamespace
                  AND has_function_privilege(\(logins.client)::name, p.oid, 'EXECUTE')
                """
            ).map { try $0.decode("name", as: String.self) }
            try await asLogin(logins.client, on: database) { connection in
                // Every relation name of Postgate's schemas, and a few a function might use for
                // its own rows, as a view over a function that records who ran it; and a function
                // of the same name and arguments for every ar function that takes built-in types.
                try await connection.execute(
                    unsafeSQL: #"""
                        CREATE TEMPORARY TABLE trap_log (name text, run_by text);
                        GRANT ALL ON trap_log TO PUBLIC;
                        CREATE FUNCTION pg_temp.trap(p_name text) RETURNS boolean LANGUAGE plpgsql AS $$
                        BEGIN
                            INSERT INTO pg_temp.trap_log VALUES (p_name, current_user);
                            RETURN false;
                        END
                        $$;
                        DO $$
                        DECLARE
                            r record;
                        BEGIN
                            FOR r IN
                                SELECT c.relname AS name,
                                       (SELECT string_agg(format('NULL::%s AS %I', CASE WHEN t.typnamespace = 'pg_catalog'::regnamespace
                                                                 THEN format_type(a.atttypid, a.atttypmod) ELSE 'text' END, a.attname), ', ' ORDER BY a.attnum)
                                        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                                        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
                                FROM pg_class c
                                WHERE c.relnamespace IN (SELECT oid FROM pg_namespace WHERE nspname IN ('ar', 'api', 'report', 'staging'))
                                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                                UNION ALL
                                SELECT x, NULL FROM unnest(ARRAY['posting_facts', 'staged', 'import_rows', 'adjustment_rows']) x
                            LOOP
                                IF to_regclass('pg_temp.' || quote_ident(r.name)) IS NULL THEN
                                    EXECUTE format('CREATE TEMPORARY VIEW %I AS SELECT %s WHERE pg_temp.trap(%L)', r.name, coalesce(r.columns, ''), r.name);
                                END IF;
                            END LOOP;
                            FOR r IN
                                SELECT p.proname AS name, pg_get_function_identity_arguments(p.oid) AS arguments, format_type(p.prorettype, NULL) AS result
                                FROM pg_proc p
                                WHERE p.pronamespace = 'ar'::regnamespace AND p.prokind = 'f' AND NOT p.proretset
                                  AND p.prorettype NOT IN ('void'::regtype, 'trigger'::regtype, 'record'::regtype)
                                  AND NOT EXISTS (SELECT FROM pg_type t WHERE t.oid = ANY (p.proargtypes::oid[] || p.prorettype)
                                                  AND (t.typnamespace <> 'pg_catalog'::regnamespace OR t.typtype = 'p'))
                            LOOP
                                EXECUTE format('CREATE FUNCTION pg_temp.%I(%s) RETURNS %s LANGUAGE sql AS %L', r.name, r.arguments, r.result,
                                               format('SELECT CASE WHEN pg_temp.trap(%L) THEN NULL::%s END', r.name, r.result));
                            END LOOP;
                        END
                        $$;
                        """#)
                // The trap works: the client's own unqualified names find it.
                #expect(try await text(connection, "SELECT count(*)::text FROM customers") == "0")
                #expect(try await text(connection, "SELECT string_agg(name, ',') FROM pg_temp.trap_log") == "customers")
                #expect(try await text(connection, "SELECT pg_temp.setting('x')::text") == nil)
                try await connection.execute(unsafeSQL: "DELETE FROM pg_temp.trap_log")
                let views = try await text(
                    connection, "SELECT count(*)::text FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'v'")
                #expect(Int(views ?? "0") ?? 0 > 30)

                // Writes behave as they do for anyone.
                func call(_ name: String, _ sql: String) async throws -> String? {
                    guard granted.contains(name) else { return nil }
                    return try await text(connection, sql)
                }
                let created = try await call(
                    "create_invoice",
                    """
                    SELECT api.create_invoice('{"customer": "ACME", "location": "MAIN", "reference": "trapped"}') ->> 'invoice_id'
                    """)
                if let invoice = created {
                    #expect(
                        try await call(
                            "add_invoice_line", "SELECT api.add_invoice_line(\(invoice), '{\"product\": \"CABLE\", \"quantity\": 2}')::text") == "1")
                    #expect(try await call("update_invoice_line", "SELECT api.update_invoice_line(\(invoice), 1, '{\"quantity\": 3}')::text") != nil)
                    #expect(
                        try await call("add_invoice_line", "SELECT api.add_invoice_line(\(invoice), '{\"product\": \"TV\", \"quantity\": 1}')::text")
                            == "2")
                    #expect(try await call("set_line_serials", "SELECT api.set_line_serials(\(invoice), 2, '[\"S2\"]')::text") != nil)
                    _ = try await call("review_customer_items", "SELECT api.review_customer_items(\(invoice), 'trapped')::text")
                    #expect(try await call("remove_invoice_line", "SELECT api.remove_invoice_line(\(invoice), 2)::text") != nil)
                    let other = try await call("create_invoice", "SELECT api.create_invoice('{\"customer\": \"EURO\"}') ->> 'invoice_id'")
                    if let other { _ = try await call("delete_invoice", "SELECT api.delete_invoice(\(other))::text") }
                }
                #expect(
                    try await call("receive_payment", "SELECT (api.receive_payment('{\"customer\": \"ACME\", \"amount\": 10}') > 0)::text") ?? "true"
                        == "true")
                _ = try await call(
                    "post_receipt",
                    "SELECT api.post_receipt('{\"location\": \"MAIN\", \"lines\": [{\"product\": \"CABLE\", \"quantity\": 1}]}')::text")
                _ = try await call(
                    "post_transfer",
                    "SELECT api.post_transfer('{\"from\": \"MAIN\", \"to\": \"VAN\", \"lines\": [{\"product\": \"CABLE\", \"quantity\": 1}]}')::text")
                _ = try await call(
                    "post_write_off",
                    "SELECT api.post_write_off('{\"location\": \"VAN\", \"lines\": [{\"product\": \"CABLE\", \"quantity\": 1}]}')::text")
                _ = try await call(
                    "add_customer_item", "SELECT api.add_customer_item('{\"customer\": \"ACME\", \"product\": \"TV\", \"serial\": \"T1\"}')::text")
                _ = try await call(
                    "add_adjustment", "SELECT api.add_adjustment('{\"customer\": \"ACME\", \"amount\": 7, \"reference\": \"trapped\"}')::text")
                if let batch = try await call("begin_adjustment_import", "SELECT api.begin_adjustment_import()::text") {
                    try await connection.execute(
                        unsafeSQL: """
                            INSERT INTO staging.adjustment_import (customer_code, adjustment_date, amount, currency, reason, reference, notes)
                            VALUES ('ACME', '2026-01-15', '3.50', 'EUR', 'GENERAL', 'trapped import', '')
                            """)
                    #expect(
                        try await call("validate_adjustment_import", "SELECT count(*)::text FROM api.validate_adjustment_import(\(batch))") ?? "0"
                            == "0")
                    #expect(
                        try await call("import_adjustments", "SELECT (api.import_adjustments(\(batch), 'trapped.csv') > 0)::text") ?? "true" == "true"
                    )
                }

                // Reads give what the administrator, who has no such objects, reads.
                let reads = [
                    ("get_invoice", "SELECT api.get_invoice(\(created ?? "0"))::text"),
                    ("list_unposted", "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.list_unposted() t"),
                    ("get_customer", "SELECT coalesce(string_agg(t::text, E'\\n'), '(none)') FROM api.get_customer('ACME') t"),
                    ("list_customers", "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.list_customers() t"),
                    (
                        "customer_alerts",
                        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.customer_alerts('ACME', 'sales_invoice') t"
                    ),
                    ("product_price", "SELECT api.product_price('SALES', 'CABLE', current_date)::text"),
                    ("list_products", "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.list_products() t"),
                    ("get_product", "SELECT coalesce(string_agg(t::text, E'\\n'), '(none)') FROM api.get_product('TV') t"),
                    ("pick_serials", "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.pick_serials('TV', 'MAIN') t"),
                    ("conversion_rate", "SELECT api.conversion_rate('USD', 'EUR', current_date)::text"),
                    (
                        "list_reference",
                        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.list_reference('currencies') t"
                    ),
                    ("export_adjustments", "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '(none)') FROM api.export_adjustments() t"),
                ]
                for (name, sql) in reads where granted.contains(name) && (name != "get_invoice" || created != nil) {
                    let asClient = try await text(connection, sql)
                    let asAdmin = try await text(admin, sql)
                    #expect(asClient == asAdmin, "api.\(name) as a client with temporary look-alikes")
                    #expect(asClient != nil, "api.\(name) returned nothing")
                }
                #expect(try await text(connection, "SELECT string_agg(name || ' as ' || run_by, ', ') FROM pg_temp.trap_log") == nil)
            }
            if granted.contains("create_invoice") {
                let trapped = try await admin.query(
                    """
                    SELECT i.total::text AS total, count(l.*) AS lines FROM ar.invoices i LEFT JOIN ar.invoice_lines l ON l.invoice_id = i.id
                    WHERE i.reference = 'trapped' GROUP BY i.id
                    """)
                #expect(trapped.count == 1)
                #expect(try trapped.first?.decode("total", as: String.self) == "36.26")
                #expect(try trapped.first?.decode("lines", as: Int.self) == 1)
            }
            await admin.close()
        }
    }
}

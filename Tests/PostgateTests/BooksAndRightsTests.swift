import Foundation
import Postgate
import PostgateBench
import Postgres
import PostingPolicy
import TestSupport
import Testing

/// Connects as a new login of one of Postgate's groups (as other applications and the service
/// really connect), and drops the login afterwards.
func withLogin<T: Sendable>(_ company: Company, _ role: AccessRole, _ body: (PostgresConnection, String) async throws -> T) async throws -> T {
    let name = "books_\(role.rawValue)_\(company.database.name)"
    let ddl = try await company.pool.query("SELECT format('CREATE ROLE %I LOGIN IN ROLE %I', \(name)::text, \(role.groupRole)::text) AS ddl")
    try await company.pool.withConnection { try await $0.execute(unsafeSQL: try ddl[0].decode("ddl", as: String.self)) }
    let connection = try await PostgresConnection.connect(company.database.config.with("user", name))
    do {
        let value = try await body(connection, name)
        // Its temporary objects go now, not whenever the server gets round to it, so the role can be dropped.
        try await connection.execute(unsafeSQL: "DISCARD TEMP")
        await connection.close()
        try await company.pool.withConnection { try await $0.execute(unsafeSQL: "DROP ROLE \(PostgresQuery.quoteIdentifier(name))") }
        return value
    } catch {
        await connection.close()
        _ = try? await company.pool.withConnection { try await $0.execute(unsafeSQL: "DROP ROLE \(PostgresQuery.quoteIdentifier(name))") }
        throw error
    }
}

/// The server's refusal of `body`, or nil when it was not refused.
func refusal(_ body: () async throws -> Void) async -> PostgresError? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return PostgresError(kind: .server, message: "\(error)")
    }
}

@Suite("Books that cannot go wrong: escalation, audit, decimals, serials, settings, payments")
struct BooksAndRightsTests {
    @Test("a client's temporary objects named like the import's or the posting's are never read by the owner's functions")
    func noEscalationThroughTemporaryObjects() async throws {
        try await withCompany { company in
            try await withLogin(company, .client) { client, login in
                // The attack: a view named as the old staging table, over the client's own code,
                // which would make it the owner and change a credit limit if the owner ever ran it.
                try await client.execute(
                    unsafeSQL: """
                        CREATE TEMPORARY TABLE ran (what text);
                        CREATE FUNCTION pg_temp.evil() RETURNS SETOF text LANGUAGE plpgsql AS $$
                        BEGIN
                            INSERT INTO pg_temp.ran VALUES (current_user);
                            EXECUTE format('GRANT postgate_owner TO %I', session_user);
                            UPDATE ar.customers SET credit_limit = 999999999 WHERE code = 'ACME';
                            RETURN;
                        END $$;
                        """)
                for name in [
                    "adjustment_import", "adjustment_rows", "adjustments", "customers", "settings", "currencies", "adjustment_reasons",
                    "staged_adjustments", "adjustment_imports",
                ] {
                    try await client.execute(
                        unsafeSQL: """
                            CREATE TEMPORARY VIEW \(name) AS SELECT pg_temp.evil() AS customer_code, '' AS customer_name, '' AS adjustment_date,
                                '' AS amount, '' AS currency, '' AS reason, '' AS reference, '' AS notes, 2::bigint AS line_no
                            """)
                }
                let importID = try await client.query("SELECT api.begin_adjustment_import()")[0].decode(0, as: Int64.self)
                let rows = try await client.copyIn(
                    "COPY staging.adjustment_import (customer_code, adjustment_date, amount) FROM STDIN WITH (FORMAT csv)",
                    chunks: CopyChunks(count: 1) { _ in "ACME,2026-11-01,-20.50\n" })
                #expect(rows == 1)
                #expect(try await client.query("SELECT * FROM api.validate_adjustment_import(\(importID))").isEmpty)
                let batch = try await client.query("SELECT api.import_adjustments(\(importID), 'f.csv', NULL, false)")[0].decode(0, as: Int64.self)
                #expect(batch > 0)
                #expect(
                    try await client.query("SELECT api.add_adjustment('{\"customer\": \"ACME\", \"amount\": \"1\"}')")[0].decode(0, as: Int64.self)
                        > 0)
                #expect(try await client.query("SELECT count(*) FROM pg_temp.ran")[0].decode(0, as: Int.self) == 0, "the client's code never ran")
                let member = try await company.pool.query("SELECT pg_has_role(\(login), 'postgate_owner', 'MEMBER') AS m")[0].decode(
                    "m", as: Bool.self)
                #expect(!member)
                #expect(try await company.customers.get("ACME").creditLimit == 5000)
                #expect(try await company.balance("ACME") == Decimal(string: "-19.50")!)
                // The staged rows are the owner's: a client can add rows, never read or change them.
                let read = await refusal { try await client.query("SELECT * FROM staging.adjustment_import") }
                #expect(read?.sqlState == "42501")
                let forged = await refusal {
                    try await client.query("INSERT INTO staging.adjustment_import (login, customer_code) VALUES ('postgres', 'ACME')")
                }
                #expect(forged?.sqlState == "42501", "rows are staged under the client's own login only")
                let other = await refusal { try await client.query("SELECT * FROM api.validate_adjustment_import(\(importID + 1000))") }
                #expect(other?.sqlState == "PG404")
            }
        }
    }

    @Test("the service's temporary objects named like anything the posting touches change nothing")
    func postingIgnoresTemporaryObjects() async throws {
        try await withCompany { company in
            let draft = try await company.draft("ACME", [tv("TV-1"), cable(2)])
            try await withLogin(company, .service) { service, login in
                try await service.execute(
                    unsafeSQL: """
                        CREATE TEMPORARY TABLE ran (what text);
                        CREATE FUNCTION pg_temp.evil() RETURNS bigint LANGUAGE plpgsql AS $$
                        BEGIN INSERT INTO pg_temp.ran VALUES (current_user); RETURN 1; END $$;
                        """)
                for name in [
                    "posting_facts", "posting_moves", "posting_documents", "posting_items", "invoices", "invoice_lines", "serials",
                    "stock_on_hand", "settings", "customers", "pending_customer_items", "invoice_numbers",
                ] {
                    try await service.execute(unsafeSQL: "CREATE TEMPORARY VIEW \(name) AS SELECT pg_temp.evil() AS id, 'draft' AS status")
                }
                try await service.withTransaction { connection in
                    _ = try await connection.query("SELECT * FROM api.posting_facts(\([draft]), true)")
                    let rows = try await connection.query("SELECT * FROM api.post_invoices(\([draft]), '{}'::jsonb, 'nobody', 'single', \(UUID()))")
                    #expect(rows.count == 1)
                }
                #expect(try await service.query("SELECT count(*) FROM pg_temp.ran")[0].decode(0, as: Int.self) == 0)
                // The audit names the login beside the actor the caller claimed.
                let audit = try await company.pool.query("SELECT actor, login::text AS login FROM ar.posting_audit WHERE invoice_id = \(draft)")
                #expect(try audit[0].decode("actor", as: String.self) == "nobody")
                #expect(try audit[0].decode("login", as: String.self) == login)
                let shown = try await company.pool.query("SELECT login::text AS login FROM report.posting_audit WHERE invoice_id = \(draft)")
                #expect(try shown[0].decode("login", as: String.self) == login)
            }
        }
    }

    @Test("amounts with more decimals than stored are refused, naming the field, never rounded")
    func decimalsAreRefused() async throws {
        try await withCompany { company in
            let (draft, _) = try await company.invoices.createDraft(customer: "ACME", location: "MAIN")
            try await withLogin(company, .client) { client, _ in
                for (field, line) in [
                    ("lines[1].quantity", #"{"product": "CABLE", "quantity": 1.00004}"#),
                    ("lines[1].unit_price", #"{"product": "CABLE", "quantity": 1, "unit_price": "1.00001"}"#),
                ] {
                    let error = await refusal { try await client.query("SELECT api.add_invoice_line(\(draft), \(line)::jsonb)") }
                    #expect(error?.sqlState == "PG400")
                    #expect(error?.column == field)
                    #expect(error?.message.contains("at most 4") == true, "\(String(describing: error))")
                }
            }
            #expect(try await company.invoices.invoice(draft).lines.isEmpty, "nothing was stored")
        }
    }

    @Test("a currency's decimals cannot change once an amount uses it; clients change no reference data at all")
    func currencyDecimals() async throws {
        try await withCompany { company in
            try await withLogin(company, .client) { client, _ in
                let error = await refusal { try await client.query("SELECT api.save_currency('EUR', 'Euro', 0, 1)") }
                #expect(error?.sqlState == "42501")
                let customer = await refusal { try await client.query("SELECT api.update_customer('ACME', 1, '{\"credit_limit\": 1}')") }
                #expect(customer?.sqlState == "42501")
            }
            let error = await refusal { try await company.pool.query("SELECT api.save_currency('EUR', 'Euro', 0, 1)") }
            #expect(error?.sqlState == "PG422")
            #expect(error?.column == "minor_units")
            #expect(try await company.pool.query("SELECT api.save_currency('EUR', 'The euro', 2, 1)")[0].decode(0, as: Int.self) == 2)
            try await company.pool.query("SELECT api.save_currency('XTS', 'Test', 2)")
            #expect(
                try await company.pool.query("SELECT api.save_currency('XTS', 'Test', 3, 1)")[0].decode(0, as: Int.self) == 2, "unused: may change")
        }
    }

    @Test("a unique serial is in one place: one sold, written off or elsewhere is refused, one never seen is added at sale")
    func serialsInOnePlace() async throws {
        try await withCompany { company in
            try await CatalogStore(pool: company.pool).saveLocation("VAN", name: "Van")
            // Drafts that name serials while they are in MAIN; then the serials move or go.
            let soldTwice = try await company.draft("ACME", [tv("TV-1")])
            let writtenOff = try await company.draft("ACME", [tv("TV-2")])
            let moved = try await company.draft("ACME", [tv("TV-3")])
            let fresh = try await company.draft("ACME", [tv("NEW-1")])
            let first = try await company.draft("ACME", [tv("TV-1")])
            try await company.posting.post([first])
            try await company.stock.post(
                StockDocument(.writeOff(location: "MAIN"), lines: [StockLine(product: "TV", quantity: 1, serials: [SerialEntry("TV-2")])]))
            try await company.stock.post(
                StockDocument(.transfer(from: "MAIN", to: "VAN"), lines: [StockLine(product: "TV", quantity: 1, serials: [SerialEntry("TV-3")])]))

            let preview = try await company.posting.preview([soldTwice, writtenOff, moved, fresh])
            func reasons(_ id: Int64) -> [String] {
                preview.items.first { $0.invoiceID == id }!.decision.blockers.map(\.message)
            }
            #expect(reasons(soldTwice).count == 1 && reasons(soldTwice)[0].contains("already sold (invoice 1 to ACME"), "\(reasons(soldTwice))")
            #expect(reasons(writtenOff).count == 1 && reasons(writtenOff)[0].contains("written off"), "\(reasons(writtenOff))")
            #expect(reasons(moved).count == 1 && reasons(moved)[0].contains("in stock at VAN"), "\(reasons(moved))")
            #expect(reasons(fresh).isEmpty, "a serial never seen is entered at the sale")
            for id in [soldTwice, writtenOff, moved] {
                await #expect(throws: PostingRefused.self) { try await company.posting.post([id]) }
            }
            // Even past the rules, the database refuses to sell a serial that is not there.
            let direct = await refusal {
                try await company.pool.withTransaction { connection in
                    _ = try await connection.query("SELECT * FROM api.post_invoices(\([soldTwice]), '{}'::jsonb, 'tester', 'single', \(UUID()))")
                }
            }
            #expect(direct?.sqlState == "PG422")
            #expect(direct?.message.contains("already sold") == true)
            try await company.posting.post([fresh])
            let items = try await company.pool.query("SELECT count(*) AS n FROM ar.customer_items WHERE serial = 'TV-1'")[0].decode("n", as: Int.self)
            #expect(items == 1, "one customer item carries TV-1")
            let added = try await company.pool.query("SELECT serial FROM report.serials_added_at_sale ORDER BY serial").map {
                try $0.decode("serial", as: String.self)
            }
            #expect(added == ["NEW-1"])
            let where1 = try await company.pool.query("SELECT status, location FROM report.serial_numbers WHERE serial = 'TV-3'")
            #expect(try where1[0].decode("status", as: String.self) == "in stock")
            #expect(try where1[0].decode("location", as: String?.self) == "VAN")
            // Entering a serial that is not at the line's location is refused at once, with where it is.
            let (late, _) = try await company.invoices.createDraft(customer: "ACME", location: "MAIN")
            do {
                try await company.invoices.addLine(late, tv("TV-3"))
                Issue.record("a serial at VAN was entered on a line leaving MAIN")
            } catch let error as DomainError {
                #expect(error.message.contains("in stock at VAN"), "\(error)")
                #expect(error.field == "lines[1].serials[1]")
            }
            // Two drafts selling the same new serial cannot both post.
            let twinA = try await company.draft("ACME", [tv("NEW-2")])
            let twinB = try await company.draft("ACME", [tv("NEW-2")])
            await #expect(throws: DomainError.self) { try await company.posting.post([twinA, twinB]) }
            try await company.posting.post([twinA])
            await #expect(throws: PostingRefused.self) { try await company.posting.post([twinB]) }
        }
    }

    @Test(
        "customer-item settings in force at posting decide what is created, and the preview says the same",
        arguments: [
            "global", "customer", "batch", "component",
        ])
    func itemSettingsAtPosting(_ switchOff: String) async throws {
        try await withCompany { company in
            try await company.setting("batch_serial_items", "true")
            try await company.setting("buildup_component_items", "true")
            let line: NewInvoiceLine =
                switch switchOff {
                case "batch": NewInvoiceLine(product: "CARPET", quantity: 5, serials: [SerialEntry("ROLL-1", quantity: 5)])
                case "component": NewInvoiceLine(product: "KIT", quantity: 1, serials: [SerialEntry("TV-6")])
                default: tv("TV-5")
                }
            let draft = try await company.draft("ACME", [line])
            let before = try await company.posting.preview([draft]).itemsToCreate
            #expect(before > 0)
            switch switchOff {
            case "global": try await company.setting("create_customer_items", "false")
            case "customer": try await company.pool.query("SELECT api.update_customer('ACME', 1, '{\"create_customer_items\": false}')")
            case "batch": try await company.setting("batch_serial_items", "false")
            default: try await company.setting("buildup_component_items", "false")
            }
            let after = try await company.posting.preview([draft]).itemsToCreate
            let expected = switchOff == "component" ? 1 : 0  // the kit keeps its own item; its components go
            #expect(after == expected)
            try await company.posting.post([draft])
            let created = try await company.pool.query("SELECT count(*) AS n FROM ar.customer_items WHERE invoice_id = \(draft)")[0].decode(
                "n", as: Int.self)
            #expect(created == expected)
        }
    }

    @Test("an empty draft is blocked by the preview with its own finding")
    func emptyDraft() async throws {
        try await withCompany { company in
            let (draft, _) = try await company.invoices.createDraft(customer: "ACME", location: "MAIN")
            let preview = try await company.posting.preview([draft])
            #expect(!preview.canPost)
            #expect(preview.items[0].decision.blockers.map(\.code) == ["no-lines"])
        }
    }

    @Test("post and pay records the payment in the invoice's currency, converted as the invoice is; a part payment is refused for cash sales")
    func postAndPayCurrency() async throws {
        try await withCompany { company in
            let reference = ReferenceStore(pool: company.pool)
            try await reference.saveCurrency("USD", name: "US dollar")
            try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.9")!, validFrom: LocalDate("2026-01-01")!)
            try await reference.savePriceList("USDLIST", name: "Dollar prices", currency: "USD")
            try await CatalogStore(pool: company.pool).setPrice(
                priceList: "USDLIST", product: "CABLE", price: Decimal(string: "50")!,
                validFrom: LocalDate("2026-01-01"))
            var buyer = NewCustomer(code: "CASHUSD", name: "Pays cash in dollars", priceList: "USDLIST", paymentTerms: "CASHONLY")
            buyer.paymentMethod = "CASH"
            buyer.financialAccount = "TILL"
            try await company.customers.create(buyer)
            let draft = try await company.draft("CASHUSD", [NewInvoiceLine(product: "CABLE", quantity: 2, taxRate: nil)])
            let invoice = try await company.invoices.invoice(draft)
            #expect(invoice.currency == "USD")
            do {
                try await company.posting.postAndPay(draft, amount: 60)
                Issue.record("a part payment posted a Cash Sales Only invoice")
            } catch let refused as PostingRefused {
                #expect(refused.description.contains("the amount due is \(invoice.total) USD, not 60"), "\(refused)")
            }
            try await company.posting.postAndPay(draft)
            let payment = try await company.pool.query("SELECT currency, amount FROM report.payments WHERE customer = 'CASHUSD'")
            #expect(try payment[0].decode("currency", as: String.self) == "USD")
            #expect(try payment[0].decode("amount", as: Decimal.self) == invoice.total)
            #expect(try await company.balance("CASHUSD") == 0, "the invoice and its payment cancel out in the customer's currency")
            let open = try await company.pool.query("SELECT open_amount FROM report.invoices WHERE invoice_id = \(draft)")[0].decode(
                0, as: Decimal.self)
            #expect(open == 0)
        }
    }

    @Test("a mass posting cut off by a lost connection says what was posted, and the same run again posts the rest")
    func lostConnection() async throws {
        try await withCompany { company in
            var drafts: [Int64] = []
            for _ in 0..<6 { drafts.append(try await company.draft("ACME", [cable(1)])) }
            // The server ends the posting's session as the third chunk posts.
            try await company.pool.withConnection {
                try await $0.execute(
                    unsafeSQL: """
                        CREATE FUNCTION ar.cut_off() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                        BEGIN
                            IF (SELECT count(*) FROM ar.posting_audit) >= 5 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
                            RETURN NULL;
                        END $$;
                        CREATE TRIGGER cut_off AFTER INSERT ON ar.posting_audit FOR EACH STATEMENT EXECUTE FUNCTION ar.cut_off();
                        """)
            }
            let preview = try await company.posting.preview(drafts)
            let result = try await company.posting.confirm(preview.token, chunkSize: 2)
            #expect(result.connectionLost)
            #expect(result.posted.count == 4)
            #expect(result.notPosted.count == 2)
            #expect(result.stoppedBecause?.contains("connection to the database was lost") == true)
            try await company.pool.withConnection { try await $0.execute(unsafeSQL: "DROP TRIGGER cut_off ON ar.posting_audit") }
            let again = try await company.posting.confirm(preview.token, chunkSize: 2)
            #expect(again.posted.count == 2)
            #expect(again.alreadyPosted.count == 4)
            let numbers = try await company.pool.query("SELECT number FROM report.invoices WHERE status = 'posted' ORDER BY number").map {
                try $0.decode(0, as: Int64.self)
            }
            #expect(numbers == Array(1...6), "gapless")
        }
    }
}

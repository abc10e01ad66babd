import Foundation
import Postgate
import Postgres
import TestSupport
import Testing

/// The reference data of a small company's customers: euros and dollars, a price list, bank
/// transfer and cash, 30-day and cash-sales-only terms, a standard tax category, a sales rep.
func withReferenceData<T: Sendable>(_ body: (PostgresPool, CustomerStore, ReferenceStore) async throws -> T) async throws -> T {
    try await withTestDatabase { database in
        let pool = PostgresPool(config: database.config, maxConnections: 4)
        let reference = ReferenceStore(pool: pool)
        try await reference.saveCurrency("EUR", name: "Euro")
        try await reference.saveCurrency("USD", name: "US Dollar")
        try await reference.saveCurrency("JPY", name: "Yen", minorUnits: 0)
        try await reference.savePriceList("SALES", name: "Sales", currency: "EUR")
        try await reference.savePaymentMethod("TRANSFER", name: "Bank transfer")
        try await reference.savePaymentMethod("CASH", name: "Cash")
        try await reference.saveFinancialAccount("BANK", name: "Main bank", currency: "EUR", paymentMethods: ["TRANSFER"])
        try await reference.savePaymentTerms("NET30", name: "30 days", netDays: 30)
        try await reference.savePaymentTerms("CASHONLY", name: "Cash sales only", cashSalesOnly: true)
        try await reference.saveInvoiceSchedule("MONTHLY", name: "Monthly")
        try await reference.saveTaxRate("VAT21", name: "VAT 21%", rate: 21)
        try await reference.saveTaxCategory("STD", name: "Standard", taxRates: ["VAT21"])
        try await reference.saveEmployee("ANN", name: "Ann", isSalesRep: true)
        try await reference.saveEmployee("BOB", name: "Bob")
        do {
            let value = try await body(pool, CustomerStore(pool: pool), reference)
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

func acme() -> NewCustomer {
    var customer = NewCustomer(code: "ACME", name: "Acme Ltd", priceList: "SALES", paymentTerms: "NET30")
    customer.paymentMethod = "TRANSFER"
    customer.financialAccount = "BANK"
    customer.creditLimit = Decimal(string: "5000.00")
    customer.salesRep = "ANN"
    customer.taxCategory = "STD"
    return customer
}

@Suite("Customer store")
struct CustomerStoreTests {
    @Test("a customer is created with the usual defaults and read back by code in any case")
    func createAndRead() async throws {
        try await withReferenceData { _, customers, _ in
            let id = try await customers.create(acme())
            let customer = try await customers.get("acme")
            #expect(customer.id == id)
            #expect(customer.currency == "EUR")
            #expect(customer.creditLimit == Decimal(5000))
            #expect(customer.invoiceTerms == .immediate)
            #expect(customer.onHold == false)
            #expect(customer.hold == HoldSwitches(salesOrder: true, goodsShipment: true, salesInvoice: true, paymentIn: false))
            #expect(customer.createCustomerItems)
            #expect(customer.version == 1)
        }
    }

    @Test(
        "every refusal names its field",
        arguments: [
            ("price_list", DomainError.Kind.notFound), ("payment_method", .ruleViolated), ("sales_rep", .ruleViolated),
            ("invoice_schedule", .ruleViolated), ("currency", .missingRate), ("credit_limit", .invalid), ("code", .duplicate),
        ])
    func refusalsNameTheField(_ field: String, _ kind: DomainError.Kind) async throws {
        try await withReferenceData { _, customers, _ in
            try await customers.create(acme())
            var customer = NewCustomer(code: "NEW", name: "New", priceList: "SALES", paymentTerms: "NET30")
            switch field {
            case "price_list": customer.priceList = "NOPE"
            case "payment_method":
                customer.financialAccount = "BANK"
                customer.paymentMethod = "CASH"
            case "sales_rep": customer.salesRep = "BOB"
            case "invoice_schedule": customer.invoiceTerms = .customerScheduleAfterDelivery
            case "currency": customer.currency = "USD"
            case "credit_limit": customer.creditLimit = Decimal(string: "10.005")
            default: customer.code = "acme"
            }
            let error = await #expect(throws: DomainError.self) { try await customers.create(customer) }
            #expect(error?.kind == kind)
            #expect(error?.field == field)
            #expect(error?.hint?.isEmpty == false, "every refusal says what to do")
        }
    }

    @Test("a price list in another currency is accepted once a conversion rate exists")
    func currencyNeedsARate() async throws {
        try await withReferenceData { _, customers, reference in
            var customer = NewCustomer(code: "USCO", name: "US Co", priceList: "SALES", paymentTerms: "NET30")
            customer.currency = "USD"
            await #expect(throws: DomainError.self) { try await customers.create(customer) }
            try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.92")!, validFrom: LocalDate("2026-01-01")!)
            try await customers.create(customer)
            #expect(try await customers.get("USCO").currency == "USD")
        }
    }

    @Test("an update applies only the changes, needs the version read, and null clears")
    func optimisticUpdate() async throws {
        try await withReferenceData { _, customers, _ in
            try await customers.create(acme())
            var changes = CustomerChanges()
            changes.clear(.creditLimit)
            changes.set(.name, "Acme Limited")
            let version = try await customers.update("ACME", version: 1, changes: changes)
            #expect(version == 2)
            let updated = try await customers.get("ACME")
            #expect(updated.creditLimit == nil)
            #expect(updated.name == "Acme Limited")
            #expect(updated.salesRep == "ANN")
            let stale = await #expect(throws: DomainError.self) { try await customers.update("ACME", version: 1, changes: changes) }
            #expect(stale?.kind == .stale)
            #expect(stale?.message.contains("version 2") == true)
            var currency = CustomerChanges()
            currency.set(.name, "x")
            let missing = await #expect(throws: DomainError.self) { try await customers.update("NOPE", version: 1, changes: currency) }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test("two concurrent updates from the same version: exactly one wins")
    func concurrentUpdates() async throws {
        try await withReferenceData { _, customers, _ in
            try await customers.create(acme())
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for limit in [100, 200] {
                    group.addTask {
                        var changes = CustomerChanges()
                        changes.set(.creditLimit, Decimal(limit))
                        return (try? await customers.update("ACME", version: 1, changes: changes)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await customers.get("ACME").version == 2)
        }
    }

    @Test("a hold blocks the documents it names, and alerts say so only for those")
    func holdAndAlerts() async throws {
        try await withReferenceData { _, customers, _ in
            try await customers.create(acme())
            try await customers.hold("ACME")
            #expect(try await customers.alerts("ACME", for: .salesInvoice).map(\.alert) == ["on_hold"])
            #expect(try await customers.alerts("ACME", for: .paymentIn).isEmpty)
            try await customers.hold("ACME", HoldSwitches(blocking: [.paymentIn]))
            #expect(try await customers.alerts("ACME", for: .salesInvoice).isEmpty)
            #expect(try await customers.alerts("ACME", for: .paymentIn).first?.severity == .block)
            try await customers.release("ACME")
            #expect(try await customers.alerts("ACME", for: .paymentIn).isEmpty)
            #expect(try await customers.list(onHold: true).isEmpty)
        }
    }

    @Test("over the credit limit, every sales document carries an alert and the balance report says so")
    func overCreditLimit() async throws {
        try await withReferenceData { pool, customers, _ in
            let id = try await customers.create(acme())
            // Until invoices exist, a balance comes from the ledger directly.
            try await pool.query(
                """
                INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
                VALUES (\(id), 'adjustment', '2026-03-01', 'EUR', 5000.01, 1, 'EUR', 1, 5000.01)
                """)
            let balance = try await customers.balance("ACME")
            #expect(balance.balance == Decimal(string: "5000.01"))
            #expect(balance.headroom == Decimal(string: "-0.01"))
            #expect(balance.creditStatus == .overLimit)
            for document in SalesDocument.allCases {
                #expect(try await customers.alerts("ACME", for: document).contains { $0.alert == "over_credit_limit" })
            }
        }
    }

    @Test("set new currency re-expresses the balance at the rate given, rounded to the new currency")
    func setNewCurrency() async throws {
        try await withReferenceData { pool, customers, reference in
            let id = try await customers.create(acme())
            try await pool.query(
                """
                INSERT INTO ar.ledger_entries (customer_id, document_kind, entry_date, currency, amount, rate, customer_currency, currency_epoch, amount_customer)
                VALUES (\(id), 'adjustment', '2026-03-01', 'EUR', 1234.56, 1, 'EUR', 1, 1234.56)
                """)
            let refused = await #expect(throws: DomainError.self) { try await customers.setCurrency("ACME", to: "JPY", rate: 160) }
            #expect(refused?.kind == .missingRate)
            try await reference.addRate(from: "EUR", to: "JPY", rate: 160, validFrom: LocalDate("2026-01-01")!)
            let balance = try await customers.setCurrency("ACME", to: "JPY", rate: Decimal(string: "161.234")!)
            #expect(balance == Decimal(199_053))  // 1234.56 × 161.234 = 199053.05…, and yen have no minor units
            #expect(try await customers.balance("ACME").balance == Decimal(199_053))
            #expect(try await customers.get("ACME").currency == "JPY")
            let event = try await pool.query(
                "SELECT details->>'old_balance' AS old FROM report.customer_events WHERE customer = 'ACME' AND kind = 'currency_changed'")
            #expect(try event[0].decode("old", as: String.self) == "1234.5600")
        }
    }

    @Test("conversion rates apply from their first day, fall back to the inverse pair, and are required")
    func conversionAtBoundaries() async throws {
        try await withReferenceData { _, _, reference in
            try await reference.addRate(from: "EUR", to: "USD", rate: Decimal(string: "1.10")!, validFrom: LocalDate("2026-01-01")!)
            try await reference.addRate(from: "EUR", to: "USD", rate: Decimal(string: "1.20")!, validFrom: LocalDate("2026-02-01")!)
            #expect(try await reference.rate(from: "EUR", to: "USD", on: LocalDate("2026-01-31")!) == Decimal(string: "1.1"))
            #expect(try await reference.rate(from: "EUR", to: "USD", on: LocalDate("2026-02-01")!) == Decimal(string: "1.2"))
            #expect(try await reference.rate(from: "USD", to: "EUR", on: LocalDate("2026-02-01")!) == Decimal(string: "0.8333333333"))
            let none = await #expect(throws: DomainError.self) { try await reference.rate(from: "EUR", to: "USD", on: LocalDate("2025-12-31")!) }
            #expect(none?.kind == .missingRate)
            #expect(none?.hint?.contains("Add a conversion rate from EUR to USD") == true)
            #expect(none?.hint?.contains("postgate") == false, "the database names no command")
        }
    }

    @Test("customers are listed by code, searched by code or name, and paged")
    func listAndSearch() async throws {
        try await withReferenceData { _, customers, _ in
            for (code, name) in [("C1", "Alpha 100% Ltd"), ("C2", "Beta"), ("C3", "Gamma"), ("C4", "alphabet")] {
                try await customers.create(NewCustomer(code: code, name: name, priceList: "SALES", paymentTerms: "NET30"))
            }
            #expect(try await customers.list(search: "ALPHA").map(\.code) == ["C1", "C4"])
            #expect(try await customers.list(search: "100%").map(\.code) == ["C1"])
            #expect(try await customers.list(search: "_").isEmpty)
            #expect(try await customers.list(limit: 2, offset: 2).map(\.code) == ["C3", "C4"])
            let bad = await #expect(throws: DomainError.self) { try await customers.list(limit: 0) }
            #expect(bad?.field == "limit")
        }
    }

    @Test("reference data changes only with its current version")
    func referenceVersions() async throws {
        try await withReferenceData { _, _, reference in
            let again = await #expect(throws: DomainError.self) { try await reference.saveCurrency("eur", name: "Euro") }
            #expect(again?.kind == .duplicate)
            #expect(try await reference.saveCurrency("EUR", name: "Euro (EU)", version: 1) == 2)
            let stale = await #expect(throws: DomainError.self) { try await reference.saveCurrency("EUR", name: "x", version: 1) }
            #expect(stale?.kind == .stale)
            let items = try await reference.list(.currencies)
            #expect(items.first { $0.code == "EUR" }?.name == "Euro (EU)")
            #expect(items.first { $0.code == "JPY" }?.details["minor_units"] == .number(0))
            let accounts = try await reference.list(.accounts)
            #expect(accounts.first?.details["payment_methods"] == .array([.string("TRANSFER")]))
        }
    }
}

@Suite("Domain errors")
struct DomainErrorTests {
    @Test(
        "SQLSTATEs map to kinds in one table",
        arguments: [
            ("PG400", DomainError.Kind.invalid), ("PG404", .notFound), ("PG409", .duplicate), ("23505", .duplicate),
            ("PG412", .stale), ("PG422", .ruleViolated), ("23514", .ruleViolated), ("PG423", .immutable),
            ("PG424", .missingRate), ("42501", .forbidden), ("22P02", .invalid), ("XX000", .internal), ("40001", .busy), ("55P03", .busy),
            ("57P01", .unavailable), ("25006", .unavailable), ("42P01", .internal),
        ])
    func mapping(_ state: String, _ kind: DomainError.Kind) {
        let error = DomainError(PostgresError(kind: .server, message: "m", sqlState: state, hint: "h", column: "f"))
        #expect(error.kind == kind)
        #expect(error.field == "f")
        // The project's refusals keep their words; PostgreSQL's own are put in plain words.
        let plain = [
            "23505":
                "that code is already in use: someone may have saved it at the same moment. Read it again, then change it with its version, or choose another code.",
            "23514": "a value is not allowed here. Check the values given.",
            "22P02": "a value is not written in the form expected. Check the values given: numbers with a point for decimals, dates as YYYY-MM-DD.",
            "40001": "the database was busy with the same rows and gave up. Try again.",
            "55P03": "the database was busy with the same rows and gave up. Try again.",
            "25006":
                "this database server only reads (it is a standby, or the session is read-only), so nothing was changed. Write through the primary; point only reports at a standby.",
        ]
        #expect(error.description == plain[state] ?? "m. h")
    }

    @Test("only what can pass is retryable: busy rows, a lost or read-only server; an unknown SQLSTATE is internal, not 503")
    func retryable() {
        for state in ["40001", "40P01", "55P03", "57P01", "08006", "25006"] {
            #expect(DomainError.Kind(sqlState: state).isRetryable, "\(state)")
            #expect(DomainError.Kind(sqlState: state).status == 503)
        }
        for state in ["XX000", "42P01", "0A000", "57014", "P0001"] {
            #expect(!DomainError.Kind(sqlState: state).isRetryable, "\(state)")
            #expect(DomainError.Kind(sqlState: state).status == 500)
        }
        let lost = DomainError(PostgresError(kind: .connectionLost, message: "server closed the connection unexpectedly"))
        #expect(lost.kind == .unavailable && lost.kind.isRetryable)
        #expect(DomainError(PostgresError(kind: .decoding, message: "m")).kind == .internal)
    }

    @Test("an unmigrated database says to migrate")
    func unmigrated() async throws {
        try await withTestDatabase(migrated: false) { database in
            let pool = PostgresPool(config: database.config, maxConnections: 1)
            let error = await #expect(throws: DomainError.self) { try await CustomerStore(pool: pool).get("X") }
            #expect(error?.hint == "Run 'postgate migrate' first.")
            await pool.shutdown()
        }
    }
}

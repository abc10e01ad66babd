import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

/// A small company: euros, a sales price list, cash and transfer, 30-day and Cash Sales Only
/// terms, a unique-serial TV with a customer item type, a batch-serial carpet with an item type,
/// an untracked cable, a TV kit (buildup), stock in MAIN; customers ACME (limit 5000), SHOP (cash
/// sales only), HOLD (on hold).
struct Company: Sendable {
    let pool: PostgresPool
    /// The test database, reached as its administrator.
    let database: TestDatabase
    var invoices: InvoiceStore { InvoiceStore(pool: pool) }
    var posting: PostingService { PostingService(pool: pool, actor: "tester") }
    var customers: CustomerStore { CustomerStore(pool: pool) }
    var stock: StockStore { StockStore(pool: pool) }

    func setting(_ key: String, _ json: String) async throws {
        try await pool.query("SELECT api.set_setting(\(key), \(json)::jsonb)")
    }

    /// A draft for `customer` with the given lines; returns its id.
    func draft(_ customer: String, _ lines: [NewInvoiceLine], date: String = "2026-03-02") async throws -> Int64 {
        let (id, _) = try await invoices.createDraft(customer: customer, date: LocalDate(date), location: "MAIN")
        for line in lines { try await invoices.addLine(id, line) }
        return id
    }

    func balance(_ customer: String) async throws -> Decimal { try await customers.balance(customer).balance }
}

func withCompany<T: Sendable>(_ body: (Company) async throws -> T) async throws -> T {
    try await withTestDatabase { database in
        let pool = PostgresPool(config: database.config, maxConnections: 8, acquireTimeout: .seconds(60))
        let reference = ReferenceStore(pool: pool)
        let catalog = CatalogStore(pool: pool)
        try await reference.saveCurrency("EUR", name: "Euro")
        try await reference.savePriceList("SALES", name: "Sales", currency: "EUR")
        try await reference.savePaymentMethod("CASH", name: "Cash")
        try await reference.savePaymentMethod("TRANSFER", name: "Transfer")
        try await reference.saveFinancialAccount("TILL", name: "Till", currency: "EUR", paymentMethods: ["CASH", "TRANSFER"])
        try await reference.savePaymentTerms("NET30", name: "30 days", netDays: 30)
        try await reference.savePaymentTerms("CASHONLY", name: "Cash sales only", cashSalesOnly: true)
        try await reference.saveTaxRate("VAT", name: "VAT 21%", rate: 21)
        try await catalog.saveItemType("TVTYPE", name: "Television", warrantyMonths: 24, serviceIntervalMonths: 12)
        try await catalog.saveItemType("FLOOR", name: "Flooring", warrantyMonths: 60)
        try await catalog.saveLocation("MAIN", name: "Main store")
        for (code, tracking, type) in [("TV", "unique", "TVTYPE"), ("CARPET", "batch", "FLOOR"), ("CABLE", "none", nil), ("KIT", "none", "TVTYPE")]
            as [(String, String, String?)]
        {
            var product = ProductFields(code: code, name: code)
            product.serialTracking = SerialTracking(rawValue: tracking)
            product.customerItemType = type
            product.defaultTaxRate = "VAT"
            product.isBuildup = code == "KIT"
            try await catalog.saveProduct(product)
        }
        try await catalog.setBuildup("KIT", components: [.init(product: "TV", quantity: 1), .init(product: "CABLE", quantity: 2)])
        for (code, price) in [("TV", "500"), ("CARPET", "20"), ("CABLE", "10"), ("KIT", "600")] {
            try await catalog.setPrice(priceList: "SALES", product: code, price: Decimal(string: price)!, validFrom: LocalDate("2026-01-01"))
        }
        try await StockStore(pool: pool).post(
            StockDocument(
                .receipt(location: "MAIN"),
                lines: [
                    StockLine(product: "TV", quantity: 8, serials: (1...8).map { SerialEntry("TV-\($0)") }),
                    StockLine(product: "CARPET", quantity: 100, serials: [SerialEntry("ROLL-1", quantity: 100)]),
                    StockLine(product: "CABLE", quantity: 100),
                ]))
        let customers = CustomerStore(pool: pool)
        var acme = NewCustomer(code: "ACME", name: "Acme", priceList: "SALES", paymentTerms: "NET30")
        acme.creditLimit = 5000
        try await customers.create(acme)
        var shop = NewCustomer(code: "SHOP", name: "Shop", priceList: "SALES", paymentTerms: "CASHONLY")
        shop.paymentMethod = "CASH"
        shop.financialAccount = "TILL"
        try await customers.create(shop)
        try await customers.create(NewCustomer(code: "HOLD", name: "Held", priceList: "SALES", paymentTerms: "NET30"))
        try await customers.hold("HOLD")
        do {
            let value = try await body(Company(pool: pool, database: database))
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

func tv(_ serials: String...) -> NewInvoiceLine {
    NewInvoiceLine(product: "TV", quantity: Decimal(serials.count), serials: serials.map { SerialEntry($0) })
}

func cable(_ quantity: Decimal) -> NewInvoiceLine { NewInvoiceLine(product: "CABLE", quantity: quantity) }

@Suite("Posting")
struct PostingTests {
    @Test("3 unique-serial TVs create 3 customer items carrying their serials, with warranty and service dates")
    func threeTVsCreateThreeItems() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [tv("TV-1", "TV-2", "TV-3"), cable(2)])
            let result = try await company.posting.post([id])
            #expect(result.numbers[id] == 1)
            let items = try await company.pool.query(
                "SELECT serial, warranty_end::text, next_service::text FROM report.customer_items WHERE customer = 'ACME' ORDER BY serial")
            #expect(try items.map { try $0.decode("serial", as: String.self) } == ["TV-1", "TV-2", "TV-3"])
            #expect(try items[0].decode("warranty_end", as: String.self) == "2028-03-02")
            #expect(try items[0].decode("next_service", as: String.self) == "2027-03-02")
            #expect(try await company.balance("ACME") == Decimal(string: "1839.20"))  // (1500 + 20) × 1.21
            let invoice = try await company.invoices.invoice(id)
            #expect(invoice.isPosted)
            #expect(invoice.dueDate == "2026-04-01")
            #expect(try await company.stock.findSerials("TV-1").first?.status == "sold")
            #expect(try await company.stock.findSerials("TV-1").first?.customer == "ACME")
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 98)
        }
    }

    @Test("missing serials block the posting, naming the line, and nothing is posted")
    func missingSerialsBlock() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [cable(1), NewInvoiceLine(product: "TV", quantity: 2, serials: [SerialEntry("TV-1")])])
            let refused = await #expect(throws: PostingRefused.self) { try await company.posting.post([id]) }
            let finding = refused?.decisions.first?.decision.blockers.first
            #expect(finding?.code == "serials-missing")
            #expect(finding?.message.contains("line 2") == true)
            #expect(try await company.invoices.invoice(id).isPosted == false)
            #expect(try await company.balance("ACME") == 0)
        }
    }

    @Test("a Cash Sales Only invoice can't be mass posted, or posted alone, but posts with post-and-pay")
    func cashSalesOnly() async throws {
        try await withCompany { company in
            let id = try await company.draft("SHOP", [cable(3)])
            let preview = try await company.posting.preview([id])
            #expect(preview.canPost == false)
            #expect(preview.blocked.first?.decision.blockers.first?.code == "post-and-pay-individually")
            let alone = await #expect(throws: PostingRefused.self) { try await company.posting.post([id]) }
            #expect(alone?.decisions.first?.decision.blockers.first?.code == "cash-sales-only-unpaid")
            let result = try await company.posting.postAndPay(id)
            #expect(result.numbers[id] != nil)
            #expect(try await company.balance("SHOP") == 0)
            let paid = try await company.pool.query("SELECT paid, open_amount FROM report.invoices WHERE invoice_id = \(id)")[0]
            #expect(try paid.decode("paid", as: Decimal.self) == Decimal(string: "36.30"))
            #expect(try paid.decode("open_amount", as: Decimal.self) == 0)
        }
    }

    @Test("mass posting is refused while a customer item needs review, and allowed after review")
    func reviewRequired() async throws {
        try await withCompany { company in
            try await company.setting("review_required", "true")
            let id = try await company.draft("ACME", [tv("TV-1")])
            let before = try await company.posting.preview([id])
            #expect(before.blocked.first?.decision.blockers.map(\.code) == ["customer-items-unreviewed"])
            #expect(before.itemsToCreate == 1)
            try await company.invoices.reviewItems(id, reviewer: "ann")
            let after = try await company.posting.preview([id])
            #expect(after.canPost)
            let result = try await company.posting.confirm(after.token)
            #expect(result.posted == [id])
            // Editing a line resets the review.
            let other = try await company.draft("ACME", [tv("TV-2")])
            try await company.invoices.reviewItems(other)
            try await company.invoices.setSerials(other, line: 1, serials: [SerialEntry("TV-3")])
            #expect(try await company.posting.preview([other]).canPost == false)
        }
    }

    @Test("batch-serial products and buildup components create no customer items by default; the settings turn them on")
    func batchAndBuildupItems() async throws {
        try await withCompany { company in
            let first = try await company.draft(
                "ACME",
                [
                    NewInvoiceLine(product: "CARPET", quantity: 10, serials: [SerialEntry("ROLL-1", quantity: 10)]),
                    NewInvoiceLine(product: "KIT", quantity: 1, serials: [SerialEntry("TV-7")]),
                ])
            #expect(try await company.invoices.invoice(first).pendingItems.map(\.product) == ["KIT"])
            try await company.setting("batch_serial_items", "true")
            try await company.setting("buildup_component_items", "true")
            let second = try await company.draft(
                "ACME",
                [
                    NewInvoiceLine(product: "CARPET", quantity: 5, serials: [SerialEntry("ROLL-1", quantity: 5)]),
                    NewInvoiceLine(product: "KIT", quantity: 1, serials: [SerialEntry("TV-8")]),
                ])
            let pending = try await company.invoices.invoice(second).pendingItems
            #expect(pending.map(\.product).sorted() == ["CARPET", "KIT", "TV"])
            #expect(pending.first { $0.product == "CARPET" }?.quantity == 5)
            // The kit's TV component item carries the serial the kit's line names.
            #expect(pending.first { $0.product == "TV" }?.serial == "TV-8")
            try await company.posting.post([second])
            let parts = try await company.pool.query(
                "SELECT product, part_of_item IS NOT NULL AS part FROM report.customer_items WHERE customer = 'ACME' ORDER BY product")
            #expect(
                try parts.map { "\(try $0.decode("product", as: String.self)):\(try $0.decode("part", as: Bool.self))" } == [
                    "CARPET:false", "KIT:false", "TV:true",
                ])
            // The kit's components left stock: 2 cables per kit, and its TV by serial.
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 98)
            #expect(try await company.stock.onHand(product: "TV").first?.quantity == 7)
        }
    }

    @Test("a customer on hold for invoices is blocked; releasing the hold lets the invoice post")
    func onHold() async throws {
        try await withCompany { company in
            let id = try await company.draft("HOLD", [cable(1)])
            let refused = await #expect(throws: PostingRefused.self) { try await company.posting.post([id]) }
            #expect(refused?.decisions.first?.decision.blockers.first?.code == "customer-on-hold")
            try await company.customers.release("HOLD")
            try await company.posting.post([id])
        }
    }

    @Test("a serial entered at sale that was never received is recorded as added at sale")
    func serialAddedAtSale() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [tv("TV-99")])
            #expect(try await company.invoices.invoice(id).lines[0].serials[0].addedAtSale)
            try await company.posting.post([id])
            let added = try await company.pool.query("SELECT serial, customer FROM report.serials_added_at_sale")
            #expect(try added.map { try $0.decode("serial", as: String.self) } == ["TV-99"])
            #expect(try await company.stock.discrepancies() == 0)
        }
    }

    @Test("confirming a preview refuses after an edit, and a re-run skips what was posted")
    func previewTokens() async throws {
        try await withCompany { company in
            let a = try await company.draft("ACME", [cable(1)])
            let b = try await company.draft("ACME", [cable(2)])
            let preview = try await company.posting.preview([a, b])
            try await company.invoices.addLine(b, cable(1))
            let outdated = await #expect(throws: PreviewOutdated.self) { try await company.posting.confirm(preview.token) }
            #expect(outdated?.description.contains("draft \(b) was edited") == true)
            #expect(try await company.invoices.invoice(a).isPosted == false)

            let fresh = try await company.posting.preview([a, b])
            let first = try await company.posting.confirm(fresh.token, chunkSize: 1)
            #expect(first.posted == [a, b])
            let again = try await company.posting.confirm(fresh.token)
            #expect(again.posted.isEmpty)
            #expect(again.alreadyPosted.sorted() == [a, b])
        }
    }

    @Test("in credit block mode, 32 concurrent postings for one customer never overshoot the limit")
    func concurrentCreditLimit() async throws {
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            // Each invoice: 40 cables × 10 × 1.21 = 484.00; the limit of 5000 fits 10 of them.
            var drafts: [Int64] = []
            try await company.stock.post(StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: 2000)]))
            for _ in 0..<32 { drafts.append(try await company.draft("ACME", [cable(40)])) }
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for id in drafts {
                    group.addTask { (try? await company.posting.post([id])) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 10)
            let balance = try await company.balance("ACME")
            #expect(balance == Decimal(4840))
            #expect(balance <= 5000)
        }
    }

    @Test("concurrent mass postings over overlapping customers never deadlock")
    func concurrentMassPostings() async throws {
        try await withCompany { company in
            try await company.customers.create(NewCustomer(code: "BETA", name: "Beta", priceList: "SALES", paymentTerms: "NET30"))
            var batches: [[Int64]] = [[], [], [], []]
            for index in 0..<40 {
                let customer = index % 2 == 0 ? "ACME" : "BETA"
                batches[index % 4].append(try await company.draft(customer, [cable(1)]))
            }
            let posted = try await withThrowingTaskGroup(of: Int.self) { group in
                for batch in batches {
                    group.addTask {
                        let preview = try await company.posting.preview(batch.reversed())
                        return try await company.posting.confirm(preview.token, chunkSize: 3).posted.count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(posted == 40)
            let numbers = try await company.pool.query(
                "SELECT min(number) AS lo, max(number) AS hi, count(*) AS n FROM ar.invoices WHERE status = 'posted'")[0]
            #expect(try numbers.decode("lo", as: Int.self) == 1)
            #expect(try numbers.decode("hi", as: Int.self) == 40, "numbers are gapless")
        }
    }

    @Test("a preview kept chunk by chunk: the credit total runs across chunks; the pages read back are the whole preview")
    func previewInChunks() async throws {
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            try await company.stock.post(StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: 2000)]))
            // Each invoice: 40 cables × 10 × 1.21 = 484.00; the limit of 5000 fits 10 of them.
            var drafts: [Int64] = []
            for _ in 0..<12 { drafts.append(try await company.draft("ACME", [cable(40)])) }
            let whole = try await company.posting.preview(drafts)
            let summary = try await company.posting.previewSummary(drafts.reversed(), chunkSize: 3)
            #expect(summary.invoices == 12)
            #expect(summary.blocked == 2)
            #expect(summary.blocked == whole.blocked.count)
            #expect(summary.totals == ["EUR": Decimal(5808)])
            #expect(!summary.canPost)
            let byFilter = try await company.posting.previewSummary(UnpostedFilter(customer: "ACME"), chunkSize: 5)
            #expect(byFilter.invoices == 12 && byFilter.blocked == 2, "a selection by filter, read 5 ids at a time, says the same")
            let blocked = try await company.posting.previewPage(summary.token, which: .blocked)
            #expect(blocked.map(\.item.invoiceID) == whole.blocked.map(\.invoiceID))
            #expect(blocked.map(\.item.invoiceID) == Array(drafts.suffix(2)), "the last two in posting order go over the limit")
            #expect(blocked.map(\.item.decision) == whole.blocked.map(\.decision), "the same findings")
            var paged: [PreviewItem] = []
            var after = 0
            while true {
                let page = try await company.posting.previewPage(summary.token, after: after, limit: 5)
                guard let last = page.last else { break }
                paged += page.map(\.item)
                after = last.position
            }
            #expect(paged.map(\.invoiceID) == whole.items.map(\.invoiceID))
            #expect(paged.map(\.decision) == whole.items.map(\.decision))
            await #expect(throws: DomainError.self) { try await company.posting.confirm(summary.token) }
        }
    }

    @Test("tills with number series of their own: postings from eight tasks and a mass posting across tills number each series without a gap")
    func seriesPerTill() async throws {
        try await withCompany { company in
            let catalog = CatalogStore(pool: company.pool)
            for till in ["TILL1", "TILL2"] {
                _ = try await catalog.saveLocation(till, name: till)
                try await company.stock.post(StockDocument(.receipt(location: till), lines: [StockLine(product: "CABLE", quantity: 100)]))
                _ = try await catalog.addInvoiceSeries(till, prefix: "\(till)-")
                try await catalog.setLocationSeries(till, series: till)
            }
            let series = try await catalog.invoiceSeries()
            #expect(series.map(\.code) == ["COMPANY", "TILL1", "TILL2"])
            #expect(series.map(\.locations) == [["(every other location)"], ["TILL1"], ["TILL2"]])
            var drafts: [(till: String, id: Int64)] = []
            for index in 0..<24 {
                let till = ["TILL1", "TILL2", "MAIN"][index % 3]
                let (id, _) = try await company.invoices.createDraft(customer: "ACME", date: LocalDate("2026-03-02"), location: till)
                try await company.invoices.addLine(id, cable(1))
                drafts.append((till, id))
            }
            // Eight tasks post the first 18 one at a time; the last 6 go in one mass posting.
            let single = drafts.prefix(18)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for (index, draft) in single.enumerated() where index % 8 == task { try await company.posting.post([draft.id]) }
                    }
                }
                try await group.waitForAll()
            }
            let preview = try await company.posting.preview(drafts.suffix(6).map(\.id))
            #expect(try await company.posting.confirm(preview.token, chunkSize: 6).posted.count == 6)
            let rows = try await company.pool.query("SELECT series, number, document_number FROM report.invoices WHERE status = 'posted'")
            var numbers: [String: [Int64]] = [:]
            for row in rows {
                let number: Int64 = try row.decode("number")
                let code: String = try row.decode("series")
                numbers[code, default: []].append(number)
                let printed: String = try row.decode("document_number")
                #expect(printed == (code == "COMPANY" ? "" : "\(code)-") + String(number))
            }
            let first = Dictionary(uniqueKeysWithValues: series.map { ($0.code, $0.firstNumber) })
            for code in ["COMPANY", "TILL1", "TILL2"] {
                let base = first[code]!
                #expect(numbers[code]?.sorted() == Array(base..<(base + 8)), "series \(code) numbers its 8 invoices without a gap")
            }
            let problems = try await company.pool.withConnection { try await bookProblems($0) }
            #expect(problems == [])
        }
    }

    @Test("a posted invoice survives UPDATE, DELETE and TRUNCATE by every role")
    func postedInvoicesAreImmutable() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [tv("TV-1")])
            try await company.posting.post([id])
            let statements = [
                "UPDATE ar.invoices SET total = 0 WHERE id = \(id)", "DELETE FROM ar.invoices WHERE id = \(id)",
                "UPDATE ar.invoice_lines SET quantity = 9", "DELETE FROM ar.invoice_line_serials", "TRUNCATE ar.invoices CASCADE",
                "UPDATE ar.ledger_entries SET amount = 0", "DELETE FROM ar.posting_audit",
            ]
            for statement in statements {
                let error = await #expect(throws: PostgresError.self) { try await company.pool.query(PostgresQuery(unsafeSQL: statement)) }
                #expect(error?.sqlState == "PG423", "\(statement)")
            }
            for role in ["postgate_service", "postgate_client", "postgate_reporting"] {
                let error = await #expect(throws: PostgresError.self) {
                    try await company.pool.withTransaction { connection in
                        try await connection.execute(unsafeSQL: "SET LOCAL ROLE \(role)")
                        try await connection.query("UPDATE ar.invoices SET total = 0 WHERE id = \(id)")
                    }
                }
                #expect(error?.sqlState == "42501", "\(role) cannot reach the table at all")
            }
            let refused = await #expect(throws: DomainError.self) { try await company.invoices.addLine(id, cable(1)) }
            #expect(refused?.kind == .immutable)
            let again = await #expect(throws: DomainError.self) { try await company.posting.post([id]) }
            #expect(again?.kind == .immutable)
        }
    }

    @Test("payments reduce the balance, can be allocated, and respect the payment-in hold")
    func payments() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [cable(10)])
            let number = try await company.posting.post([id]).numbers[id]!
            let payments = PaymentStore(pool: company.pool)
            try await payments.receive(NewPayment(customer: "ACME", amount: 100, allocations: [.init(invoiceNumber: number)]))
            #expect(try await company.balance("ACME") == Decimal(21))
            let over = await #expect(throws: DomainError.self) {
                try await payments.receive(NewPayment(customer: "ACME", amount: 50, allocations: [.init(invoiceNumber: number)]))
            }
            #expect(over?.field == "allocations[1].amount")
            try await company.customers.hold("ACME", HoldSwitches(blocking: [.paymentIn]))
            let held = await #expect(throws: DomainError.self) { try await payments.receive(NewPayment(customer: "ACME", amount: 1)) }
            #expect(held?.kind == .ruleViolated)
        }
    }

    @Test("a POS sale creates, posts and pays in one step, and creates customer items")
    func posSale() async throws {
        try await withCompany { company in
            let result = try await company.posting.posSale(customer: "SHOP", location: "MAIN", lines: [tv("TV-5"), cable(1)])
            #expect(result.numbers.count == 1)
            #expect(try await company.balance("SHOP") == 0)
            let items = try await company.pool.query("SELECT serial, source FROM report.customer_items WHERE customer = 'SHOP'")
            #expect(try items.map { "\(try $0.decode("serial", as: String.self)) \(try $0.decode("source", as: String.self))" } == ["TV-5 pos"])
        }
    }
}

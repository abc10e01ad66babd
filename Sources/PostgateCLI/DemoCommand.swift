import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load a demo company and show a mass posting: its preview, then posting what may be posted.",
        discussion:
            "Customers on hold, with Cash Sales Only terms and near their credit limit; a unique-serial TV, a batch-serial carpet, a kit holding a TV; receipts; drafts that hit every rule; a TV returned on a credit note."
    )
    @OptionGroup var connection: ConnectionOptions
    @Flag(
        help:
            "Post nothing: leave the drafts for the operator console (postgate serve, then /console), with the review of customer items required."
    )
    var leaveDrafts = false

    func run() async throws {
        try await withPool(connection) { pool in
            let customers = CustomerStore(pool: pool)
            if (try? await customers.get("DEMO-ACME")) != nil {
                print(
                    "The demo company is already loaded. Look around: \(CommandLineText.command("customers list")), \(CommandLineText.command("invoices list")), psql \"$(\(CommandLineText.command("db url")))\""
                )
                return
            }
            try await load(pool)
            if leaveDrafts {
                try await pool.query("SELECT api.set_setting('review_required', 'true'::jsonb)")
                try await salesFlow(pool)
                let drafts = try await InvoiceStore(pool: pool).unposted()
                print("\nLeft \(drafts.count) drafts unposted, with the review of customer items required: post them from the console.")
                return
            }
            let service = PostingService(pool: pool, actor: "demo")
            let drafts = try await InvoiceStore(pool: pool).unposted().map(\.invoiceID)
            print("\nMass posting preview of every draft:")
            let preview = try await service.preview(drafts)
            for item in preview.items {
                print(
                    "  \(item.reference.padding(toLength: 34, withPad: " ", startingAt: 0)) \(item.customer.padding(toLength: 12, withPad: " ", startingAt: 0)) \(item.total.money) \(item.currency)  \(item.decision.canPost ? "can be posted" : "BLOCKED")\(item.itemsToCreate > 0 ? ", creates \(item.itemsToCreate) customer item\(item.itemsToCreate == 1 ? "" : "s")" : "")"
                )
                printFindings(item.decision, indent: "      ")
            }
            print("The selection has \(preview.blocked.count) blocked invoices, so it cannot be posted as a whole. Posting the others:")
            let allowed = preview.items.filter(\.decision.canPost).map(\.invoiceID)
            let second = try await service.preview(allowed)
            let result = try await service.confirm(second.token)
            print("  posted \(result.posted.count) invoices, \(second.itemsToCreate) customer items created")
            if let cash = preview.blocked.first(where: { $0.customer == "DEMO-SHOP" }) {
                let paid = try await service.postAndPay(cash.invoiceID)
                print("  post and pay: \(cash.reference) posted as invoice \(paid.numbers[cash.invoiceID] ?? 0) with its payment")
            }
            if let televisions = preview.items.first(where: { $0.reference == "3 TVs with serials" }),
                let number = try await InvoiceStore(pool: pool).invoice(televisions.invoiceID).number
            {
                let note = try await CreditNoteStore(pool: pool).create(
                    NewCreditNote(
                        invoiceNumber: number, date: LocalDate("2026-03-09"), reason: "dead pixels",
                        lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV55-002")])]))
                let credited = try await service.postCreditNote(note)
                print(
                    "  credit note \(credited.number): TV55-002 of invoice \(number) came back into stock; its customer item ended (\(CommandLineText.command("credit-notes show", "\(note)")))"
                )
            }
            print("\nBalances:")
            for code in ["DEMO-ACME", "DEMO-NEARLY", "DEMO-SHOP", "DEMO-HELD"] {
                let balance = try await customers.balance(code)
                print(
                    "  \(code.padding(toLength: 12, withPad: " ", startingAt: 0)) \(balance.balance.money) \(balance.currency)  \(balance.creditStatus.rawValue)\(balance.onHold ? ", on hold" : "")"
                )
            }
            try await salesFlow(pool)
            print(
                "\nNext: psql \"$(\(CommandLineText.command("db url")))\" -c 'SELECT * FROM report.unposted_invoices' (the blocked drafts and why), report.customer_items, report.posting_audit, report.open_orders"
            )
        }
    }

    /// An order for a customer invoiced after delivery, shipped in part, and the invoice that
    /// Generate Invoices makes of what shipped.
    private func salesFlow(_ pool: PostgresPool) async throws {
        var customer = NewCustomer(code: "DEMO-DELIVER", name: "Deliver & Bill", priceList: "DEMO-SALES", paymentTerms: "DEMO-NET30")
        customer.invoiceTerms = .afterDelivery
        try await CustomerStore(pool: pool).create(customer)
        let orders = OrderStore(pool: pool, actor: "demo")
        let (order, _) = try await orders.create(
            NewOrder(customer: "DEMO-DELIVER", location: "DEMO-MAIN", date: LocalDate("2026-03-02"), reference: "hotel refit"),
            lines: [NewOrderLine(product: "DEMO-CABLE", quantity: 10)])
        let (number, _) = try await orders.book(order)
        print("\nSales order \(number) for DEMO-DELIVER (invoiced after delivery): 10 cables, booked.")
        let (shipment, _) = try await orders.createShipment(
            NewShipment(order: order, date: LocalDate("2026-03-03"), lines: [NewShipmentLine(line: 1, quantity: 6)]))
        let shipped = try await orders.completeShipment(shipment)
        print("  shipment \(shipped): 6 of the 10 cables left stock; 4 stay open")
        let made = try await orders.generateInvoices(on: LocalDate("2026-03-03"))
        for invoice in made {
            print(
                "  Generate Invoices: draft invoice \(invoice.invoiceID ?? 0) of order \(number), \(invoice.lines) line, \(invoice.total.money) EUR (what shipped)"
            )
        }
        print(
            "  Next: \(CommandLineText.command("orders show", "\(order)")), \(CommandLineText.command("shipments create", "\(order) --complete")), \(CommandLineText.command("invoices generate", "--preview"))"
        )
    }

    private func load(_ pool: PostgresPool) async throws {
        let reference = ReferenceStore(pool: pool)
        let catalog = CatalogStore(pool: pool)
        let stock = StockStore(pool: pool)
        let customers = CustomerStore(pool: pool)
        let invoices = InvoiceStore(pool: pool)
        if (try? await reference.list(.currencies))?.contains(where: { $0.code == "EUR" }) != true {
            try await reference.saveCurrency("EUR", name: "Euro")
        }
        try await reference.savePriceList("DEMO-SALES", name: "Demo sales", currency: "EUR")
        try await reference.savePaymentMethod("DEMO-CASH", name: "Cash")
        try await reference.savePaymentMethod("DEMO-BANK", name: "Bank transfer")
        try await reference.saveFinancialAccount("DEMO-TILL", name: "Till and bank", currency: "EUR", paymentMethods: ["DEMO-CASH", "DEMO-BANK"])
        try await reference.savePaymentTerms("DEMO-NET30", name: "30 days", netDays: 30)
        try await reference.savePaymentTerms("DEMO-CASHONLY", name: "Cash sales only", cashSalesOnly: true)
        try await reference.saveTaxRate("DEMO-VAT", name: "VAT 21%", rate: 21)
        try await catalog.saveItemType("DEMO-TV", name: "Television", warrantyMonths: 24, serviceIntervalMonths: 12)
        try await catalog.saveItemType("DEMO-FLOOR", name: "Flooring", warrantyMonths: 60)
        try await catalog.saveLocation("DEMO-MAIN", name: "Main store")
        let products: [(String, String, SerialTracking, String?, Bool, String)] = [
            ("DEMO-TV55", "TV 55 inch", .unique, "DEMO-TV", false, "499.00"),
            ("DEMO-CARPET", "Carpet, per metre", .batch, "DEMO-FLOOR", true, "24.50"),
            ("DEMO-CABLE", "HDMI cable", .none, nil, false, "9.99"),
            ("DEMO-KIT", "TV and cables kit", .none, "DEMO-TV", false, "529.00"),
        ]
        for (code, name, tracking, type, expiry, price) in products {
            var product = ProductFields(code: code, name: name)
            product.serialTracking = tracking
            product.customerItemType = type
            product.trackExpiry = expiry
            product.defaultTaxRate = "DEMO-VAT"
            product.isBuildup = code == "DEMO-KIT"
            try await catalog.saveProduct(product)
            try await catalog.setPrice(priceList: "DEMO-SALES", product: code, price: Decimal(string: price)!, validFrom: LocalDate("2026-01-01"))
        }
        try await catalog.setBuildup("DEMO-KIT", components: [.init(product: "DEMO-TV55", quantity: 1), .init(product: "DEMO-CABLE", quantity: 2)])
        try await stock.post(
            StockDocument(
                .receipt(location: "DEMO-MAIN"),
                lines: [
                    StockLine(product: "DEMO-TV55", quantity: 5, serials: (1...5).map { SerialEntry("TV55-00\($0)") }),
                    StockLine(
                        product: "DEMO-CARPET", quantity: 120,
                        serials: [
                            SerialEntry("ROLL-A", quantity: 60, expiry: LocalDate("2027-06-30")),
                            SerialEntry("ROLL-B", quantity: 60, expiry: LocalDate("2027-03-31")),
                        ]),
                    StockLine(product: "DEMO-CABLE", quantity: 100),
                ], date: LocalDate("2026-02-01"), reference: "PO-1001"))
        print("Loaded reference data, 4 products and their stock (5 TVs with serials, 2 carpet rolls, 100 cables).")

        func customer(_ code: String, _ name: String, terms: String, limit: Decimal?) async throws {
            var new = NewCustomer(code: code, name: name, priceList: "DEMO-SALES", paymentTerms: terms)
            new.creditLimit = limit
            new.paymentMethod = terms == "DEMO-CASHONLY" ? "DEMO-CASH" : "DEMO-BANK"
            new.financialAccount = "DEMO-TILL"
            try await customers.create(new)
        }
        try await customer("DEMO-ACME", "Acme Hotels", terms: "DEMO-NET30", limit: 5000)
        try await customer("DEMO-NEARLY", "Nearly Full Ltd", terms: "DEMO-NET30", limit: 700)
        try await customer("DEMO-SHOP", "Corner Shop", terms: "DEMO-CASHONLY", limit: nil)
        try await customer("DEMO-HELD", "Held & Co", terms: "DEMO-NET30", limit: nil)
        try await customers.hold("DEMO-HELD")
        print("Loaded 4 customers: one near its credit limit, one with Cash Sales Only terms, one on hold.")

        func draft(_ customer: String, _ reference: String, _ lines: [NewInvoiceLine]) async throws {
            let (id, _) = try await invoices.createDraft(
                customer: customer, date: LocalDate("2026-03-02"), reference: reference, location: "DEMO-MAIN")
            for line in lines { try await invoices.addLine(id, line) }
        }
        try await draft(
            "DEMO-ACME", "3 TVs with serials",
            [NewInvoiceLine(product: "DEMO-TV55", quantity: 3, serials: ["TV55-001", "TV55-002", "TV55-003"].map { SerialEntry($0) })])
        try await draft(
            "DEMO-ACME", "carpet (batch serial)",
            [NewInvoiceLine(product: "DEMO-CARPET", quantity: 20, serials: [SerialEntry("ROLL-B", quantity: 20)])])
        try await draft("DEMO-ACME", "a kit (buildup)", [NewInvoiceLine(product: "DEMO-KIT", quantity: 1, serials: [SerialEntry("TV55-005")])])
        try await draft("DEMO-ACME", "TV without its serial", [NewInvoiceLine(product: "DEMO-TV55", quantity: 1)])
        try await draft(
            "DEMO-NEARLY", "over the credit limit",
            [
                NewInvoiceLine(product: "DEMO-TV55", quantity: 1, serials: [SerialEntry("TV55-004")]),
                NewInvoiceLine(product: "DEMO-CABLE", quantity: 30),
            ])
        try await draft("DEMO-SHOP", "cash sale", [NewInvoiceLine(product: "DEMO-CABLE", quantity: 4)])
        try await draft("DEMO-HELD", "customer on hold", [NewInvoiceLine(product: "DEMO-CABLE", quantity: 1)])
        print("Loaded 7 draft invoices.")
    }
}

import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

@Suite("Credit notes, returns and kits with serial-tracked components")
struct CreditNoteTests {
    /// Posts a draft of `lines` for `customer`; returns the invoice's number.
    func sell(_ company: Company, _ lines: [NewInvoiceLine], customer: String = "ACME", date: String = "2026-03-02") async throws -> Int64 {
        let id = try await company.draft(customer, lines, date: date)
        return try #require(try await company.posting.post([id]).numbers[id])
    }

    var notes: (Company) -> CreditNoteStore { { CreditNoteStore(pool: $0.pool) } }

    @Test("a TV returned on a credit note is back in stock where it came, its customer item ends, the balance goes down; the audit has it")
    func returnTelevision() async throws {
        try await withCompany { company in
            try await CatalogStore(pool: company.pool).saveLocation("BACK", name: "Back store")
            let number = try await sell(company, [tv("TV-1", "TV-2"), cable(2)])
            let id = try await notes(company).create(
                NewCreditNote(
                    invoiceNumber: number, reason: "dead pixels", location: "BACK",
                    lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV-2")])])
            )
            let verdict = try await company.posting.previewCreditNote(id)
            #expect(verdict.decision.canPost && verdict.facts.returns == 1 && verdict.facts.total == 605)
            let posted = try await company.posting.postCreditNote(id)
            #expect(posted.number == 1)
            #expect(try await company.balance("ACME") == Decimal(string: "629.20"))  // (1000 + 20) × 1.21 − 605
            #expect(try await company.stock.findSerials("TV-2").first?.status == "in stock")
            #expect(try await company.stock.findSerials("TV-2").first?.location == "BACK")
            let installed = try await PaymentStore(pool: company.pool).customerItems("ACME")
            #expect(installed.map(\.serial) == ["TV-1"], "the installed base leaves the returned TV out")
            let statuses = try await company.pool.query("SELECT serial, status FROM report.customer_items WHERE customer = 'ACME' ORDER BY serial")
            #expect(try statuses.map { try $0.decode("status", as: String.self) } == ["active", "returned"])
            let audit = try await company.pool.query(
                "SELECT document, number, actor FROM report.posting_audit WHERE credit_note_id = \(id)")
            #expect(audit.count == 1)
            #expect(try audit[0].decode("document", as: String.self) == "credit note")
            #expect(try audit[0].decode("actor", as: String.self) == "tester")
            let note = try await notes(company).creditNote(id)
            #expect(note.isPosted && note.allocations.map(\.amount) == [605] && note.unallocated == 0)
            // Posted credit notes are final: a second posting is refused.
            let again = await #expect(throws: DomainError.self) { try await company.posting.postCreditNote(id) }
            #expect(again?.kind == .immutable)
            let connection = try await company.database.connect()
            #expect(try await bookProblems(connection) == [])
            await connection.close()
        }
    }

    @Test("a full credit note brings a foreign-currency invoice's open amount to exactly zero whatever the rates did since")
    func fullCreditAtTheInvoiceRate() async throws {
        try await withCompany { company in
            let reference = ReferenceStore(pool: company.pool)
            try await reference.saveCurrency("USD", name: "US dollar")
            try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.9137")!, validFrom: LocalDate("2026-01-01")!)
            try await reference.savePriceList("USDLIST", name: "Dollar prices", currency: "USD")
            try await CatalogStore(pool: company.pool).setPrice(
                priceList: "USDLIST", product: "CABLE", price: Decimal(string: "3.33")!, validFrom: LocalDate("2026-01-01"))
            var buyer = NewCustomer(code: "YANK", name: "Dollar buyer", priceList: "USDLIST", paymentTerms: "NET30")
            buyer.currency = "EUR"
            try await company.customers.create(buyer)
            let number = try await sell(company, [cable(7)], customer: "YANK")
            let owed = try await company.balance("YANK")
            #expect(owed == Decimal(string: "25.78"))  // 7 × 3.33 = 23.31 + 4.90 tax = 28.21 USD, × 0.9137
            // The rate moves; the credit goes back at the invoice's own rate, in three parts.
            try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.5")!, validFrom: LocalDate("2026-03-05")!)
            for line in [NewCreditNote.Line(line: 1, quantity: 3), NewCreditNote.Line(line: 1, quantity: 1)] {
                try await company.posting.postCreditNote(try await notes(company).create(NewCreditNote(invoiceNumber: number, lines: [line])))
            }
            #expect(try await company.balance("YANK") != 0)
            try await company.posting.postCreditNote(try await notes(company).create(NewCreditNote(invoiceNumber: number)))
            #expect(try await company.balance("YANK") == 0)
            let open = try await company.pool.query("SELECT open_amount, credited FROM report.invoices WHERE number = \(number)")[0]
            #expect(try open.decode("open_amount", as: Decimal.self) == 0)
            #expect(try open.decode("credited", as: Decimal.self) == Decimal(string: "28.21"))
        }
    }

    @Test("a customer on hold for sales invoices gets no credit note posted; released, it posts")
    func onHold() async throws {
        try await withCompany { company in
            let number = try await sell(company, [cable(2)])
            let id = try await notes(company).create(NewCreditNote(invoiceNumber: number))
            try await company.customers.hold("ACME")
            let refused = await #expect(throws: PostingRefused.self) { try await company.posting.postCreditNote(id) }
            #expect(refused?.decisions.first?.decision.blockers.map(\.code) == ["customer-on-hold"])
            #expect(try await notes(company).creditNote(id).isPosted == false)
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 98)
            try await company.customers.release("ACME")
            try await company.posting.postCreditNote(id)
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 100)
        }
    }

    @Test("two drafts for the same TV: the second is blocked at its preview and posting by the same finding; numbers stay gapless")
    func twins() async throws {
        try await withCompany { company in
            let number = try await sell(company, [tv("TV-1")])
            let line = NewCreditNote.Line(line: 1, serials: [SerialEntry("TV-1")])
            let first = try await notes(company).create(NewCreditNote(invoiceNumber: number, lines: [line]))
            let second = try await notes(company).create(NewCreditNote(invoiceNumber: number, lines: [line]))
            try await company.posting.postCreditNote(first)
            let verdict = try await company.posting.previewCreditNote(second)
            #expect(verdict.decision.blockers.map(\.code) == ["over-quantity", "serial-returned"])
            #expect(verdict.decision.blockers[1].message == "Line 1 (TV): serial TV-1 has come back already: take it off this credit note.")
            await #expect(throws: PostingRefused.self) { try await company.posting.postCreditNote(second) }
            try await notes(company).delete(second)
            let other = try await sell(company, [cable(1)])
            #expect(try await company.posting.postCreditNote(try await notes(company).create(NewCreditNote(invoiceNumber: other))).number == 2)
        }
    }

    @Test("the same credit note posted from eight tasks at once, and two drafts of one TV raced: each posts once, numbers stay gapless")
    func concurrentPostings() async throws {
        try await withCompany { company in
            let number = try await sell(company, [tv("TV-1", "TV-2"), cable(4)])
            let note = try await notes(company).create(NewCreditNote(invoiceNumber: number, lines: [.init(line: 2, quantity: 1)]))
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            return "posted \(try await company.posting.postCreditNote(note).number)"
                        } catch let error as DomainError {
                            return error.kind.rawValue
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.sorted() == ["immutable", "immutable", "immutable", "immutable", "immutable", "immutable", "immutable", "posted 1"])
            let twins = [
                try await notes(company).create(
                    NewCreditNote(invoiceNumber: number, lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV-2")])])),
                try await notes(company).create(
                    NewCreditNote(invoiceNumber: number, lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV-2")])])),
            ]
            let raced = try await withThrowingTaskGroup(of: Bool.self) { group in
                for twin in twins {
                    group.addTask {
                        do {
                            try await company.posting.postCreditNote(twin)
                            return true
                        } catch is PostingRefused {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(raced.sorted { !$0 && $1 } == [false, true])
            #expect(try await company.stock.findSerials("TV-2").first?.status == "in stock")
            let connection = try await company.database.connect()
            #expect(try await bookProblems(connection) == [])
            await connection.close()
        }
    }

    @Test("price corrections, goods kept by the customer, and credit left over refunded and allocated")
    func priceCorrectionsAndCredit() async throws {
        try await withCompany { company in
            let number = try await sell(company, [cable(4)])
            try await PaymentStore(pool: company.pool).receive(
                NewPayment(customer: "ACME", amount: Decimal(string: "48.40")!, allocations: [.init(invoiceNumber: number)]))
            let price = try await notes(company).create(NewCreditNote(invoiceNumber: number, amounts: [.init(line: 1, amount: 5)]))
            try await company.posting.postCreditNote(price)
            let kept = try await notes(company).create(NewCreditNote(invoiceNumber: number, return: false, lines: [.init(line: 1, quantity: 1)]))
            let keptNote = try await notes(company).creditNote(kept)
            #expect(keptNote.lines.map(\.kind) == [.quantity])
            #expect(keptNote.total == Decimal(string: "10.59"))  // a quarter of what is left: (40 − 5) / 4 = 8.75 net, + 1.84 tax
            try await company.posting.postCreditNote(kept)
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 96, "goods the customer keeps move no stock")
            #expect(try await company.balance("ACME") == Decimal(string: "-16.64"))
            let refund = try await PaymentStore(pool: company.pool).refund(
                NewRefund(customer: "ACME", amount: Decimal(string: "6.05")!, creditNoteNumber: 1))
            #expect(refund > 0)
            let over = await #expect(throws: DomainError.self) {
                try await PaymentStore(pool: company.pool).refund(NewRefund(customer: "ACME", amount: 1, creditNoteNumber: 1))
            }
            #expect(over?.message == "credit note 1 has 0.00 EUR left to refund, not 1")
            let later = try await sell(company, [cable(1)])
            #expect(try await notes(company).apply(2, to: [.init(invoiceNumber: later)]) == Decimal(string: "10.59"))
            #expect(try await company.balance("ACME") == Decimal(string: "1.51"))  // 12.10 − the 10.59 of credit left
            let connection = try await company.database.connect()
            #expect(try await bookProblems(connection) == [])
            await connection.close()
        }
    }

    @Test("a kit with a unique-serial TV: its serial is asked for, the TV leaves stock, the kit comes back as its components")
    func kitWithSerialComponent() async throws {
        try await withCompany { company in
            let id = try await company.draft("ACME", [NewInvoiceLine(product: "KIT", quantity: 2)])
            let preview = try await company.posting.preview([id])
            #expect(preview.blocked.first?.decision.blockers.map(\.message) == ["Load 2 serial numbers on line 1 (TV)."])
            try await company.invoices.setSerials(id, line: 1, serials: [SerialEntry("TV-3"), SerialEntry("TV-4")])
            let number = try #require(try await company.posting.post([id]).numbers[id])
            #expect(try await company.stock.onHand(product: "TV").first?.quantity == 6)
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 96)
            #expect(try await company.stock.findSerials("TV-3").first?.status == "sold")
            let invoice = try await company.invoices.invoice(id)
            #expect(invoice.lines[0].serials.map(\.product) == ["TV", "TV"])
            let note = try await notes(company).create(
                NewCreditNote(invoiceNumber: number, lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV-4")])]))
            try await company.posting.postCreditNote(note)
            #expect(try await company.stock.onHand(product: "TV").first?.quantity == 7)
            #expect(try await company.stock.onHand(product: "CABLE").first?.quantity == 98)
            #expect(try await company.stock.findSerials("TV-4").first?.status == "in stock")
            let items = try await company.pool.query("SELECT status FROM report.customer_items WHERE product = 'KIT' ORDER BY item_id")
            #expect(try items.map { try $0.decode("status", as: String.self) } == ["active", "returned"])
        }
    }

    @Test("with component items on, returning a kit's first TV ends that kit's item and its TV's, and leaves the other kit's")
    func kitItemsFollowTheirSerials() async throws {
        try await withCompany { company in
            try await company.setting("buildup_component_items", "true")
            let number = try await sell(company, [NewInvoiceLine(product: "KIT", quantity: 2, serials: [SerialEntry("TV-3"), SerialEntry("TV-4")])])
            try await company.posting.postCreditNote(
                try await notes(company).create(
                    NewCreditNote(invoiceNumber: number, lines: [.init(line: 1, quantity: 1, serials: [SerialEntry("TV-3")])])))
            let items = try await company.pool.query(
                """
                SELECT i.product, coalesce(i.serial, c.serial) AS serial, i.status FROM report.customer_items i
                LEFT JOIN report.customer_items c ON c.part_of_item = i.item_id ORDER BY 2, 1
                """)
            #expect(
                try items.map {
                    "\(try $0.decode("product", as: String.self)) \(try $0.decode("serial", as: String.self)) \(try $0.decode("status", as: String.self))"
                }
                    == ["KIT TV-3 returned", "TV TV-3 returned", "KIT TV-4 active", "TV TV-4 active"])
        }
    }

    @Test("a sold TV is not received again: the refusal names the invoice and says to return it on a credit note")
    func receiptOfASoldUnit() async throws {
        try await withCompany { company in
            let number = try await sell(company, [tv("TV-1")])
            let refused = await #expect(throws: DomainError.self) {
                try await company.stock.post(
                    StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "TV", quantity: 1, serials: [SerialEntry("TV-1")])]))
            }
            #expect(refused?.message == "serial TV-1 of TV was sold on invoice \(number) to ACME on 2026-03-02: a sold unit is not received again")
            #expect(refused?.hint == "Return it on a credit note against that invoice, with its goods coming back.")
            #expect(try await company.stock.findSerials("TV-1").first?.status == "sold")
        }
    }

    @Test("one draft without a conversion rate is one blocked draft with its finding; every other draft previews and posts")
    func draftWithoutRate() async throws {
        try await withCompany { company in
            let reference = ReferenceStore(pool: company.pool)
            try await reference.saveCurrency("USD", name: "US dollar")
            try await reference.addRate(from: "USD", to: "EUR", rate: Decimal(string: "0.9")!, validFrom: LocalDate("2026-06-01")!)
            try await reference.savePriceList("USDLIST", name: "Dollar prices", currency: "USD")
            try await CatalogStore(pool: company.pool).setPrice(
                priceList: "USDLIST", product: "CABLE", price: 3, validFrom: LocalDate("2026-01-01"))
            var buyer = NewCustomer(code: "YANK", name: "Dollar buyer", priceList: "USDLIST", paymentTerms: "NET30")
            buyer.currency = "EUR"
            try await company.customers.create(buyer)
            let stranded = try await company.draft("YANK", [cable(1)])
            let fine = try await company.draft("ACME", [cable(1)])
            let preview = try await company.posting.preview([stranded, fine])
            #expect(preview.blocked.map(\.invoiceID) == [stranded])
            #expect(
                preview.blocked.first?.decision.blockers.map(\.message) == [
                    "There is no conversion rate from USD to EUR valid on 2026-03-02, the date of draft \(stranded): add one valid from that date or earlier, or change the invoice's date."
                ])
            #expect(preview.blocked.first?.currency == "USD", "without a rate its total is shown in its own currency")
            let verdicts = try await company.posting.verdicts([stranded, fine])
            #expect(verdicts.map(\.decision.canPost) == [false, true])
            try await company.posting.post([fine])
            await #expect(throws: PostingRefused.self) { try await company.posting.post([stranded]) }
        }
    }

    @Test("a mass posting whose drafts another posting took counts them as already posted, and posts the rest")
    func raceLostToAnotherPosting() async throws {
        try await withCompany { company in
            var ids: [Int64] = []
            for _ in 0..<6 { ids.append(try await company.draft("ACME", [cable(1)])) }
            let preview = try await company.posting.preview(ids)
            try await company.posting.post(Array(ids.prefix(4)))
            let result = try await company.posting.confirm(preview.token, chunkSize: 2)
            #expect(result.stoppedBecause == nil)
            #expect(result.posted.sorted() == Array(ids.suffix(2)))
            #expect(result.alreadyPosted.sorted() == Array(ids.prefix(4)))
            #expect(result.postedElsewhere.sorted() == Array(ids.prefix(4)))
            // All of them taken by another posting between the preview and the run: nothing to do, nothing stopped.
            let more = [try await company.draft("ACME", [cable(1)]), try await company.draft("ACME", [cable(1)])]
            let second = try await company.posting.preview(more)
            try await company.posting.post(more)
            let nothing = try await company.posting.confirm(second.token)
            #expect(nothing.stoppedBecause == nil && nothing.posted.isEmpty && nothing.postedElsewhere.sorted() == more)
        }
    }

    @Test("rights: a client drafts credit notes but cannot post or refund; reporting reads them; the service posts through the gate")
    func rightsByLogin() async throws {
        try await withGrantLogins(data: true) { database, logins in
            let draft = try await asLogin(logins.client, on: database) { connection in
                let id = try await connection.query("SELECT (api.create_credit_note('{\"invoice_number\": 2}') ->> 'credit_note_id')::bigint")[0]
                    .decode(0, as: Int64.self)
                await expectRefused(connection, "SELECT api.post_credit_note(\(id), '[]', 'client', gen_random_uuid())")
                await expectRefused(connection, "SELECT * FROM api.credit_note_facts(ARRAY[\(id)]::bigint[])")
                await expectRefused(connection, "SELECT api.record_refund('{\"customer\": \"YANK\", \"amount\": 1}')")
                await expectRefused(connection, "SELECT * FROM report.credit_notes")
                return id
            }
            let pool = PostgresPool(config: database.config.with("user", logins.service), maxConnections: 2)
            let posted = try await PostingService(pool: pool, actor: "service test").postCreditNote(draft)
            await pool.shutdown()
            #expect(posted.number == 1)
            try await asLogin(logins.reporting, on: database) { connection in
                let rows = try await connection.query("SELECT number, status, invoice_number FROM report.credit_notes")
                #expect(rows.count == 1)
                #expect(try rows[0].decode("status", as: String.self) == "posted")
                await expectRefused(connection, "SELECT api.get_credit_note(\(draft))")
            }
        }
    }
}

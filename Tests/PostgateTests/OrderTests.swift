import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

extension Company {
    var orders: OrderStore { OrderStore(pool: pool, actor: "tester") }

    /// A customer invoiced under `terms` (with `schedule` for the schedule terms).
    func customer(_ code: String, terms: InvoiceTerms, schedule: String? = nil, limit: Decimal? = nil) async throws {
        var customer = NewCustomer(code: code, name: code, priceList: "SALES", paymentTerms: "NET30")
        customer.invoiceTerms = terms
        customer.invoiceSchedule = schedule
        customer.creditLimit = limit
        try await customers.create(customer)
    }

    /// A booked order of `lines` for `customer`, dated `date`; returns its id.
    func bookedOrder(_ customer: String, _ lines: [NewOrderLine], date: String = "2026-03-02") async throws -> Int64 {
        let (id, _) = try await orders.create(NewOrder(customer: customer, location: "MAIN", date: LocalDate(date)), lines: lines)
        _ = try await orders.book(id)
        return id
    }

    /// A completed shipment of `order` on `date`; returns its id.
    @discardableResult
    func ship(_ order: Int64, _ lines: [NewShipmentLine]? = nil, date: String) async throws -> Int64 {
        let (id, _) = try await orders.createShipment(NewShipment(order: order, date: LocalDate(date), lines: lines))
        try await orders.completeShipment(id)
        return id
    }

    /// Generate Invoices on `date`, then posts what it made; returns the invoices made.
    func generateAndPost(_ date: String) async throws -> [GeneratedInvoice] {
        let made = try await orders.generateInvoices(on: LocalDate(date))
        if !made.isEmpty { _ = try await posting.post(made.compactMap(\.invoiceID)) }
        return made
    }

    func onHand(_ product: String) async throws -> Decimal {
        try await stock.onHand(product: product, location: "MAIN").first?.quantity ?? 0
    }

    func problems() async throws -> [String] {
        let connection = try await database.connect()
        defer { Task { await connection.close() } }
        return try await bookProblems(connection)
    }
}

func orderLine(_ product: String, _ quantity: Decimal) -> NewOrderLine { NewOrderLine(product: product, quantity: quantity) }

@Suite("Sales orders, shipments and Generate Invoices")
struct OrderTests {
    @Test("After Delivery: what is shipped is invoiced, partial shipments included; the invoice moves no stock again and carries the shipped serials")
    func afterDelivery() async throws {
        try await withCompany { company in
            try await company.customer("DEL", terms: .afterDelivery)
            let order = try await company.bookedOrder("DEL", [orderLine("TV", 2), orderLine("CABLE", 10)])
            try await company.ship(
                order, [NewShipmentLine(line: 1, quantity: 1, serials: [SerialEntry("TV-3")]), NewShipmentLine(line: 2, quantity: 4)],
                date: "2026-03-03")
            #expect(try await company.onHand("CABLE") == 96, "the shipment took the cables")
            #expect(try await company.orders.generateInvoices(on: LocalDate("2026-03-02")).isEmpty, "nothing was shipped by the 2nd")
            let first = try await company.generateAndPost("2026-03-31")
            #expect(first.count == 1 && first[0].lines == 2 && first[0].total == Decimal(string: "653.40")!)
            #expect(try await company.orders.generateInvoices(on: LocalDate("2026-03-31")).isEmpty, "running again makes nothing twice")
            #expect(try await company.onHand("CABLE") == 96, "posting the invoice did not take the cables again")
            #expect(try await company.balance("DEL") == Decimal(string: "653.40")!)
            let invoice = try await company.invoices.invoice(first[0].invoiceID!)
            #expect(invoice.lines.first { $0.product == "TV" }?.serials.map(\.serial) == ["TV-3"])
            let items = try await company.pool.query("SELECT serial FROM report.customer_items WHERE customer = 'DEL'").map {
                try $0.decode(0, as: String?.self)
            }
            #expect(items == ["TV-3"], "the customer item carries the shipped serial")
            // The rest ships, and is invoiced on its own.
            try await company.ship(order, date: "2026-04-01")
            let second = try await company.generateAndPost("2026-04-01")
            #expect(second.count == 1 && second[0].lines == 2)
            let shown = try await company.orders.order(order)
            #expect(shown.lines.allSatisfy { $0.open == 0 && $0.invoiced == $0.quantity })
            #expect(try await company.problems().isEmpty)
        }
    }

    @Test("batch serials: a shipment takes the batch and quantity (named, or the batch that holds it); its invoice carries them")
    func batchSerials() async throws {
        try await withCompany { company in
            try await company.customer("FLOORS", terms: .afterDelivery)
            let order = try await company.bookedOrder("FLOORS", [orderLine("CARPET", 30)])
            await #expect(throws: DomainError.self, "a batch that does not hold the quantity") {
                try await company.orders.createShipment(
                    NewShipment(order: order, lines: [NewShipmentLine(line: 1, quantity: 30, serials: [SerialEntry("ROLL-1", quantity: 200)])]))
            }
            try await company.ship(
                order, [NewShipmentLine(line: 1, quantity: 12, serials: [SerialEntry("ROLL-1", quantity: 12)])], date: "2026-03-03")
            let picked = try await company.ship(order, date: "2026-03-04")
            #expect(try await company.orders.shipment(picked).lines.first?.serials.map(\.serial) == ["ROLL-1"], "the rest picked from the roll")
            let made = try await company.generateAndPost("2026-03-04")
            let invoice = try await company.invoices.invoice(made[0].invoiceID!)
            #expect(invoice.lines.map { $0.serials.map { "\($0.serial) \($0.quantity)" } } == [["ROLL-1 12"], ["ROLL-1 18"]])
            #expect(try await company.onHand("CARPET") == 70)
            #expect(try await company.problems().isEmpty)
        }
    }

    @Test("After Order Delivered: nothing until every line of the order is shipped, then one invoice of every shipment")
    func afterOrderDelivered() async throws {
        try await withCompany { company in
            try await company.customer("WHOLE", terms: .afterOrderDelivered)
            let order = try await company.bookedOrder("WHOLE", [orderLine("TV", 1), orderLine("CABLE", 5)])
            try await company.ship(order, [NewShipmentLine(line: 2, quantity: 5)], date: "2026-03-30")
            #expect(try await company.generateAndPost("2026-03-31").isEmpty, "the TV is not shipped yet")
            try await company.ship(order, date: "2026-04-02")
            let made = try await company.generateAndPost("2026-04-02")
            #expect(made.count == 1 && made[0].lines == 2)
            // A closed order is delivered as far as it goes.
            let partial = try await company.bookedOrder("WHOLE", [orderLine("CABLE", 3), orderLine("CABLE", 4)])
            try await company.ship(partial, [NewShipmentLine(line: 1)], date: "2026-04-03")
            #expect(try await company.generateAndPost("2026-04-03").isEmpty)
            try await company.orders.close(partial)
            #expect(try await company.generateAndPost("2026-04-03").map(\.lines) == [1])
            #expect(try await company.problems().isEmpty)
        }
    }

    @Test("Immediate: everything booked at the next run, its stock leaving when the invoice posts; Do Not Invoice: never")
    func immediateAndNever() async throws {
        try await withCompany { company in
            try await company.customer("NOW", terms: .immediate)
            try await company.customer("NEVER", terms: .doNotInvoice)
            let now = try await company.bookedOrder("NOW", [orderLine("CABLE", 7)], date: "2026-03-05")
            let never = try await company.bookedOrder("NEVER", [orderLine("CABLE", 2)])
            try await company.ship(never, date: "2026-03-06")
            #expect(try await company.orders.generateInvoices(on: LocalDate("2026-03-04")).isEmpty, "the order is dated the 5th")
            let made = try await company.generateAndPost("2026-03-05")
            #expect(made.map(\.customer) == ["NOW"])
            #expect(try await company.onHand("CABLE") == 100 - 2 - 7, "the immediate invoice took its cables when posted")
            await #expect(throws: DomainError.self, "an order invoiced in full has nothing left to ship") {
                try await company.orders.createShipment(NewShipment(order: now))
            }
            #expect(try await company.generateAndPost("2026-12-31").isEmpty, "do not invoice: never")
            #expect(try await company.problems().isEmpty)
        }
    }

    @Test("Customer Schedule after Delivery: shipped goods on the schedule's dates only, across month ends")
    func schedule() async throws {
        try await withCompany { company in
            _ = try await ReferenceStore(pool: company.pool).saveInvoiceSchedule("MONTHEND", name: "Month end")
            try await company.orders.setScheduleDates("MONTHEND", [LocalDate("2026-02-28")!, LocalDate("2026-03-31")!, LocalDate("2026-04-30")!])
            try await company.customer("SCHED", terms: .customerScheduleAfterDelivery, schedule: "MONTHEND")
            let order = try await company.bookedOrder("SCHED", [orderLine("CABLE", 9)], date: "2026-03-01")
            try await company.ship(order, [NewShipmentLine(line: 1, quantity: 2)], date: "2026-03-15")
            try await company.ship(order, [NewShipmentLine(line: 1, quantity: 3)], date: "2026-03-31")
            try await company.ship(order, [NewShipmentLine(line: 1, quantity: 4)], date: "2026-04-01")
            #expect(try await company.generateAndPost("2026-03-30").isEmpty, "not a schedule date")
            let march = try await company.generateAndPost("2026-03-31")
            #expect(march.count == 1 && march[0].lines == 2, "both March shipments, the one on the 31st included")
            #expect(try await company.generateAndPost("2026-04-15").isEmpty)
            let april = try await company.generateAndPost("2026-04-30")
            #expect(april.count == 1 && april[0].lines == 1)
            #expect(try await company.problems().isEmpty)
        }
    }

    @Test("holds: booking refused on hold for sales orders, completing on hold for shipments, invoicing skipped on hold for invoices")
    func holds() async throws {
        try await withCompany { company in
            try await company.customer("HELD", terms: .afterDelivery)
            let (draft, _) = try await company.orders.create(NewOrder(customer: "HELD", location: "MAIN"), lines: [orderLine("CABLE", 2)])
            try await company.customers.hold("HELD", HoldSwitches(salesOrder: true, goodsShipment: false, salesInvoice: false, paymentIn: false))
            await #expect(throws: BookingRefused.self) { try await company.orders.book(draft) }
            try await company.customers.hold("HELD", HoldSwitches(salesOrder: false, goodsShipment: true, salesInvoice: false, paymentIn: false))
            _ = try await company.orders.book(draft)
            let (shipment, alerts) = try await company.orders.createShipment(NewShipment(order: draft, date: LocalDate("2026-03-03")))
            #expect(alerts.contains { $0.alert == "on_hold" }, "the draft shipment shows the hold")
            await #expect(throws: DomainError.self) { try await company.orders.completeShipment(shipment) }
            try await company.customers.hold("HELD", HoldSwitches(salesOrder: false, goodsShipment: false, salesInvoice: true, paymentIn: false))
            try await company.orders.completeShipment(shipment)
            let preview = try await company.orders.previewInvoices(on: LocalDate("2026-03-31"))
            #expect(preview.count == 1 && preview[0].skippedBecause?.contains("on hold for sales invoices") == true)
            #expect(try await company.orders.generateInvoices(on: LocalDate("2026-03-31")).isEmpty)
            _ = try await company.customers.release("HELD")
            #expect(try await company.generateAndPost("2026-03-31").count == 1)
        }
    }

    @Test("the credit check at booking: off by default, warns or blocks per order_credit_mode, on the full exposure when asked")
    func bookingCredit() async throws {
        try await withCompany { company in
            try await company.customer("TIGHT", terms: .afterDelivery, limit: 1000)
            let big = [orderLine("TV", 1), orderLine("TV", 1)]  // 1,210.00 with tax
            let (first, _) = try await company.orders.create(NewOrder(customer: "TIGHT", location: "MAIN"), lines: big)
            #expect(try await company.orders.book(first).decision.findings.isEmpty, "off: no check")
            try await company.setting("order_credit_mode", "\"warn\"")
            let (second, _) = try await company.orders.create(NewOrder(customer: "TIGHT", location: "MAIN"), lines: big)
            #expect(try await company.orders.book(second).decision.findings.map(\.code) == ["credit-limit-exceeded"])
            try await company.setting("order_credit_mode", "\"block\"")
            let (small, _) = try await company.orders.create(NewOrder(customer: "TIGHT", location: "MAIN"), lines: [orderLine("CABLE", 1)])
            _ = try await company.orders.book(small)  // the balance is 0: 12.10 fits
            try await company.setting("credit_exposure", "\"full\"")
            let (third, _) = try await company.orders.create(NewOrder(customer: "TIGHT", location: "MAIN"), lines: [orderLine("CABLE", 1)])
            await #expect(throws: BookingRefused.self, "the booked orders count against the limit") { try await company.orders.book(third) }
            let exposure = try await company.pool.query("SELECT * FROM report.customer_exposure WHERE customer = 'TIGHT'")[0]
            #expect(try exposure.decode("booked_not_shipped", as: Decimal.self) == Decimal(string: "2432.10")!)
            #expect(try exposure.decode("counted_by_credit_rules", as: Decimal.self) == Decimal(string: "2432.10")!)
            // Cancelling releases what it booked.
            try await company.orders.cancel(first)
            try await company.orders.cancel(second)
            #expect(try await company.orders.book(third).number > 0)
        }
    }

    @Test("Generate Invoices racing shipments of Immediate orders: no unit is both shipped and invoiced before shipping")
    func generationRace() async throws {
        try await withCompany { company in
            try await company.customer("RACE", terms: .immediate)
            var booked: [Int64] = []
            for _ in 0..<20 { booked.append(try await company.bookedOrder("RACE", [orderLine("CABLE", 2)], date: "2026-03-01")) }
            let orders = booked
            // One task generates invoices while the other ships the same orders; it counts what it shipped.
            let shipped = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    for _ in 0..<5 { _ = try await company.orders.generateInvoices(on: LocalDate("2026-03-02")) }
                    return 0
                }
                group.addTask {
                    var shipped = 0
                    for order in orders {
                        do {
                            try await company.ship(order, date: "2026-03-02")
                            shipped += 1
                        } catch is DomainError {}  // invoiced first: nothing open to ship
                    }
                    return shipped
                }
                return try await group.reduce(0, +)
            }
            _ = try await company.orders.generateInvoices(on: LocalDate("2026-03-02"))
            let units = try await company.pool.query(
                "SELECT sum(q.shipped)::integer, sum(q.invoiced_direct + q.invoiced_from_shipments)::integer FROM ar.order_line_quantities q")[0]
            #expect(try units.decode(1, as: Int.self) == 40, "every cable invoiced once (\(shipped) orders shipped before they were invoiced)")
            let problems = try await company.problems()
            #expect(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test("full exposure in the posting credit rule: shipped not invoiced counts, the invoice of it does not count twice")
    func postingExposure() async throws {
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            try await company.setting("credit_exposure", "\"full\"")
            try await company.customer("EXPO", terms: .afterDelivery, limit: 700)
            let order = try await company.bookedOrder("EXPO", [orderLine("TV", 1)])  // 605.00
            try await company.ship(order, date: "2026-03-03")
            let draft = try await company.draft("EXPO", [cable(10)])  // 121.00: 605 + 121 > 700
            await #expect(throws: PostingRefused.self) { try await company.posting.post([draft]) }
            #expect(try await company.generateAndPost("2026-03-31").count == 1, "the shipment's own invoice posts within the limit")
        }
    }
}

@Suite("Sales flow property")
struct SalesFlowPropertyTests {
    @Test("random orders, shipments, closings, generations and postings: no shipped unit invoiced twice or left out, stock and balances agree")
    func randomFlow() async throws {
        let seed = UInt64(faultSize("FLOW_SEED", 20_261_126))
        let steps = faultSize("FLOW_STEPS", 300)
        try await withCompany { company in
            _ = try await ReferenceStore(pool: company.pool).saveInvoiceSchedule("WEEKLY", name: "Weekly")
            let start = LocalDate("2026-03-01")!
            // Weekly, past the last day the steps can reach.
            try await company.orders.setScheduleDates("WEEKLY", (0..<(steps / 7 + 2)).map { start.adding(days: 7 * $0) })
            try await StockStore(pool: company.pool).post(
                StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: 100_000)]))
            let terms: [(String, InvoiceTerms)] = [
                ("P-DEL", .afterDelivery), ("P-WHOLE", .afterOrderDelivered), ("P-NOW", .immediate), ("P-NEVER", .doNotInvoice),
                ("P-WEEK", .customerScheduleAfterDelivery),
            ]
            for (code, term) in terms {
                try await company.customer(code, terms: term, schedule: term == .customerScheduleAfterDelivery ? "WEEKLY" : nil)
            }
            var generator = SeededGenerator(seed: seed)
            var day = 0
            var orders: [Int64] = []
            var counts: [String: Int] = [:]
            for _ in 0..<steps {
                let date = start.adding(days: day).description
                let action = Int.random(in: 0..<10, using: &generator)
                var done = "done"
                switch action {
                case 0...2:
                    let code = terms.randomElement(using: &generator)!.0
                    var lines = [orderLine("CABLE", Decimal(Int.random(in: 1...6, using: &generator)))]
                    if Bool.random(using: &generator) { lines.append(orderLine("CABLE", Decimal(Int.random(in: 1...3, using: &generator)))) }
                    orders.append(try await company.bookedOrder(code, lines, date: date))
                case 3...5:
                    guard let order = orders.randomElement(using: &generator) else { break }
                    let shown = try await company.orders.order(order)
                    let open = shown.lines.filter { $0.open - $0.onDraftShipments > 0 }
                    guard let line = open.randomElement(using: &generator) else {
                        done = "nothing open"
                        break
                    }
                    let quantity = Decimal(Int.random(in: 1...NSDecimalNumber(decimal: line.open).intValue, using: &generator))
                    try await company.ship(order, [NewShipmentLine(line: line.line, quantity: quantity)], date: date)
                case 6:
                    guard let order = orders.randomElement(using: &generator), try await company.orders.order(order).status == .booked else { break }
                    try await company.orders.close(order)
                case 7...8:
                    let made = try await company.generateAndPost(date)
                    counts["invoices", default: 0] += made.count
                default:
                    // A generated draft deleted: what it invoiced is due again.
                    let drafts = try await company.orders.generateInvoices(on: LocalDate(date))
                    if let draft = drafts.randomElement(using: &generator) { try await company.invoices.delete(draft.invoiceID!) }
                    done = "deleted a draft"
                }
                counts["\(action) \(done)", default: 0] += 1
                if Int.random(in: 0..<3, using: &generator) == 0 { day += 1 }
            }
            // Everything ends: orders closed, the rest generated on a schedule date and posted.
            for order in orders where try await company.orders.order(order).status == .booked { try await company.orders.close(order) }
            var last = start.adding(days: day)
            while try await company.pool.query("SELECT count(*) FROM ar.invoice_schedule_dates WHERE on_date = \(last)")[0].decode(0, as: Int.self)
                == 0
            {
                last = last.adding(days: 1)
            }
            _ = try await company.generateAndPost(last.description)
            let drafts = try await company.invoices.unposted().map(\.invoiceID)
            if !drafts.isEmpty { _ = try await company.posting.post(drafts) }

            let problems = try await company.problems()
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            let units = try await company.pool.query(
                """
                SELECT c.code, c.invoice_terms, coalesce(sum(q.shipped), 0) AS shipped, coalesce(sum(q.invoiced_from_shipments), 0) AS from_shipments,
                       coalesce(sum(q.invoiced_direct), 0) AS direct
                FROM ar.customers c JOIN ar.sales_orders o ON o.customer_id = c.id JOIN ar.order_line_quantities q ON q.order_id = o.id
                GROUP BY c.code, c.invoice_terms ORDER BY c.code
                """)
            for row in units {
                let code: String = try row.decode("code")
                let shipped: Decimal = try row.decode("shipped")
                let fromShipments: Decimal = try row.decode("from_shipments")
                let direct: Decimal = try row.decode("direct")
                if code == "P-NEVER" {
                    #expect(fromShipments == 0 && direct == 0, "\(code): do not invoice, yet \(fromShipments + direct) invoiced")
                } else {
                    #expect(fromShipments == shipped, "\(code): \(shipped) shipped, \(fromShipments) of them invoiced")
                }
                if code != "P-NOW" { #expect(direct == 0, "\(code): only immediate terms invoice before shipping") }
            }
            // Stock: what was received, less what shipped and what immediate invoices took.
            let out = try await company.pool.query(
                """
                SELECT (SELECT coalesce(sum(sl.quantity), 0) FROM ar.shipment_lines sl JOIN ar.shipments s ON s.id = sl.shipment_id AND s.status = 'completed')
                     + (SELECT coalesce(sum(il.quantity), 0) FROM ar.invoice_lines il JOIN ar.invoices i ON i.id = il.invoice_id
                        WHERE i.status = 'posted' AND il.product_id = (SELECT id FROM ar.products WHERE code = 'CABLE'))
                     - (SELECT coalesce(sum(il.quantity), 0) FROM ar.invoice_lines il JOIN ar.invoices i ON i.id = il.invoice_id
                        WHERE i.status = 'posted' AND il.shipment_line_id IS NOT NULL)
                """)[0].decode(0, as: Decimal.self)
            #expect(try await company.onHand("CABLE") == 100 + 100_000 - out)
            // Balances: every posted invoice, nothing else.
            for (code, _) in terms {
                let posted = try await company.pool.query(
                    "SELECT coalesce(sum(total), 0) FROM report.invoices WHERE customer = \(code) AND status = 'posted'")[0].decode(
                        0, as: Decimal.self)
                #expect(try await company.balance(code) == posted, "\(code)")
            }
            #expect((counts["invoices"] ?? 0) > 0, "\(counts)")
            print(
                "Sales flow: \(steps) steps, seed \(seed): "
                    + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}

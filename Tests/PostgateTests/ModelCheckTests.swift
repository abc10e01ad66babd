import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

/// A seeded random workload over 100 customers and two locations, compared after every step
/// with a model kept in memory: balances, holds and credit limits (in block mode), cables on
/// hand at each location, where each unique-serial TV is (in stock where, sold to whom, written
/// off, back on a credit note) and each customer's installed base. Credit notes credit posted
/// sales whole, by quantity (goods back or kept) or by price, each to the cent the model expects. A failing seed is printed; run the test with MODEL_SEED=N to
/// replay it, MODEL_STEPS=N for a longer run (docs/reliability.md: 100,000 steps).
@Suite("Model check")
struct ModelCheckTests {
    struct Customer {
        var balance: Decimal = 0
        var onHold = false
        var limit: Decimal?
        var version = 1
        var items = 0
    }

    enum Place: Equatable, CustomStringConvertible {
        case inStock(String)
        case sold(String)
        case writtenOff

        var description: String {
            switch self {
            case .inStock(let location): "in stock at \(location)"
            case .sold(let customer): "sold to \(customer)"
            case .writtenOff: "written off"
            }
        }
    }

    /// A posted sale, by its invoice number: its one line, and what it has left to credit.
    struct Sale {
        var customer: String
        var television: String?
        var quantityLeft: Decimal
        var netLeft: Decimal
        var taxLeft: Decimal
        var televisionBack = false

        /// What crediting `quantity` of the line gives back: its share of what is left, all of it for the last.
        func credit(_ quantity: Decimal) -> (net: Decimal, tax: Decimal) {
            quantity == quantityLeft
                ? (netLeft, taxLeft)
                : (ModelCheckTests.cents(netLeft * quantity / quantityLeft), ModelCheckTests.cents(taxLeft * quantity / quantityLeft))
        }

        /// A price correction of `amount` net: the line's tax on it, all the tax left when it takes all the net left.
        func correction(_ amount: Decimal) -> (net: Decimal, tax: Decimal) {
            (amount, amount >= netLeft ? taxLeft : min(ModelCheckTests.cents(amount * 21 / 100), taxLeft))
        }

        mutating func take(_ quantity: Decimal, _ amounts: (net: Decimal, tax: Decimal)) {
            quantityLeft -= quantity
            netLeft -= amounts.net
            taxLeft -= amounts.tax
        }
    }

    /// Rounded to cents, half away from zero, as the database rounds.
    static func cents(_ value: Decimal) -> Decimal {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .plain)
        return rounded
    }

    /// What the database should hold.
    struct Model {
        var sales: [Int64: Sale] = [:]
        var customers: [String: Customer] = [:]
        var cables: [String: Decimal] = ["MAIN": 100, "BACK": 0]
        var televisions: [String: Place] = Dictionary(uniqueKeysWithValues: (1...8).map { ("TV-\($0)", .inStock("MAIN")) })

        func televisions(at location: String) -> Int { televisions.values.filter { $0 == .inStock(location) }.count }
    }

    enum Step: CaseIterable {
        case post, postAndPay, sellTelevision, payment, adjustment, receipt, receiveTelevision, transfer, transferTelevision, writeOff,
            writeOffTelevision, hold, release, limit, creditCables, creditPrice, returnTelevision, creditWhole
    }

    static let locations = ["MAIN", "BACK"]
    static let cablePrice = Decimal(string: "12.10")!  // a cable with its tax
    static let televisionPrice = Decimal(605)  // a TV with its tax

    @Test(
        "a seeded workload of postings, post-and-pay, serial sales, payments, adjustments, receipts, transfers, write-offs, holds and limit changes: no divergence"
    )
    func workload() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["MODEL_SEED"].flatMap(UInt64.init) ?? 20_261_126
        let steps = environment["MODEL_STEPS"].flatMap(Int.init) ?? 3000
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            try await CatalogStore(pool: company.pool).saveLocation("BACK", name: "Back store")
            var generator = SeededGenerator(seed: seed)
            var model = Model()
            let codes = (1...100).map { String(format: "M%03d", $0) }
            for code in codes {
                try await company.customers.create(NewCustomer(code: code, name: code, priceList: "SALES", paymentTerms: "NET30"))
                model.customers[code] = Customer()
            }
            let adjustments = AdjustmentStore(pool: company.pool)
            let date = LocalDate("2026-03-02")
            var divergences: [String] = []
            var counts: [String: Int] = [:]
            var received = 0

            for number in 1...steps where divergences.isEmpty {
                let code = codes.randomElement(using: &generator)!
                var customer = model.customers[code]!
                let step = Step.allCases.randomElement(using: &generator)!
                let quantity = Decimal(Int.random(in: 1...5, using: &generator))
                let amount = Decimal(Int.random(in: 1...20_000, using: &generator)) / 100
                let television = model.televisions.keys.sorted().randomElement(using: &generator)!
                let from = Self.locations.randomElement(using: &generator)!
                let to = Self.locations.first { $0 != from }!
                var outcome = "done"
                /// What the posting rules should refuse a sale of `total` for: the rule ids.
                func refusals(_ total: Decimal, stock: Bool) -> Set<String> {
                    var expected: Set<String> = []
                    if customer.onHold { expected.insert("on-hold") }
                    if let limit = customer.limit, customer.balance + total > limit { expected.insert("credit-limit") }
                    if !stock { expected.insert("stock-available") }
                    return expected
                }
                /// Posts a draft of `lines` (paying it in full when `paying`); the rules that refused it, or nil when it
                /// posted (its number in `posted`).
                var posted: Int64?
                func sell(_ lines: [NewInvoiceLine], paying: Bool) async throws -> Set<String>? {
                    let id = try await company.draft(code, [])
                    do {
                        for line in lines { try await company.invoices.addLine(id, line) }
                        let result =
                            paying
                            ? try await company.posting.postAndPay(id, paymentMethod: "CASH", financialAccount: "TILL")
                            : try await company.posting.post([id])
                        posted = result.numbers[id]
                        return nil
                    } catch let refused as PostingRefused {
                        try await company.invoices.delete(id)
                        return Set(refused.decisions.flatMap { $0.decision.blockers.map(\.rule) })
                    } catch let error as DomainError where error.field?.hasPrefix("serial") == true || error.kind == .ruleViolated {
                        try await company.invoices.delete(id)
                        return ["entry: \(error.message)"]
                    }
                }
                /// Compares what the model expected with what the database did.
                func judge(_ refused: Set<String>?, expected: Set<String>, what: String) {
                    if let refused {
                        outcome = "refused"
                        // Refused at entry (the serial cannot be named), the rules never ran: only the serial
                        // explains it. Refused by the rules: every rule the model expects is among them.
                        let entry = refused.contains { $0.hasPrefix("entry:") }
                        let explained = entry ? expected.contains("serials-available") : !expected.isEmpty && expected.isSubset(of: refused)
                        if !explained {
                            divergences.append(
                                "step \(number): \(what) for \(code) refused by \(refused.sorted()), the model expects \(expected.sorted())")
                        }
                    } else if !expected.isEmpty {
                        divergences.append("step \(number): \(what) for \(code) posted, but the model refuses it for \(expected.sorted())")
                    }
                }
                /// A stock document, and whether it was refused.
                func move(_ document: StockDocument) async throws -> Bool {
                    do {
                        try await company.stock.post(document)
                        return true
                    } catch let error as DomainError where error.kind == .ruleViolated || error.kind == .invalid || error.kind == .notFound {
                        outcome = "refused"
                        return false
                    }
                }

                switch step {
                case .post, .postAndPay:
                    let total = quantity * Self.cablePrice
                    let expected = refusals(total, stock: quantity <= model.cables["MAIN"]!)
                    let refused = try await sell([cable(quantity)], paying: step == .postAndPay)
                    judge(refused, expected: expected, what: "\(quantity) cables")
                    if refused == nil && expected.isEmpty {
                        if step == .post { customer.balance += total }
                        model.cables["MAIN"]! -= quantity
                        model.sales[posted!] = Sale(customer: code, quantityLeft: quantity, netLeft: quantity * 10, taxLeft: quantity * 2.1)
                    }
                case .sellTelevision:
                    var expected = refusals(Self.televisionPrice, stock: true)
                    if model.televisions[television] != .inStock("MAIN") { expected.insert("serials-available") }
                    let refused = try await sell([tv(television)], paying: false)
                    judge(refused, expected: expected, what: "\(television) (\(model.televisions[television]!))")
                    if refused == nil && expected.isEmpty {
                        customer.balance += Self.televisionPrice
                        customer.items += 1
                        model.televisions[television] = .sold(code)
                        model.sales[posted!] = Sale(customer: code, television: television, quantityLeft: 1, netLeft: 500, taxLeft: 105)
                    }
                case .payment:
                    try await PaymentStore(pool: company.pool).receive(NewPayment(customer: code, amount: amount, date: date))
                    customer.balance -= amount
                case .adjustment:
                    let signed = Bool.random(using: &generator) ? amount : -amount
                    try await adjustments.add(customer: code, amount: signed, date: date)
                    customer.balance += signed
                case .receipt:
                    try await company.stock.post(StockDocument(.receipt(location: from), lines: [StockLine(product: "CABLE", quantity: quantity)]))
                    model.cables[from]! += quantity
                case .receiveTelevision:
                    received += 1
                    let serial = "TV-N\(received)"
                    try await company.stock.post(
                        StockDocument(.receipt(location: from), lines: [StockLine(product: "TV", quantity: 1, serials: [SerialEntry(serial)])]))
                    model.televisions[serial] = .inStock(from)
                case .transfer, .writeOff:
                    let document =
                        step == .transfer
                        ? StockDocument(.transfer(from: from, to: to), lines: [StockLine(product: "CABLE", quantity: quantity)])
                        : StockDocument(.writeOff(location: from), lines: [StockLine(product: "CABLE", quantity: quantity)])
                    let moved = try await move(document)
                    if moved != (quantity <= model.cables[from]!) {
                        divergences.append(
                            "step \(number): \(step) of \(quantity) cables from \(from) with \(model.cables[from]!) there: moved \(moved)")
                    }
                    if moved {
                        model.cables[from]! -= quantity
                        if step == .transfer { model.cables[to]! += quantity }
                    }
                case .transferTelevision, .writeOffTelevision:
                    let line = StockLine(product: "TV", quantity: 1, serials: [SerialEntry(television)])
                    let document =
                        step == .transferTelevision
                        ? StockDocument(.transfer(from: from, to: to), lines: [line]) : StockDocument(.writeOff(location: from), lines: [line])
                    let moved = try await move(document)
                    if moved != (model.televisions[television] == .inStock(from)) {
                        divergences.append(
                            "step \(number): \(step) of \(television) (\(model.televisions[television]!)) from \(from): moved \(moved)")
                    }
                    if moved { model.televisions[television] = step == .transferTelevision ? .inStock(to) : .writtenOff }
                case .creditCables, .creditPrice, .returnTelevision, .creditWhole:
                    let mine = model.sales.filter { $0.value.customer == code }.sorted { $0.key < $1.key }
                    let candidates =
                        switch step {
                        case .creditCables: mine.filter { $0.value.television == nil && $0.value.quantityLeft > 0 }
                        case .creditPrice: mine.filter { $0.value.television == nil && $0.value.netLeft >= 1 }
                        case .returnTelevision: mine.filter { $0.value.television != nil && !$0.value.televisionBack }
                        default: mine
                        }
                    guard let (invoiceNumber, sale) = candidates.randomElement(using: &generator) else {
                        outcome = "nothing to credit"
                        break
                    }
                    let location = Self.locations.randomElement(using: &generator)!
                    var credit: NewCreditNote
                    var amounts: (net: Decimal, tax: Decimal)
                    var quantity: Decimal = 0
                    var back = true
                    switch step {
                    case .creditCables:
                        quantity = Decimal(Int.random(in: 1...NSDecimalNumber(decimal: sale.quantityLeft).intValue, using: &generator))
                        back = Bool.random(using: &generator)
                        amounts = sale.credit(quantity)
                        credit = NewCreditNote(
                            invoiceNumber: invoiceNumber, location: location, return: back, lines: [.init(line: 1, quantity: quantity)])
                    case .creditPrice:
                        let amount = Decimal(Int.random(in: 1...min(5, NSDecimalNumber(decimal: sale.netLeft).intValue), using: &generator))
                        amounts = sale.correction(amount)
                        credit = NewCreditNote(invoiceNumber: invoiceNumber, amounts: [.init(line: 1, amount: amount)])
                    case .returnTelevision:
                        quantity = 1
                        amounts = sale.credit(1)
                        credit = NewCreditNote(
                            invoiceNumber: invoiceNumber, location: location, lines: [.init(line: 1, serials: [SerialEntry(sale.television!)])])
                    default:
                        quantity = sale.quantityLeft
                        amounts = sale.credit(quantity)
                        credit = NewCreditNote(invoiceNumber: invoiceNumber)
                    }
                    let whole = step == .creditWhole
                    do {
                        let id = try await CreditNoteStore(pool: company.pool).create(credit)
                        do {
                            try await company.posting.postCreditNote(id)
                        } catch let refused as PostingRefused {
                            try await CreditNoteStore(pool: company.pool).delete(id)
                            outcome = "refused"
                            let rules = Set(refused.decisions.flatMap { $0.decision.blockers.map(\.rule) })
                            if !customer.onHold || rules != ["on-hold"] {
                                divergences.append("step \(number): credit of invoice \(invoiceNumber) for \(code) refused by \(rules.sorted())")
                            }
                            break
                        }
                    } catch let error as DomainError where whole && sale.quantityLeft == 0 && error.kind == .ruleViolated {
                        outcome = "refused"  // credited in full already: a whole credit note has nothing left to take
                        break
                    }
                    if customer.onHold { divergences.append("step \(number): a credit note posted for \(code), which is on hold") }
                    customer.balance -= amounts.net + amounts.tax
                    var changed = sale
                    changed.take(quantity, amounts)
                    if let serial = sale.television, quantity > 0 {
                        changed.televisionBack = true
                        customer.items -= 1
                        model.televisions[serial] = .inStock(whole ? "MAIN" : location)
                    } else if back && quantity > 0 {
                        model.cables[whole ? "MAIN" : location]! += quantity
                    }
                    model.sales[invoiceNumber] = changed
                    if let serial = sale.television {
                        model.customers[code] = customer
                        divergences += try await compare(model, code: code, television: serial, step: "step \(number) (\(step))", company: company)
                    }
                case .hold:
                    customer.version = try await company.customers.hold(code)
                    customer.onHold = true
                case .release:
                    customer.version = try await company.customers.release(code)
                    customer.onHold = false
                case .limit:
                    var changes = CustomerChanges()
                    let limit = Decimal(Int.random(in: 0...1500, using: &generator))
                    if Bool.random(using: &generator) { changes.set(.creditLimit, limit) } else { changes.clear(.creditLimit) }
                    customer.version = try await company.customers.update(code, version: customer.version, changes: changes)
                    customer.limit = changes.fields["credit_limit"] == .null ? nil : limit
                }
                counts["\(step) \(outcome)", default: 0] += 1
                model.customers[code] = customer
                divergences += try await compare(model, code: code, television: television, step: "step \(number) (\(step))", company: company)
            }
            let connection = try await company.database.connect()
            let problems = try await bookProblems(connection)
            await connection.close()
            #expect(divergences.isEmpty, "seed \(seed) (replay with MODEL_SEED=\(seed)): \(divergences.prefix(5))")
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            for step in [Step.post, .sellTelevision, .transfer, .transferTelevision, .creditCables, .returnTelevision] {
                #expect((counts["\(step) done"] ?? 0) > 0 && (counts["\(step) refused"] ?? 0) > 0, "\(counts)")
            }
            print(
                "Model check: \(steps) steps, seed \(seed): "
                    + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    /// The database, read back, against the model: the customer of the step, stock at every
    /// location, and the TV of the step.
    func compare(_ model: Model, code: String, television: String, step: String, company: Company) async throws -> [String] {
        var divergences: [String] = []
        let customer = model.customers[code]!
        let balance = try await company.customers.balance(code)
        if balance.balance != customer.balance { divergences.append("\(step): \(code) balance \(balance.balance), model \(customer.balance)") }
        if balance.onHold != customer.onHold { divergences.append("\(step): \(code) on hold \(balance.onHold), model \(customer.onHold)") }
        if balance.creditLimit != customer.limit {
            divergences.append("\(step): \(code) limit \(String(describing: balance.creditLimit)), model \(String(describing: customer.limit))")
        }
        let items = try await company.pool.query("SELECT count(*) FROM report.installed_base WHERE customer = \(code)")[0].decode(0, as: Int.self)
        if items != customer.items { divergences.append("\(step): \(code) has \(items) customer items, model \(customer.items)") }
        let onHand = try await company.stock.onHand()
        for location in Self.locations {
            let cables = onHand.first { $0.product == "CABLE" && $0.location == location }?.quantity ?? 0
            if cables != model.cables[location]! { divergences.append("\(step): cables at \(location) \(cables), model \(model.cables[location]!)") }
            let televisions = onHand.first { $0.product == "TV" && $0.location == location }?.quantity ?? 0
            if televisions != Decimal(model.televisions(at: location)) {
                divergences.append("\(step): TVs at \(location) \(televisions), model \(model.televisions(at: location))")
            }
        }
        // The serial's row of the report a user reads (one serial: searching them all at each step would grow with the run).
        let rows = try await company.pool.query(
            "SELECT status, location, customer FROM report.serial_numbers WHERE serial = \(television) AND product = 'TV'")
        let status: String? = try rows.first?.decode("status")
        let location: String? = try rows.first?.decode("location")
        let owner: String? = try rows.first?.decode("customer")
        let place: Place? =
            switch status {
            case "in stock": location.map(Place.inStock)
            case "sold": owner.map(Place.sold)
            case "written off": .writtenOff
            default: nil
            }
        if place != model.televisions[television] {
            divergences.append(
                "\(step): \(television) is \(status ?? "unknown") \(location ?? "") \(owner ?? ""), model \(model.televisions[television]!)")
        }
        return divergences
    }
}

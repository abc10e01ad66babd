import Foundation
import Postgate
import Postgres
import TestSupport
import Testing

/// A catalogue with each kind of tracking: a unique-serial TV, a batch-serial carpet with expiry
/// dates, an untracked cable, a buildup, two locations.
func withCatalog<T: Sendable>(_ body: (PostgresPool, CatalogStore, StockStore) async throws -> T) async throws -> T {
    try await withTestDatabase { database in
        let pool = PostgresPool(config: database.config, maxConnections: 4)
        let catalog = CatalogStore(pool: pool)
        try await catalog.saveItemType("TV", name: "Television", warrantyMonths: 24, serviceIntervalMonths: 12)
        var tv = ProductFields(code: "TV55", name: "TV 55 inch")
        tv.serialTracking = .unique
        tv.customerItemType = "TV"
        try await catalog.saveProduct(tv)
        var carpet = ProductFields(code: "CARPET", name: "Carpet roll")
        carpet.serialTracking = .batch
        carpet.trackExpiry = true
        carpet.unit = "m"
        try await catalog.saveProduct(carpet)
        try await catalog.saveProduct(ProductFields(code: "CABLE", name: "HDMI cable"))
        try await catalog.saveLocation("MAIN", name: "Main store")
        try await catalog.saveLocation("VAN", name: "Van")
        do {
            let value = try await body(pool, catalog, StockStore(pool: pool))
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

func line(_ text: String) -> StockLine { try! StockLine(parsing: text) }

@Suite("Stock and serials")
struct StockStoreTests {
    @Test("the serial-tracking flow: configure, receive, transfer, write off, correct a serial, find its history")
    func sourceArticleFlow() async throws {
        try await withCatalog { _, catalog, stock in
            // An untracked TV with stock cannot become serial-tracked until its stock is zero.
            try await catalog.saveProduct(ProductFields(code: "TV65", name: "TV 65 inch"))
            try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("TV65:2")]))
            var tracked = ProductFields(code: "TV65")
            tracked.serialTracking = .unique
            let refused = await #expect(throws: DomainError.self) { try await catalog.saveProduct(tracked, version: 1) }
            #expect(refused?.field == "serial_tracking")
            #expect(refused?.message.contains("2 on hand: 2 at MAIN") == true)
            try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("TV65:2")]))
            #expect(try await catalog.saveProduct(tracked, version: 1) == 2)

            // Receive TVs with serials and carpet rolls as batch serials with expiry.
            try await stock.post(
                StockDocument(
                    .receipt(location: "MAIN"),
                    lines: [
                        line("TV55:3:SN-1,SN-2,SN-3"), line("CARPET:120:ROLL-A=60@2027-01-31,ROLL-B=60@2026-12-31"),
                    ], date: LocalDate("2026-03-01"), reference: "PO-1"))
            try await stock.post(StockDocument(.transfer(from: "MAIN", to: "VAN"), lines: [line("TV55:1:SN-2"), line("CARPET:20:ROLL-A=20")]))
            try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("CARPET:5:ROLL-B=5")], reference: "damaged"))

            // SN-3 was mistyped: it is really SN-30. Write the wrong one off, receive the right one.
            try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("TV55:1:SN-3")], reference: "typo"))
            try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("TV55:1:SN-30")], reference: "typo"))

            let onHand = try await stock.onHand()
            let figures = Dictionary(uniqueKeysWithValues: onHand.map { ("\($0.product)@\($0.location)", $0.quantity) })
            #expect(figures == ["TV55@MAIN": 2, "TV55@VAN": 1, "CARPET@MAIN": 95, "CARPET@VAN": 20])

            let serials = try await stock.findSerials("SN-")
            #expect(serials.map(\.serial) == ["SN-1", "SN-2", "SN-3", "SN-30"])
            #expect(serials.first { $0.serial == "SN-3" }?.status == "written off")
            #expect(serials.first { $0.serial == "SN-2" }?.location == "VAN")
            let history = try await stock.history(serial: "SN-2")
            #expect(history.map(\.documentKind) == ["receipt", "transfer", "transfer"])
            #expect(history.map(\.quantity) == [1, -1, 1])
            #expect(history.first?.reference == "PO-1")

            let picked = try await stock.pickSerials(product: "CARPET", location: "MAIN")
            #expect(picked.map(\.serial) == ["ROLL-B", "ROLL-A"], "oldest expiry first")
            #expect(try await stock.findSerials("roll", status: "in stock").count == 2)
            #expect(try await stock.discrepancies() == 0)
        }
    }

    @Test(
        "a bad line refuses the whole document and changes nothing",
        arguments: [
            ("TV55:2:SN-1", "lines[1].serials"),
            ("TV55:1:SN-1=2", "lines[1].serials[1].quantity"),
            ("CARPET:10:ROLL-X=10", "lines[1].serials[1].expiry"),
            ("CARPET:10:ROLL-X=4@2027-01-01", "lines[1].serials"),
            ("CABLE:1:S1", "lines[1].serials"),
            ("NOPE:1", "lines[1].product"),
            ("CABLE:0", "lines[1].quantity"),
        ])
    func badLines(_ bad: String, _ field: String) async throws {
        try await withCatalog { _, _, stock in
            let error = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line(bad), line("CABLE:5")]))
            }
            #expect(error?.field == field, "\(String(describing: error))")
            let onHand = try await stock.onHand()
            let serials = try await stock.findSerials()
            #expect(onHand.isEmpty)
            #expect(serials.isEmpty)
        }
    }

    @Test("stock never goes below zero, and a unique serial is in one place at most")
    func invariants() async throws {
        try await withCatalog { _, _, stock in
            try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("TV55:1:SN-1"), line("CABLE:3")]))
            let short = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("CABLE:4")]))
            }
            #expect(short?.message.contains("3 on hand at MAIN, 4 asked for") == true)
            let twice = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.receipt(location: "VAN"), lines: [line("TV55:1:SN-1")]))
            }
            #expect(twice?.kind == .ruleViolated)
            #expect(twice?.message.contains("already in stock") == true)
            let elsewhere = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.transfer(from: "VAN", to: "MAIN"), lines: [line("TV55:1:SN-1")]))
            }
            #expect(elsewhere?.message.contains("0 on hand at VAN") == true)
            let unknown = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("TV55:1:SN-404")]))
            }
            #expect(unknown?.kind == .notFound)
        }
    }

    @Test("serials, movements and documents can be neither changed nor deleted, by anyone")
    func immutability() async throws {
        try await withCatalog { pool, _, stock in
            try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("TV55:1:SN-1")]))
            for statement in [
                "UPDATE ar.serials SET serial = 'SN-2'", "DELETE FROM ar.stock_movements", "TRUNCATE ar.stock_documents CASCADE",
                "UPDATE ar.stock_movements SET quantity = 5",
            ] {
                let error = await #expect(throws: PostgresError.self) { try await pool.query(PostgresQuery(unsafeSQL: statement)) }
                #expect(error?.sqlState == "PG423", "\(statement)")
            }
        }
    }

    @Test("two write-offs of the same unique serial at once: one wins, the other is told why")
    func concurrentWriteOffs() async throws {
        try await withCatalog { _, _, stock in
            try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("TV55:1:SN-1")]))
            let outcomes = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            try await stock.post(StockDocument(.writeOff(location: "MAIN"), lines: [line("TV55:1:SN-1")]))
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.compactMap { $0 }.first?.contains("0 on hand at MAIN") == true)
            #expect(try await stock.history(serial: "SN-1").count == 2)
        }
    }

    @Test("buildups: components are set, cycles refused, and a buildup holds no stock of its own")
    func buildups() async throws {
        try await withCatalog { _, catalog, stock in
            var kit = ProductFields(code: "KIT", name: "TV kit")
            kit.isBuildup = true
            try await catalog.saveProduct(kit)
            try await catalog.setBuildup("KIT", components: [.init(product: "TV55", quantity: 1), .init(product: "CABLE", quantity: 2)])
            #expect(try await catalog.product("KIT").components.map(\.product) == ["CABLE", "TV55"])
            var bundle = ProductFields(code: "BUNDLE", name: "Bundle")
            bundle.isBuildup = true
            try await catalog.saveProduct(bundle)
            try await catalog.setBuildup("BUNDLE", components: [.init(product: "KIT", quantity: 2)])
            let cycle = await #expect(throws: DomainError.self) {
                try await catalog.setBuildup("KIT", components: [.init(product: "BUNDLE", quantity: 1)])
            }
            #expect(cycle?.message.contains("KIT > BUNDLE > KIT") == true)
            let noStock = await #expect(throws: DomainError.self) {
                try await stock.post(StockDocument(.receipt(location: "MAIN"), lines: [line("KIT:1")]))
            }
            #expect(noStock?.field == "lines[1].product")
        }
    }

    @Test("prices come from the price list valid on the date")
    func prices() async throws {
        try await withCatalog { pool, catalog, _ in
            let reference = ReferenceStore(pool: pool)
            try await reference.saveCurrency("EUR", name: "Euro")
            try await reference.savePriceList("SALES", name: "Sales", currency: "EUR")
            try await catalog.setPrice(priceList: "SALES", product: "TV55", price: Decimal(string: "799.00")!, validFrom: LocalDate("2026-01-01"))
            try await catalog.setPrice(priceList: "SALES", product: "TV55", price: Decimal(string: "749.50")!, validFrom: LocalDate("2026-06-01"))
            #expect(try await catalog.price(priceList: "SALES", product: "TV55", on: LocalDate("2026-05-31")!) == Decimal(string: "799"))
            #expect(try await catalog.price(priceList: "SALES", product: "TV55", on: LocalDate("2026-06-01")!) == Decimal(string: "749.5"))
            let none = await #expect(throws: DomainError.self) {
                try await catalog.price(priceList: "SALES", product: "TV55", on: LocalDate("2025-12-31")!)
            }
            #expect(none?.kind == .notFound)
        }
    }

    /// Replays random receipts, transfers and write-offs (many of them impossible) and checks
    /// the database's on-hand quantities against an independent recount kept here.
    @Test("random stock sequences keep on-hand equal to an independent recount", arguments: [7, 42, 2026])
    func randomSequences(_ seed: UInt64) async throws {
        try await withCatalog { _, _, stock in
            var random = SplitMix(seed: seed)
            let locations = ["MAIN", "VAN"]
            let tvSerials = (1...8).map { "TV-\($0)" }
            let rolls = (1...3).map { "R-\($0)" }
            var expected: [String: Decimal] = [:]  // "product|location|serial" → quantity
            func key(_ product: String, _ location: String, _ serial: String = "") -> String { "\(product)|\(location)|\(serial)" }
            func have(_ k: String) -> Decimal { expected[k] ?? 0 }
            var posted = 0
            var refused = 0
            for _ in 0..<60 {
                let location = locations[random.next(2)]
                let other = locations.first { $0 != location }!
                var document: StockDocument
                var effects: [(String, Decimal)] = []
                switch random.next(3) {
                case 0:  // receipt
                    switch random.next(3) {
                    case 0:
                        let serial = tvSerials[random.next(tvSerials.count)]
                        document = StockDocument(
                            .receipt(location: location), lines: [StockLine(product: "TV55", quantity: 1, serials: [SerialEntry(serial)])])
                        let inStockAnywhere = locations.contains { have(key("TV55", $0, serial)) > 0 }
                        effects = inStockAnywhere ? [("refuse", Decimal(0))] : [(key("TV55", location, serial), Decimal(1))]
                    case 1:
                        let roll = rolls[random.next(rolls.count)]
                        let quantity = Decimal(random.next(30) + 1)
                        document = StockDocument(
                            .receipt(location: location),
                            lines: [
                                StockLine(
                                    product: "CARPET", quantity: quantity,
                                    serials: [SerialEntry(roll, quantity: quantity, expiry: LocalDate("2027-01-01"))])
                            ])
                        effects = [(key("CARPET", location, roll), quantity)]
                    default:
                        let quantity = Decimal(random.next(10) + 1)
                        document = StockDocument(.receipt(location: location), lines: [StockLine(product: "CABLE", quantity: quantity)])
                        effects = [(key("CABLE", location), quantity)]
                    }
                default:  // transfer or write-off
                    let transfer = random.next(2) == 0
                    let movement: StockMovement = transfer ? .transfer(from: location, to: other) : .writeOff(location: location)
                    let stockLine: StockLine
                    let from: String
                    let to: String?
                    switch random.next(3) {
                    case 0:
                        let serial = tvSerials[random.next(tvSerials.count)]
                        stockLine = StockLine(product: "TV55", quantity: 1, serials: [SerialEntry(serial)])
                        from = key("TV55", location, serial)
                        to = transfer ? key("TV55", other, serial) : nil
                    case 1:
                        let roll = rolls[random.next(rolls.count)]
                        let quantity = Decimal(random.next(20) + 1)
                        stockLine = StockLine(product: "CARPET", quantity: quantity, serials: [SerialEntry(roll, quantity: quantity)])
                        from = key("CARPET", location, roll)
                        to = transfer ? key("CARPET", other, roll) : nil
                    default:
                        stockLine = StockLine(product: "CABLE", quantity: Decimal(random.next(6) + 1))
                        from = key("CABLE", location)
                        to = transfer ? key("CABLE", other) : nil
                    }
                    document = StockDocument(movement, lines: [stockLine])
                    if have(from) >= stockLine.quantity {
                        effects = [(from, -stockLine.quantity)] + (to.map { [($0, stockLine.quantity)] } ?? [])
                    } else {
                        effects = [("refuse", 0)]
                    }
                }
                let shouldRefuse = effects.contains { $0.0 == "refuse" }
                do {
                    try await stock.post(document)
                    #expect(!shouldRefuse, "posted, but the recount says it should be refused: \(document)")
                    for (k, delta) in effects { expected[k] = have(k) + delta }
                    posted += 1
                } catch let error as DomainError {
                    #expect(shouldRefuse || error.kind == .notFound, "refused, but the recount allows it: \(error)")
                    refused += 1
                }
            }
            var recount: [String: Decimal] = [:]
            for (k, quantity) in expected where quantity != 0 {
                let parts = k.split(separator: "|", omittingEmptySubsequences: false)
                recount["\(parts[0])@\(parts[1])", default: 0] += quantity
            }
            let database = try await stock.onHand()
            #expect(Dictionary(uniqueKeysWithValues: database.map { ("\($0.product)@\($0.location)", $0.quantity) }) == recount)
            #expect(try await stock.discrepancies() == 0)
            #expect(posted > 10 && refused > 0, "the sequence should exercise both outcomes (posted \(posted), refused \(refused))")
        }
    }
}

/// A small deterministic generator, so a failing sequence can be replayed from its seed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

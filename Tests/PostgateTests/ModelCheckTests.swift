import Foundation
import Postgate
import Postgres
import PostingPolicy
import TestSupport
import Testing

/// A seeded random workload over many customers, compared after every step with a model kept in
/// memory: balances, holds, credit limits (in block mode) and stock on hand. A failing seed is
/// printed; run the test with MODEL_SEED=N to replay it, MODEL_STEPS=N for a longer run.
@Suite("Model check")
struct ModelCheckTests {
    struct Customer {
        var balance: Decimal = 0
        var onHold = false
        var limit: Decimal?
        var version = 1
    }

    enum Step: CaseIterable {
        case post, payment, adjustment, receipt, writeOff, hold, release, limit
    }

    @Test("a seeded workload of drafts, postings, payments, adjustments, receipts, write-offs, holds and limit changes: no divergence")
    func workload() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["MODEL_SEED"].flatMap(UInt64.init) ?? 20_261_126
        let steps = environment["MODEL_STEPS"].flatMap(Int.init) ?? 3000
        try await withCompany { company in
            try await company.setting("credit_mode", "\"block\"")
            var generator = SeededGenerator(seed: seed)
            var customers: [String: Customer] = [:]
            let codes = (1...100).map { String(format: "M%03d", $0) }
            for code in codes {
                try await company.customers.create(NewCustomer(code: code, name: code, priceList: "SALES", paymentTerms: "NET30"))
                customers[code] = Customer()
            }
            var stock: Decimal = 100  // cables at MAIN, from the company's receipt
            let price = Decimal(string: "12.10")!  // a cable with its tax
            let adjustments = AdjustmentStore(pool: company.pool)
            let date = LocalDate("2026-03-02")
            var divergences: [String] = []
            var counts: [String: Int] = [:]

            for number in 1...steps where divergences.isEmpty {
                let code = codes.randomElement(using: &generator)!
                var customer = customers[code]!
                let step = Step.allCases.randomElement(using: &generator)!
                let quantity = Decimal(Int.random(in: 1...5, using: &generator))
                let amount = Decimal(Int.random(in: 1...20_000, using: &generator)) / 100
                var outcome = "done"
                switch step {
                case .post:
                    let total = quantity * price
                    let refusedByHold = customer.onHold
                    let refusedByLimit = customer.limit.map { customer.balance + total > $0 } ?? false
                    let refusedByStock = quantity > stock
                    let id = try await company.draft(code, [cable(quantity)])
                    do {
                        _ = try await company.posting.post([id])
                        if refusedByHold || refusedByLimit || refusedByStock {
                            divergences.append("step \(number): \(code) posted \(total) but the model refuses it")
                        }
                        customer.balance += total
                        stock -= quantity
                    } catch let refused as PostingRefused {
                        let rules = Set(refused.decisions.flatMap { $0.decision.blockers.map(\.rule) })
                        var expected: Set<String> = []
                        if refusedByHold { expected.insert("on-hold") }
                        if refusedByLimit { expected.insert("credit-limit") }
                        if refusedByStock { expected.insert("stock-available") }
                        if !expected.isSubset(of: rules) || expected.isEmpty {
                            divergences.append("step \(number): \(code) refused by \(rules.sorted()), the model expects \(expected.sorted())")
                        }
                        outcome = "refused"
                        try await company.invoices.delete(id)
                    }
                case .payment:
                    try await PaymentStore(pool: company.pool).receive(NewPayment(customer: code, amount: amount, date: date))
                    customer.balance -= amount
                case .adjustment:
                    let signed = Bool.random(using: &generator) ? amount : -amount
                    try await adjustments.add(customer: code, amount: signed, date: date)
                    customer.balance += signed
                case .receipt:
                    try await company.stock.post(StockDocument(.receipt(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: quantity)]))
                    stock += quantity
                case .writeOff:
                    do {
                        try await company.stock.post(
                            StockDocument(.writeOff(location: "MAIN"), lines: [StockLine(product: "CABLE", quantity: quantity)]))
                        if quantity > stock { divergences.append("step \(number): wrote off \(quantity) of \(stock)") }
                        stock -= quantity
                    } catch let error as DomainError where error.kind == .ruleViolated {
                        if quantity <= stock {
                            divergences.append("step \(number): write-off of \(quantity) refused with \(stock) on hand: \(error)")
                        }
                        outcome = "refused"
                    }
                case .hold:
                    customer.version = try await company.customers.hold(code)
                    customer.onHold = true
                case .release:
                    customer.version = try await company.customers.release(code)
                    customer.onHold = false
                case .limit:
                    var changes = CustomerChanges()
                    let limit = Decimal(Int.random(in: 0...500, using: &generator))
                    if Bool.random(using: &generator) { changes.set(.creditLimit, limit) } else { changes.clear(.creditLimit) }
                    customer.version = try await company.customers.update(code, version: customer.version, changes: changes)
                    customer.limit = changes.fields["credit_limit"] == .null ? nil : limit
                }
                counts["\(step) \(outcome)", default: 0] += 1
                customers[code] = customer
                // The database, read back, against the model.
                let balance = try await company.customers.balance(code)
                if balance.balance != customer.balance {
                    divergences.append("step \(number) (\(step)): \(code) balance \(balance.balance), model \(customer.balance)")
                }
                if balance.onHold != customer.onHold {
                    divergences.append("step \(number) (\(step)): \(code) on hold \(balance.onHold), model \(customer.onHold)")
                }
                if balance.creditLimit != customer.limit {
                    divergences.append(
                        "step \(number) (\(step)): \(code) limit \(String(describing: balance.creditLimit)), model \(String(describing: customer.limit))"
                    )
                }
                let onHand = try await company.stock.onHand(product: "CABLE", location: "MAIN").first?.quantity ?? 0
                if onHand != stock { divergences.append("step \(number) (\(step)): cable on hand \(onHand), model \(stock)") }
            }
            let connection = try await company.database.connect()
            let problems = try await bookProblems(connection)
            await connection.close()
            #expect(divergences.isEmpty, "seed \(seed) (replay with MODEL_SEED=\(seed)): \(divergences.prefix(5))")
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            #expect((counts["post done"] ?? 0) > 0 && (counts["post refused"] ?? 0) > 0, "\(counts)")
            print(
                "Model check: \(steps) steps, seed \(seed): "
                    + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }
}

import Foundation
import Testing

@testable import PostingPolicy

@Suite("has-lines: a document without lines posts nothing")
struct HasLinesRuleTests {
    @Test("no lines blocks, naming the document; any line count above zero finds nothing", arguments: [0, 1, 7])
    func lines(_ count: Int) {
        let invoice = draft { $0.lineCount = count }
        let findings = HasLinesRule<InvoiceFacts>().evaluate(invoice)
        #expect(findings.map(\.code) == (count == 0 ? ["no-lines"] : []))
        #expect(findings.allSatisfy { $0.severity == .block && $0.message.hasPrefix("\(invoice.reference) has no lines") })
        let note = CreditNoteFacts(
            creditNoteID: 3, reference: "credit note draft 3", invoiceNumber: 9, customer: "ACME", customerCurrency: "EUR", currency: "EUR",
            lineCount: count)
        #expect(HasLinesRule<CreditNoteFacts>().evaluate(note).count == (count == 0 ? 1 : 0), "the same rule guards credit notes")
    }
}

@Suite("stock-available: each line's location has what it takes")
struct StockAvailableRuleTests {
    @Test("each short line is one finding, in line order, with what it needs and what is there", arguments: [0, 1, 3])
    func shortages(_ count: Int) {
        let short = (1...3).prefix(count).reversed().map {
            StockShortage(line: $0, product: "CABLE", location: "MAIN", needed: Decimal($0 * 2), onHand: Decimal($0))
        }
        let decision = PostingPolicy.evaluate(draft { $0.linesShortOfStock = Array(short) }, settings: settings())
        #expect(decision.findings.map(\.code) == Array(repeating: "stock-short", count: count))
        #expect(decision.findings.map { $0.figures["line"] } == (1...3).prefix(count).map(String.init))
        #expect(decision.findings.map { $0.figures["on_hand"] } == (1...3).prefix(count).map(String.init))
        #expect(decision.blockers.count == count)
    }

    @Test("a serial short at the location is named with its product")
    func serial() {
        let finding = StockAvailableRule().evaluate(
            draft { $0.linesShortOfStock = [StockShortage(line: 2, product: "TV", location: "VAN", serial: "SN-1", needed: 1, onHand: 0)] })[0]
        #expect(finding.message == "Line 2 needs 1 of TV serial SN-1 at VAN, which has 0: receive or transfer stock first, or pick another serial.")
    }
}

@Suite("serials-available: a unique serial is sold only where it is in stock")
struct SerialsAvailableRuleTests {
    @Test("each unavailable serial is one finding, by line then serial, saying where it is", arguments: [0, 1, 3])
    func serials(_ count: Int) {
        let serials = ["SN-3", "SN-1", "SN-2"].prefix(count).map {
            UnavailableSerial(line: 1, product: "TV", serial: $0, reason: "in stock at VAN")
        }
        let decision = PostingPolicy.evaluate(draft { $0.unavailableSerials = Array(serials) }, settings: settings())
        #expect(decision.findings.map(\.code) == Array(repeating: "serial-unavailable", count: count))
        #expect(decision.findings.map { $0.figures["serial"] ?? "" } == ["SN-3", "SN-1", "SN-2"].prefix(count).sorted())
        #expect(decision.findings.allSatisfy { $0.message.contains("it is in stock at VAN") && $0.severity == .block })
    }
}

@Suite("conversion-rate: an invoice in another currency needs a rate on its date")
struct ConversionRateRuleTests {
    @Test("without a rate it blocks, naming the pair and the date; with one it finds nothing, and the credit limit waits for it")
    func rate() {
        let missing = MissingRate(from: "USD", to: "EUR", date: "2026-11-02")
        let blocked = PostingPolicy.evaluate(draft(limit: "10") { $0.missingRate = missing }, settings: settings(credit: .block))
        #expect(blocked.findings.map(\.code) == ["conversion-rate-missing"])
        #expect(blocked.findings[0].figures == ["from": "USD", "to": "EUR", "date": "2026-11-02"])
        #expect(blocked.findings[0].message.hasPrefix("There is no conversion rate from USD to EUR valid on 2026-11-02"))
        #expect(ConversionRateRule().evaluate(draft()).isEmpty)
    }
}

@Suite("creditable: a credit note takes back only what its invoice has left")
struct CreditableRuleTests {
    static func note(_ problems: [CreditNoteProblem]) -> CreditNoteFacts {
        CreditNoteFacts(
            creditNoteID: 3, reference: "credit note draft 3", invoiceNumber: 9, customer: "ACME", customerCurrency: "EUR", currency: "EUR",
            problems: problems)
    }

    @Test(
        "each problem is one blocking finding, with its code and what to do",
        arguments: [
            (
                CreditNoteProblem(code: .overQuantity, line: 1, product: "CABLE", invoiceLine: 2, quantity: 5, left: 3), "over-quantity",
                "credit at most that"
            ),
            (
                CreditNoteProblem(code: .overAmount, line: 1, product: "CABLE", invoiceLine: 2, amount: 50, left: 20), "over-amount",
                "lower the amount"
            ),
            (CreditNoteProblem(code: .serialNotSold, line: 2, product: "TV", serial: "SN-9"), "serial-not-sold", "only what it sold comes back"),
            (CreditNoteProblem(code: .serialReturned, line: 2, product: "TV", serial: "SN-1"), "serial-returned", "take it off this credit note"),
            (
                CreditNoteProblem(code: .serialInStock, line: 2, product: "TV", serial: "SN-2", location: "VAN"), "serial-in-stock",
                "is in stock at VAN"
            ),
        ])
    func problems(_ problem: CreditNoteProblem, _ code: String, _ words: String) {
        let decision = CreditNotePolicy.evaluate(Self.note([problem]), settings: settings())
        #expect(decision.findings.map(\.code) == [code])
        #expect(decision.findings[0].severity == .block && decision.findings[0].rule == "creditable")
        #expect(decision.findings[0].message.contains(words), "\(decision.findings[0].message)")
        #expect(decision.findings[0].figures["line"] == String(problem.line))
        #expect(CreditNotePolicy.evaluate(Self.note([]), settings: settings()).findings.isEmpty)
    }
}

import Foundation
import Testing

@testable import PostingPolicy

struct SerialsCase: Sendable, CustomTestStringConvertible {
    var name: String
    var missing: [MissingSerials]
    var lines: [String]
    var testDescription: String { name }
}

@Suite("serials-complete: every serial-tracked line carries its serials")
struct SerialsCompleteRuleTests {
    @Test(
        "each line missing serials is one finding, in line order",
        arguments: [
            SerialsCase(name: "no line missing serials", missing: [], lines: []),
            SerialsCase(name: "one line", missing: [MissingSerials(line: 3, product: "TV55", missing: 2)], lines: ["3"]),
            SerialsCase(
                name: "three lines, given out of order",
                missing: [
                    MissingSerials(line: 7, product: "FRIDGE", missing: 1), MissingSerials(line: 2, product: "TV55", missing: 2),
                    MissingSerials(line: 5, product: "CARPET", missing: money("0.5")),
                ],
                lines: ["2", "5", "7"]),
        ])
    func serials(_ row: SerialsCase) {
        let decision = PostingPolicy.evaluate(draft { $0.linesMissingSerials = row.missing }, settings: settings())
        #expect(decision.findings.map { $0.figures["line"] } == row.lines)
        #expect(decision.findings.allSatisfy { $0.rule == "serials-complete" && $0.code == "serials-missing" && $0.severity == .block })
        #expect(decision.blockers.count == row.missing.count)
    }

    @Test(
        "the finding says how many serials to load on which line, of which product",
        arguments: [
            (MissingSerials(line: 3, product: "TV55", missing: 2), "Load 2 serial numbers on line 3 (TV55).", "2"),
            (MissingSerials(line: 1, product: "TV55", missing: 1), "Load 1 serial number on line 1 (TV55).", "1"),
            (MissingSerials(line: 9, product: "CABLE", missing: money("2.5")), "Load 2.5 serial numbers on line 9 (CABLE).", "2.5"),
        ])
    func message(_ missing: MissingSerials, _ message: String, _ figure: String) {
        let findings = SerialsCompleteRule().evaluate(draft { $0.linesMissingSerials = [missing] })
        #expect(findings.map(\.message) == [message])
        #expect(findings.first?.figures == ["line": String(missing.line), "product": missing.product, "missing": figure])
    }
}

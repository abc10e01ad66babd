import Foundation
import Testing

@testable import PostingPolicy

@Suite("Batches: each customer's earlier invoices that will post add to its exposure")
struct BatchTests {
    private func earlier(_ decisions: [Decision]) -> [String?] {
        decisions.map { $0.findings.first { $0.rule == "credit-limit" }?.figures["earlier_in_batch"] }
    }

    @Test("two customers interleaved: each accumulates only its own invoices, and a refused invoice does not count")
    func interleaved() {
        let batch = [
            draft("A", id: 1, total: "400", limit: "1000"),  // A: 0 + 400          posts
            draft("B", id: 2, total: "900", limit: "1000"),  // B: 0 + 900 (watch)  posts
            draft("A", id: 3, total: "500", limit: "1000"),  // A: 400 + 500 (watch) posts
            draft("A", id: 4, total: "200", limit: "1000"),  // A: 900 + 200 = 1100 refused
            draft("B", id: 5, total: "100.01", limit: "1000"),  // B: 900 + 100.01   refused
            draft("A", id: 6, total: "100", limit: "1000"),  // A: 900 + 100 = 1000 exactly: posts
            draft("B", id: 7, total: "100", limit: "1000"),  // B: 900 + 100 = 1000 exactly: posts
            draft("A", id: 8, total: "0.01", limit: "1000"),  // A: 1000 + 0.01    refused
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [true, true, true, false, false, true, true, false])
        #expect(earlier(decisions) == [nil, "0", "400", "900", "900", "900", "900", "1000"])
        #expect(decisions[7].findings.first?.figures["over"] == "0.01")
    }

    @Test("an invoice refused by another rule does not count toward the customer's later exposure")
    func refusedByAnotherRule() {
        let batch = [
            draft("A", id: 1, total: "600", limit: "1000") { $0.linesMissingSerials = [MissingSerials(line: 1, product: "TV55", missing: 1)] },
            draft("A", id: 2, total: "500", limit: "1000"),
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [false, true])
        #expect(decisions[1].findings.isEmpty, "500 of 1000 is under the watch line: the refused 600 does not count")
    }

    @Test("in warn mode an invoice over the limit still posts, so it counts for the next one")
    func warnedInvoicesCount() {
        let batch = [
            draft("A", id: 1, total: "800", limit: "1000"), draft("A", id: 2, total: "800", limit: "1000"),
            draft("A", id: 3, total: "1", limit: "1000"),
        ]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .warn))
        #expect(decisions.map(\.canPost) == [true, true, true])
        #expect(earlier(decisions) == [nil, "800", "1600"])
        #expect(decisions[1].findings.map(\.severity) == [.warn])
    }

    @Test("the batch works out earlierInBatch itself, whatever the facts say, and keeps the input order")
    func batchSetsEarlier() {
        let batch = [draft("A", id: 1, total: "10", limit: "100") { $0.earlierInBatch = 5000 }, draft("B", id: 2, total: "95", limit: "100")]
        let decisions = PostingPolicy.evaluateBatch(batch, settings: settings(credit: .block))
        #expect(decisions.map(\.canPost) == [true, true])
        #expect(decisions[0].findings.isEmpty)
        #expect(decisions[1].findings.map(\.code) == ["credit-limit-watch"])
    }

    @Test("a batch of one is the invoice on its own; an empty batch has no decisions")
    func oneAndNone() {
        let facts = everythingWrong()
        #expect(PostingPolicy.evaluateBatch([facts], settings: settings()) == [PostingPolicy.evaluate(facts, settings: settings())])
        #expect(PostingPolicy.evaluateBatch([], settings: settings()).isEmpty)
    }
}

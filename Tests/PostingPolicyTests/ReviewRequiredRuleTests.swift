import Foundation
import Testing

@testable import PostingPolicy

struct ReviewCase: Sendable, CustomTestStringConvertible {
    var required: Bool
    var unreviewed: Int
    var blocks: Bool
    var testDescription: String { "review \(required ? "required" : "not required"), \(unreviewed) unreviewed → \(blocks ? "refused" : "posts")" }
}

@Suite("review-required: customer item details confirmed before posting, when the setting asks")
struct ReviewRequiredRuleTests {
    @Test(
        "unreviewed customer items refuse the posting only when review is required",
        arguments: [
            ReviewCase(required: false, unreviewed: 0, blocks: false),
            ReviewCase(required: false, unreviewed: 1, blocks: false),
            ReviewCase(required: false, unreviewed: 5, blocks: false),
            ReviewCase(required: true, unreviewed: 0, blocks: false),
            ReviewCase(required: true, unreviewed: 1, blocks: true),
            ReviewCase(required: true, unreviewed: 5, blocks: true),
        ])
    func review(_ row: ReviewCase) {
        let decision = PostingPolicy.evaluate(
            draft {
                $0.unreviewedItems = row.unreviewed
                $0.itemsToCreate = 5
            }, settings: settings(review: row.required))
        #expect(decision.findings.map(\.code) == (row.blocks ? ["customer-items-unreviewed"] : []))
        #expect(decision.canPost == !row.blocks)
        if row.blocks {
            #expect(decision.findings[0].figures["unreviewed"] == String(row.unreviewed))
            #expect(decision.findings[0].rule == "review-required")
        }
    }

    @Test(
        "the finding says how many items to review",
        arguments: [
            (1, "Review the 1 customer item this invoice will create, then post."),
            (3, "Review the 3 customer items this invoice will create, then post."),
        ])
    func message(_ unreviewed: Int, _ message: String) {
        let findings = ReviewRequiredRule(required: true).evaluate(
            draft {
                $0.unreviewedItems = unreviewed
                $0.itemsToCreate = 3
            })
        #expect(findings.map(\.message) == [message])
    }

    @Test("items to create that are all reviewed do not refuse the posting")
    func reviewedItems() {
        let decision = PostingPolicy.evaluate(draft { $0.itemsToCreate = 4 }, settings: settings(review: true))
        #expect(decision.findings.isEmpty)
    }
}

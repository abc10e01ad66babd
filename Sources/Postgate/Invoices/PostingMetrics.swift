import Metrics
import PostingPolicy

/// Postings and refusals as metrics: invoices posted by mode, and refused postings by the rule
/// that blocked them. They go nowhere unless the process sets up a metrics backend, as
/// `postgate serve` does for `/metrics`.
enum PostingMetrics {
    static func posted(_ count: Int, mode: PostingMode) {
        Counter(label: "postgate_invoices_posted_total", dimensions: [("mode", mode.rawValue)]).increment(by: count)
    }

    static func creditNotePosted() {
        Counter(label: "postgate_credit_notes_posted_total").increment()
    }

    static func refused(_ decisions: [Decision]) {
        for rule in Set(decisions.flatMap { $0.blockers.map(\.rule) }) {
            Counter(label: "postgate_posting_refusals_total", dimensions: [("rule", rule)]).increment()
        }
    }
}

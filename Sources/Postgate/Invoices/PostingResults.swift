import Foundation
import PostingPolicy

/// What a posting did: each invoice's number, and every decision (kept in the posting audit too).
public struct PostingResult: Sendable {
    public var numbers: [Int64: Int64]
    public var decisions: [Int64: Decision]
}

/// A posting the policy refused: nothing was posted. Each blocked invoice's findings say what to do.
public struct PostingRefused: Error, Sendable, CustomStringConvertible {
    public var decisions: [(invoice: String, decision: Decision)]

    public var description: String {
        let blocked = decisions.filter { !$0.decision.canPost }
        return "nothing was posted: "
            + blocked.map { item in
                "\(item.invoice): " + item.decision.blockers.map(\.message).joined(separator: " ")
            }.joined(separator: "; ")
    }
}

/// One invoice of a mass-posting preview.
public struct PreviewItem: Sendable {
    public var invoiceID: Int64
    public var reference: String
    public var customer: String
    public var currency: String
    public var total: Decimal
    public var itemsToCreate: Int
    public var decision: Decision
    /// The draft's version the preview read: the one a confirmation posts.
    public var version: Int

    public init(
        invoiceID: Int64, reference: String, customer: String, currency: String, total: Decimal, itemsToCreate: Int, decision: Decision,
        version: Int = 0
    ) {
        self.invoiceID = invoiceID
        self.reference = reference
        self.customer = customer
        self.currency = currency
        self.total = total
        self.itemsToCreate = itemsToCreate
        self.decision = decision
        self.version = version
    }
}

/// A preview item as `api.save_preview` keeps it: what a confirmation checks, what the summary
/// counts, and the item as shown (its findings left out when there are none).
struct KeptPreviewItem: Codable, Sendable {
    var id: Int64
    var version: Int
    var blocked: Bool
    var warned: Bool
    var itemsToCreate: Int
    var currency: String
    var total: Decimal
    var reference: String
    var customer: String
    var findings: [Finding]?

    init(_ item: PreviewItem) {
        id = item.invoiceID
        version = item.version
        blocked = !item.decision.canPost
        warned = item.decision.findings.contains { $0.severity == .warn }
        itemsToCreate = item.itemsToCreate
        currency = item.currency
        total = item.total
        reference = item.reference
        customer = item.customer
        findings = item.decision.findings.isEmpty ? nil : item.decision.findings
    }

    enum CodingKeys: String, CodingKey {
        case id, version, blocked, warned, currency, total, reference, customer, findings
        case itemsToCreate = "items_to_create"
    }
}

/// A preview in all, whatever its size: the token a confirmation names, how many invoices it
/// holds, how many are blocked and how many (not blocked) have warnings, the customer items they
/// would create, and their totals per currency.
public struct PreviewSummary: Sendable {
    public var token: UUID
    public var invoices: Int
    public var blocked: Int
    public var warned: Int
    public var itemsToCreate: Int
    public var totals: [String: Decimal]

    public init(token: UUID, invoices: Int, blocked: Int, warned: Int, itemsToCreate: Int, totals: [String: Decimal]) {
        self.token = token
        self.invoices = invoices
        self.blocked = blocked
        self.warned = warned
        self.itemsToCreate = itemsToCreate
        self.totals = totals
    }
    /// The selection may be posted only when no invoice in it is blocked.
    public var canPost: Bool { blocked == 0 }
}

/// A mass-posting preview: every invoice's verdict and findings, and the token that pins the
/// exact selection and versions for the confirmation.
/// A draft's verdict as it stands, with the facts behind it (`PostingService.verdicts`).
public struct Verdict: Sendable {
    public var facts: InvoiceFacts
    public var posted: Bool
    /// The invoice's own currency and total.
    public var currency: String
    public var total: Decimal
    public var decision: Decision
}

public struct Preview: Sendable {
    public var token: UUID
    public var items: [PreviewItem]

    public init(token: UUID, items: [PreviewItem]) {
        self.token = token
        self.items = items
    }
    /// The selection may be posted only when no invoice in it is blocked.
    public var canPost: Bool { items.allSatisfy(\.decision.canPost) }
    public var blocked: [PreviewItem] { items.filter { !$0.decision.canPost } }
    public var itemsToCreate: Int { items.reduce(0) { $0 + $1.itemsToCreate } }
    public var totals: [String: Decimal] { items.reduce(into: [:]) { $0[$1.currency, default: 0] += $1.total } }
}

/// What a confirmed mass posting did.
public struct MassPostingResult: Sendable {
    /// The invoices this run posted, kept as runs of consecutive ids: a confirmation of 1,000,000
    /// drafts holds a few ranges, not a million ids.
    public var postedRanges = IDRanges()
    /// The invoices this run posted, in order.
    public var posted: [Int64] { postedRanges.ids }
    public var postedCount: Int { postedRanges.count }
    /// Posted before this run reached them: by an earlier, interrupted run of the same confirmation,
    /// or by another posting meanwhile (`postedElsewhere`).
    public var alreadyPosted: [Int64] = []
    /// Those of `alreadyPosted` that another posting (not this confirmation) posted.
    public var postedElsewhere: [Int64] = []
    public var notPosted: [Int64] = []
    /// Why it stopped before the end, when it did. The chunk it was posting was rolled back whole.
    public var stoppedBecause: String?
    /// It stopped because the database connection broke (the server restarted, say): running the
    /// same confirmation, or the same selection, again posts the rest.
    public var connectionLost = false
}

/// What a confirmation will post, as checked before it starts: the preview's drafts, less those
/// no longer as pinned (posted already, or changed: `skipped`), read a chunk at a time in the
/// preview's order (id order) when they are posted.
struct ConfirmationPlan: Sendable {
    /// The preview's drafts that are not to be posted by this run.
    var skipped: Set<Int64> = []
    /// How many drafts the run will post.
    var remaining = 0
    var result = MassPostingResult()
}

/// Ids kept as runs of consecutive values: as small as the gaps between them.
public struct IDRanges: Sendable, Equatable {
    private var ranges: [ClosedRange<Int64>] = []
    public private(set) var count = 0

    public init() {}

    public mutating func append(_ id: Int64) {
        if let last = ranges.last, last.upperBound &+ 1 == id {
            ranges[ranges.count - 1] = last.lowerBound...id
        } else {
            ranges.append(id...id)
        }
        count += 1
    }

    public mutating func append(contentsOf ids: some Sequence<Int64>) { for id in ids { append(id) } }

    /// Every id, in the order appended.
    public var ids: [Int64] { ranges.flatMap { Array($0) } }
}

/// Why a confirmation was refused before anything was posted.
public struct PreviewOutdated: Error, Sendable, CustomStringConvertible {
    public var changes: [String]
    public var description: String {
        "the selection changed since it was previewed, so nothing was posted: \(changes.prefix(10).joined(separator: "; "))"
            + (changes.count > 10 ? " and \(changes.count - 10) more" : "") + ". Preview again."
    }
}

/// An invoice's facts with what the service needs besides the policy: its version (to detect
/// changes since a preview), total and currency.
struct Candidate: Sendable {
    var facts: InvoiceFacts
    var version: Int
    var posted: Bool
    /// The total in the customer's currency.
    var total: Decimal
    var currency: String
    /// The total in the invoice's own currency.
    var invoiceTotal: Decimal
    var invoiceCurrency: String
}

/// The payment a posting records with it: none, the invoice's total, or an amount.
enum PaymentWithPosting: Equatable, Sendable {
    case none
    case inFull
    case amount(Decimal)

    var amount: Decimal? {
        if case .amount(let amount) = self { return amount }
        return nil
    }
}

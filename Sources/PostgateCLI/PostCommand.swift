import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// The login name the audit records for postings from the command line.
func postingActor() -> String {
    ProcessInfo.processInfo.environment["POSTGATE_ACTOR"] ?? ProcessInfo.processInfo.environment["USER"] ?? "postgate"
}

struct PostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post",
        abstract: "Post draft invoices: by id, or all unposted ones (mass posting with a preview).",
        discussion: """
            postgate post 12 13 posts those drafts together (refused whole if any is blocked).
            postgate post --unposted [filters] previews every matching draft, asks for confirmation (unless --yes),
            and posts exactly what was previewed, in transactions of --chunk invoices.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Draft invoice ids.") var invoices: [Int64] = []
    @Flag(help: "Mass posting: every unposted invoice matching the filters.") var unposted = false
    @OptionGroup var filter: UnpostedOptions
    @Flag(help: "Post without asking, when nothing is blocked (mass posting).") var yes = false
    @Flag(help: "Only preview (the given ids, or the unposted selection); post nothing.") var previewOnly = false
    @Option(help: "Invoices per transaction in a mass posting (default 1000).") var chunk: Int?
    @Flag(help: "With --preview-only: print the preview as JSON (every invoice's verdict and findings).") var json = false

    func validate() throws {
        if unposted != invoices.isEmpty { throw ValidationError("give draft invoice ids, or --unposted for a mass posting (not both)") }
        if let chunk, chunk < 1 { throw ValidationError("--chunk must be at least 1") }
        if !unposted {
            let massOnly = filter.given + (chunk == nil ? [] : ["--chunk"]) + (yes ? ["--yes"] : [])
            if !massOnly.isEmpty {
                throw ValidationError(
                    "\(massOnly.joined(separator: ", ")) \(massOnly.count == 1 ? "applies" : "apply") to a mass posting (--unposted) only: "
                        + "drafts named by id are posted at once, together")
            }
        }
        if previewOnly && yes { throw ValidationError("--preview-only posts nothing, so --yes has nothing to confirm: give one or the other") }
        if previewOnly && chunk != nil {
            throw ValidationError("--preview-only posts nothing, so --chunk has nothing to divide: give one or the other")
        }
        if json && !previewOnly { throw ValidationError("--json prints a preview: give it with --preview-only") }
    }

    func run() async throws {
        try await withPool(connection) { pool in
            let service = PostingService(pool: pool, actor: postingActor())
            if !unposted && !previewOnly {
                let result = try await service.post(invoices)
                for id in invoices {
                    print("Posted draft \(id) as invoice \(result.numbers[id].map(String.init) ?? "?").")
                    if let decision = result.decisions[id] { printFindings(decision) }
                }
                return
            }
            let started = ContinuousClock.now
            if json {
                let ids = unposted ? try await InvoiceStore(pool: pool).unpostedIDs(filter.filter) : invoices
                guard !ids.isEmpty else {
                    print("No unposted invoices match.")
                    return
                }
                try printJSON(PreviewReport(try await service.preview(ids)))
                return
            }
            // The selection is read and evaluated a chunk at a time, and the verdicts stay with the
            // preview in the database; what is printed is read back.
            let preview = unposted ? try await service.previewSummary(filter.filter) : try await service.previewSummary(invoices)
            guard preview.invoices > 0 else {
                print("No unposted invoices match.")
                return
            }
            let previewTime = ContinuousClock.now - started
            try await printPreview(preview, took: previewTime, service: service)
            if previewOnly { return }
            guard preview.canPost else {
                throw Failure(
                    "\(preview.blocked) of the selected invoices are blocked, so the selection cannot be posted: fix them or narrow the selection (see the reasons above)"
                )
            }
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw Failure(
                        "nothing was posted: without a terminal to confirm at, pass --yes to post the \(preview.invoices) invoices previewed above",
                        code: 2)
                }
                print("Post these \(preview.invoices) invoices? Type yes to confirm: ", terminator: "")
                guard readLine()?.lowercased() == "yes" else {
                    print("Nothing was posted.")
                    return
                }
            }
            let postingStarted = ContinuousClock.now
            let bar = ProgressBar()
            let result = try await service.confirm(preview.token, chunkSize: chunk ?? 1000) { done, total in bar.show(done, total) }
            bar.finish()
            let postingTime = ContinuousClock.now - postingStarted
            let byEarlierRun = result.alreadyPosted.count - result.postedElsewhere.count
            let earlier =
                (byEarlierRun == 0 ? "" : "; \(byEarlierRun) were posted by an earlier run")
                + (result.postedElsewhere.isEmpty ? "" : "; \(result.postedElsewhere.count) were already posted by another posting")
            guard let reason = result.stoppedBecause else {
                print(
                    "Posted \(result.posted.count) invoices in \(postingTime.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))\(earlier)."
                )
                return
            }
            let total = result.posted.count + result.notPosted.count + result.postedElsewhere.count
            let next =
                result.connectionLost
                ? "Run the same command again once the database is back: it posts the rest."
                : "Fix what changed and run the same command again: it previews and posts the rest."
            throw Failure(
                "the mass posting stopped: \(result.posted.count) of \(total) invoices were posted\(earlier), "
                    + "\(result.notPosted.count) were not, because \(reason). \(next)")
        }
    }

    /// The counts and totals, then the invoices with findings (blocked or warned), at most 50,
    /// read back from the preview kept in the database.
    func printPreview(_ preview: PreviewSummary, took: Duration, service: PostingService) async throws {
        print(
            "Preview of \(preview.invoices) invoices (\(took.formatted(.units(allowed: [.seconds, .milliseconds], width: .abbreviated)))): \(preview.invoices - preview.blocked) can be posted, \(preview.blocked) blocked, \(preview.warned) with warnings; \(preview.itemsToCreate) customer items will be created."
        )
        for (currency, total) in preview.totals.sorted(by: { $0.key < $1.key }) { print("  total \(total.money) \(currency)") }
        let shown = try await service.previewPage(preview.token, limit: 50, which: .findings)
        for (_, item) in shown {
            print(
                "\(item.reference) (\(item.customer), \(item.total.money) \(item.currency)): \(item.decision.canPost ? "can be posted" : "BLOCKED")")
            printFindings(item.decision, indent: "    ")
        }
        // What each kind of blocker asks for, once, from the rules' own table.
        let blocking = Set(shown.flatMap { $0.1.decision.blockers.compactMap(\.ruleID) })
        for rule in RuleID.allCases where blocking.contains(rule) { print("To do: \(rule.whatToDo).") }
        let withFindings = preview.blocked + preview.warned
        if withFindings > shown.count {
            print(
                "… and \(withFindings - shown.count) more with findings (\(CommandLineText.command("post", "--unposted --preview-only")) on a narrower selection)."
            )
        }
    }
}

/// A preview for scripts: whether the selection can be posted, and each invoice's verdict.
struct PreviewReport: Encodable {
    struct Item: Encodable {
        var invoiceId: Int64
        var reference: String
        var customer: String
        var currency: String
        var total: String
        var canPost: Bool
        var itemsToCreate: Int
        var findings: [Finding]
    }
    var token: String
    var canPost: Bool
    var itemsToCreate: Int
    var totals: [String: String]
    var invoices: [Item]

    init(_ preview: Preview) {
        token = preview.token.uuidString.lowercased()
        canPost = preview.canPost
        itemsToCreate = preview.itemsToCreate
        totals = preview.totals.mapValues(\.description)
        invoices = preview.items.map {
            Item(
                invoiceId: $0.invoiceID, reference: $0.reference, customer: $0.customer, currency: $0.currency, total: $0.total.description,
                canPost: $0.decision.canPost, itemsToCreate: $0.itemsToCreate, findings: $0.decision.findings)
        }
    }
}

import Foundation
import Postgres
import PostingPolicy

extension PostingService {

    /// Evaluates a selection without posting: every invoice's verdict and findings, and a token
    /// that pins the selection for `confirm`. Holds every item; a selection of any size is
    /// previewed in flat memory by `previewSummary` and read back with `previewPage`.
    public func preview(_ ids: [Int64]) async throws -> Preview {
        var items: [PreviewItem] = []
        let token = try await savePreview(ids) { items += $0 }
        return Preview(token: token, items: items)
    }

    /// Evaluates a selection without posting, a chunk at a time, keeping each invoice's verdict
    /// with the preview in the database: what it returns is the counts and totals, whatever the
    /// size. `previewPage` reads the invoices back (the blocked ones, or all).
    public func previewSummary(_ ids: [Int64], chunkSize: Int = PostingService.previewChunk) async throws -> PreviewSummary {
        let token = try await savePreview(ids, chunkSize: chunkSize) { _ in }
        return try await summary(of: token)
    }

    /// A preview's counts and totals, as kept.
    public func summary(of token: UUID) async throws -> PreviewSummary {
        try await domainErrors {
            let row = try await pool.query("SELECT * FROM api.preview_summary(\(token))")[0]
            let totals = try row.decode("totals", as: PostgresJSON<[String: Decimal]>.self).value
            return PreviewSummary(
                token: token, invoices: try row.decode("invoices"), blocked: try row.decode("blocked"), warned: try row.decode("warned"),
                itemsToCreate: try row.decode("items_to_create"), totals: totals)
        }
    }

    /// Which of a preview's invoices a page lists.
    public enum PreviewPageFilter: String, Sendable {
        case all
        case blocked
        /// Blocked, or warned.
        case findings
    }

    /// Up to `limit` of a preview's invoices after position `after` (0: from the start), as the
    /// preview showed them, with the position of each.
    public func previewPage(
        _ token: UUID, after: Int = 0, limit: Int = 100, which: PreviewPageFilter = .all
    ) async throws -> [(
        position: Int, item: PreviewItem
    )] {
        try await domainErrors {
            try await pool.query(
                "SELECT * FROM api.preview_page(\(token), \(Int32(clamping: after)), \(Int32(clamping: limit)), \(which.rawValue))"
            ).map { row in
                let item = PreviewItem(
                    invoiceID: try row.decode("invoice_id"), reference: try row.decode("reference"), customer: try row.decode("customer"),
                    currency: try row.decode("currency"), total: try row.decode("total"), itemsToCreate: try row.decode("items_to_create"),
                    decision: Decision(findings: try row.decode("findings", as: PostgresJSON<[Finding]>.self).value),
                    version: try row.decode("version"))
                return (try row.decode("k", as: Int.self), item)
            }
        }
    }

    /// The invoices a preview evaluates at a time: their facts, verdicts and items, and no more,
    /// are in memory at once.
    public static let previewChunk = 5_000

    /// Evaluates the selection in id order (the order a confirmation posts it), a chunk at a
    /// time, carrying each customer's running total from chunk to chunk, and saves each chunk's
    /// verdicts under a new token before handing its items to `each`.
    func savePreview(_ selection: [Int64], chunkSize: Int = PostingService.previewChunk, each: ([PreviewItem]) -> Void) async throws -> UUID {
        // In id order, each once: the order a confirmation posts in.
        var sorted = selection.sorted()
        var kept = 0
        for id in sorted where kept == 0 || sorted[kept - 1] != id {
            sorted[kept] = id
            kept += 1
        }
        sorted.removeLast(sorted.count - kept)
        let ids = sorted
        let size = max(chunkSize, 1)
        return try await savePreview(
            each: each,
            next: { _, after in
                // The first id above `after` (a binary search: the ids are sorted and unique).
                var low = 0
                var high = ids.count
                while low < high {
                    let middle = (low + high) / 2
                    if ids[middle] <= after { low = middle + 1 } else { high = middle }
                }
                return Array(ids[low..<min(low + size, ids.count)])
            })
    }

    /// Evaluates every draft `filter` selects, reading their ids a chunk at a time: what the
    /// preview holds at once is one chunk, whatever the size of the selection.
    public func previewSummary(_ filter: UnpostedFilter, chunkSize: Int = PostingService.previewChunk) async throws -> PreviewSummary {
        let size = Int32(clamping: max(min(chunkSize, 100_000), 1))
        let token = try await savePreview(
            each: { _ in },
            next: { connection, after in
                try await connection.query(
                    """
                    SELECT invoice_id FROM api.unposted_ids(\(filter.customer), \(filter.from), \(filter.to), \(filter.minimumTotal), \(filter.maximumTotal), \(after), \(size))
                    """
                ).map { try $0.decode(0, as: Int64.self) }
            })
        return try await summary(of: token)
    }

    /// One chunk of a preview as read, not yet decoded: the last id in it, the settings' and
    /// the facts' rows.
    private struct ReadChunk: Sendable {
        var last: Int64
        var settings: PostgresResult
        var facts: PostgresResult
    }

    /// The preview's loop: `next` gives the ids after the last one evaluated (0 at first), in
    /// order, empty at the end. When the pool has a second connection free, the next chunk is
    /// read on it while this one is evaluated and saved, so the database computes facts while
    /// the service decides; without one, chunk after chunk on the one connection.
    private func savePreview(
        each: ([PreviewItem]) -> Void, next: @escaping @Sendable (PostgresConnection, Int64) async throws -> [Int64]
    ) async throws -> UUID {
        try await domainErrors {
            try await pool.withConnection { connection in
                try await pool.withSpareConnection { spare in
                    let reader = spare ?? connection
                    // The reader only fetches; the rows are decoded on the loop's side, so that the
                    // database's work for the next chunk and the service's for this one overlap whole.
                    let read: @Sendable (Int64) async throws -> ReadChunk? = { after in
                        let chunk = try await next(reader, after)
                        guard let last = chunk.last else { return nil }
                        let outcomes = try await reader.pipeline([Self.settingsQuery, Self.factsQuery(chunk, locking: false)])
                        return ReadChunk(last: last, settings: try outcomes[0].get(), facts: try outcomes[1].get())
                    }
                    let token = UUID()
                    var evaluation: PostingPolicy.BatchEvaluation?
                    var saved = false
                    var current = try await read(0)
                    while let chunk = current {
                        let ahead = spare == nil ? nil : Task { try await read(chunk.last) }
                        do {
                            let candidates = try Self.facts(from: chunk.facts, for: .mass)
                            if evaluation == nil { evaluation = PostingPolicy.BatchEvaluation(settings: try Self.settings(from: chunk.settings)) }
                            let decisions = evaluation!.evaluate(candidates.map(\.facts))
                            let items = zip(candidates, decisions).map { candidate, decision in
                                PreviewItem(
                                    invoiceID: candidate.facts.invoiceID, reference: candidate.facts.reference, customer: candidate.facts.customer,
                                    currency: candidate.currency, total: candidate.total, itemsToCreate: candidate.facts.itemsToCreate,
                                    decision: decision, version: candidate.version)
                            }
                            try await connection.query("SELECT api.save_preview(\(token), \(PostgresJSON(items.map(KeptPreviewItem.init))))")
                            saved = true
                            each(items)
                        } catch {
                            // The read ahead finishes before its connection goes back to the pool.
                            _ = try? await ahead?.value
                            throw error
                        }
                        if let ahead { current = try await ahead.value } else { current = try await read(chunk.last) }
                    }
                    // An empty selection is an empty preview, under its token all the same.
                    if !saved { try await connection.query("SELECT api.save_preview(\(token), '[]'::jsonb)") }
                    return token
                }
            }
        }
    }

    /// What the posting rules say of drafts now, as `mode` would post them, with the facts they
    /// read: nothing is saved and nothing locked. The operator console's icons and reasons.
    public func verdicts(_ ids: [Int64], as mode: PostingMode = .mass) async throws -> [Verdict] {
        guard !ids.isEmpty else { return [] }
        return try await domainErrors {
            try await pool.withConnection { connection in
                let (settings, candidates) = try await Self.settingsAndFacts(ids, for: mode, locking: false, on: connection)
                let decisions = PostingPolicy.evaluateBatch(candidates.map(\.facts), settings: settings)
                return zip(candidates, decisions).map { candidate, decision in
                    Verdict(
                        facts: candidate.facts, posted: candidate.posted, currency: candidate.invoiceCurrency, total: candidate.invoiceTotal,
                        decision: decision)
                }
            }
        }
    }

    /// Posts exactly what a preview showed, in transactions of at most `chunkSize` invoices.
    /// Refused before the first chunk if anything changed since the preview; a change that slips
    /// in between chunks stops the run, and the result says which invoices were posted and which
    /// not. Running the same confirmation again after an interruption skips what was posted.
    public func confirm(_ token: UUID, chunkSize: Int = 1000, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> MassPostingResult
    {
        try await pool.withConnection { connection in
            try await confirm(token, on: connection, chunkSize: chunkSize, progress: progress)
        }
    }

    /// What a confirmation of `token` will post, checked against the database before anything
    /// is posted and without locking: refused (`PreviewOutdated`, naming each change) when a draft
    /// was edited or deleted, or a customer of its drafts put on hold for invoices or given new
    /// terms, since the preview; refused (`DomainError`) when the preview showed blocked drafts.
    /// Drafts posted already (by an earlier run of this confirmation, or by another posting) are
    /// counted as such, not as changes.
    func plan(_ token: UUID, on connection: PostgresConnection) async throws -> ConfirmationPlan {
        try await domainErrors {
            let blocked = try await connection.query("SELECT api.preview_blocked(\(token))")[0].decode(0, as: Int.self)
            if blocked > 0 {
                throw DomainError(
                    kind: .ruleViolated, field: "token",
                    message: "the preview showed \(blocked) blocked invoices, so its selection cannot be posted as a whole",
                    hint: "Fix what their findings say and preview again, or preview only the invoices that may be posted.")
            }
            // Only the drafts no longer as pinned are read whole; the rest of the selection is
            // read as ids, a page at a time.
            var plan = ConfirmationPlan()
            var changes: [String] = []
            var deleted: [Int64] = []
            var skipped = Set<Int64>()
            for row in try await connection.query("SELECT * FROM api.preview_exceptions(\(token))") {
                let id: Int64 = try row.decode("invoice_id")
                skipped.insert(id)
                guard try row.decode("status", as: InvoiceStatus?.self) != nil else {
                    deleted.append(id)
                    continue
                }
                if try row.decode("posted_here", as: Bool.self) {
                    plan.result.alreadyPosted.append(id)
                } else if try row.decode("edited", as: Bool.self) {
                    changes.append("\(try row.decode("name", as: String.self)) was edited")
                } else {
                    // Another posting took it: it is posted, which is what was asked.
                    plan.result.alreadyPosted.append(id)
                    plan.result.postedElsewhere.append(id)
                }
            }
            plan.skipped = skipped
            plan.remaining =
                try await connection.query("SELECT invoices FROM api.preview_summary(\(token))")[0].decode(0, as: Int.self) - skipped.count
            changes += try await connection.query("SELECT change FROM api.preview_changes(\(token))").map { try $0.decode(0, as: String.self) }
            guard changes.isEmpty else { throw PreviewOutdated(changes: changes) }
            return plan
        }
    }

    /// The versions a preview pinned for a chunk of its invoices.
    static func pinnedVersions(_ token: UUID, _ ids: [Int64], on connection: PostgresConnection) async throws -> [Int64: Int] {
        var versions: [Int64: Int] = [:]
        for row in try await connection.query("SELECT invoice_id, version FROM api.preview_pinned(\(token), \(ids))") {
            versions[try row.decode("invoice_id", as: Int64.self)] = try row.decode("version", as: Int.self)
        }
        return versions
    }

    /// Confirms on a connection of the caller's, from its `plan` when the caller made it just
    /// before; `stop` is asked between chunks, and when it says so the run ends there, resumable
    /// (the result says why). The steps: plan (refused when anything changed), then page by page
    /// through the kept preview: post the page's drafts in one transaction, or stop and list what
    /// is left.
    func confirm(
        _ token: UUID, on connection: PostgresConnection, plan made: ConfirmationPlan? = nil, chunkSize: Int,
        stop: @Sendable () -> String? = { nil }, progress: @Sendable (Int, Int) -> Void
    ) async throws -> MassPostingResult {
        try await domainErrors {
            let plan: ConfirmationPlan
            if let made { plan = made } else { plan = try await self.plan(token, on: connection) }
            let preview = KeptPreview(token: token, skipped: plan.skipped)
            var result = plan.result
            var done = 0
            progress(0, plan.remaining)
            var after: Int32 = 0
            while true {
                if let reason = stop() {
                    result.stoppedBecause = reason
                    result.notPosted = try await preview.rest(after: after, on: connection)
                    return result
                }
                let page = try await preview.page(after: after, limit: max(chunkSize, 1), on: connection)
                guard let last = page.last else { return result }
                let start = after
                after = last
                if page.ids.isEmpty { continue }
                switch try await postChunk(token, page.ids, on: connection) {
                case .posted(let postedMeanwhile):
                    result.alreadyPosted += postedMeanwhile
                    result.postedElsewhere += postedMeanwhile
                    result.postedRanges.append(contentsOf: page.ids.filter { !postedMeanwhile.contains($0) })
                    done += page.ids.count
                    progress(done, plan.remaining)
                case .stopped(let reason, let connectionLost):
                    // The chunk was rolled back whole: it is not posted, nor is anything after it
                    // (read on another connection when this one broke).
                    result.stoppedBecause = reason
                    result.connectionLost = connectionLost
                    result.notPosted =
                        connectionLost
                        ? ((try? await pool.withConnection { try await preview.rest(after: start, on: $0) }) ?? page.ids)
                        : try await preview.rest(after: start, on: connection)
                    return result
                }
            }
        }
    }

    /// How one chunk of a confirmation ended.
    enum ChunkOutcome {
        /// Posted; the drafts another posting took meanwhile are listed (they count as posted).
        case posted(meanwhile: [Int64])
        /// Rolled back whole, and the run stops: why, and whether the connection was lost.
        case stopped(because: String, connectionLost: Bool)
    }

    /// Posts one chunk of a preview's drafts in one transaction, with the facts read under locks:
    /// stopped when a draft changed since the preview or the rules now block one.
    func postChunk(_ token: UUID, _ chunk: [Int64], on connection: PostgresConnection) async throws -> ChunkOutcome {
        do {
            return .posted(
                meanwhile: try await connection.withTransaction { connection in
                    let (settings, all) = try await Self.settingsAndFacts(chunk, for: .mass, locking: true, on: connection)
                    let versions = try await Self.pinnedVersions(token, chunk, on: connection)
                    // Drafts another posting took since the run began are posted: skipped, not changes.
                    let candidates = all.filter { !$0.posted }
                    let facts = candidates.map(\.facts)
                    let changed = candidates.filter { $0.version != versions[$0.facts.invoiceID] }
                    if !changed.isEmpty || all.count != chunk.count {
                        throw PreviewOutdated(
                            changes: changed.map { "\($0.facts.draftName) was edited" }
                                + (all.count != chunk.count ? ["\(chunk.count - all.count) drafts were deleted"] : []))
                    }
                    let decisions = PostingPolicy.evaluateBatch(facts, settings: settings)
                    guard decisions.allSatisfy(\.canPost) else {
                        PostingMetrics.refused(decisions)
                        throw PostingRefused(decisions: zip(facts, decisions).map { ($0.draftName, $1) })
                    }
                    if !facts.isEmpty { _ = try await Self.post(facts, decisions, mode: .mass, actor: actor, batch: token, on: connection) }
                    return all.filter(\.posted).map(\.facts.invoiceID)
                })
        } catch let error as PreviewOutdated {
            return .stopped(
                because: "these drafts changed since the preview: " + error.changes.prefix(10).joined(separator: "; ")
                    + (error.changes.count > 10 ? " and \(error.changes.count - 10) more" : ""), connectionLost: false)
        } catch let error as PostingRefused {
            return .stopped(
                because: "the posting rules now block "
                    + error.decisions.filter { !$0.decision.canPost }.prefix(10).map { item in
                        "\(item.invoice) (" + item.decision.blockers.map(\.message).joined(separator: " ") + ")"
                    }.joined(separator: "; "), connectionLost: false)
        } catch let error as PostgresError where error.breaksConnection {
            return .stopped(because: "the connection to the database was lost (\(error.message))", connectionLost: true)
        }
    }
}

/// A preview kept in the database, read in its order a page at a time, leaving out the drafts
/// the confirmation's plan skips.
struct KeptPreview: Sendable {
    let token: UUID
    let skipped: Set<Int64>

    /// The drafts to post after position `after` of the preview, from at most `limit` positions of
    /// it, and the last position read (nil: the preview is read to its end).
    func page(after: Int32, limit: Int, on connection: PostgresConnection) async throws -> (ids: [Int64], last: Int32?) {
        let rows = try await connection.query("SELECT k, invoice_id FROM api.preview_next(\(token), \(after), \(Int32(clamping: limit)))")
        return (try rows.map { try $0.decode("invoice_id", as: Int64.self) }.filter { !skipped.contains($0) }, try rows.last?.decode("k"))
    }

    /// Every draft left from position `after` on: what a stopped run did not post.
    func rest(after start: Int32, on connection: PostgresConnection) async throws -> [Int64] {
        var ids: [Int64] = []
        var after = start
        while true {
            let page = try await page(after: after, limit: 10_000, on: connection)
            guard let last = page.last else { return ids }
            ids += page.ids
            after = last
        }
    }
}

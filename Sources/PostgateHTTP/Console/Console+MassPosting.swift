import Foundation
import Hummingbird
import Mustache
import Postgate
import Postgres
import PostingPolicy

// The unposted invoices, their preview and the posting run: mass posting in the console.
extension Console {
    /// The invoices to post: the list, a preview, its confirmation and the run it starts.
    func registerMassPosting<Context: RequestContext>(on router: Router<Context>) {
        router.get("console/invoices") { request, _ in await page(request) { try await invoicesPage(request, $0) } }
        router.post("console/preview") { request, _ in await action(request, needs: .edit) { try await preview($0, $1) } }
        router.get("console/previews/{token}") { request, context in
            await page(request) { try await previewPage(context.parameters.get("token") ?? "", $0) }
        }
        router.post("console/previews/{token}/confirm") { request, context in
            await action(request, needs: .post) { user, _ in try await confirm(context.parameters.get("token") ?? "", user) }
        }
        router.get("console/runs/{token}") { request, context in await page(request) { try await runPage(context.parameters.get("token") ?? "", $0) }
        }
        router.get("console/runs/{token}/progress") { request, context in
            await page(request) { _ in try await runProgress(context.parameters.get("token") ?? "") }
        }
    }

    /// Above this many matching drafts, the list evaluates the rules for the page shown only (the
    /// preview evaluates the whole selection anyway); the "blocked only" filter evaluates all.
    static let evaluateAllUpTo = 5_000

    /// Why a selected invoice stops **Post**, grouped the way an operator fixes them.
    struct Reason: Sendable, Hashable {
        var code: String
        /// What it is and what to do.
        var text: String
    }

    static func reasons(_ decision: Decision) -> [Reason] {
        var seen = Set<String>()
        return decision.blockers.compactMap { finding in
            let reason =
                finding.ruleID.map { Reason(code: $0.label, text: $0.whatToDo) }
                ?? Reason(code: finding.rule, text: "Refused by rule \(finding.rule): open the invoice")
            return seen.insert(reason.code).inserted ? reason : nil
        }
    }

    // MARK: The list

    struct Filter: Sendable {
        var customer: String?
        var from: String?
        var to: String?
        var minTotal: String?
        var maxTotal: String?
        var blockedOnly: Bool
        var sort: String
        var descending: Bool
        var page: Int
        var perPage: Int

        init(_ form: ConsoleForm) {
            customer = form["customer"]
            from = form["from"]
            to = form["to"]
            minTotal = form["min_total"]
            maxTotal = form["max_total"]
            blockedOnly = form["blocked"] == "1"
            sort = ["date", "customer", "total", "reference", "id"].contains(form["sort"] ?? "") ? form["sort"]! : "date"
            descending = form["dir"] == "desc"
            page = max(1, Int(form["page"] ?? "") ?? 1)
            perPage = [25, 100, 500, 1000].contains(Int(form["per"] ?? "") ?? 0) ? Int(form["per"]!)! : 100
        }

        /// The filter as the store takes it; a malformed field is refused by name.
        func unposted() throws -> UnpostedFilter {
            func date(_ text: String?, _ field: String, _ label: String) throws -> LocalDate? {
                guard let text else { return nil }
                guard let date = LocalDate(text) else { throw ConsoleInputError(field: label, message: "write a date as YYYY-MM-DD, not '\(text)'") }
                return date
            }
            func amount(_ text: String?, _ label: String) throws -> Decimal? {
                guard let text else { return nil }
                guard let value = Decimal(decimalLiteral: text.replacingOccurrences(of: ",", with: "")) else {
                    throw ConsoleInputError(field: label, message: "write an amount such as 250 or 1999.90, not '\(text)'")
                }
                return value
            }
            return UnpostedFilter(
                customer: customer, from: try date(from, "from", "From date"), to: try date(to, "to", "To date"),
                minimumTotal: try amount(minTotal, "Total from"), maximumTotal: try amount(maxTotal, "Total to"))
        }

        /// The filter's fields as query items (for links) and hidden inputs (for the post form).
        var fields: [Field] {
            [
                ("customer", customer), ("from", from), ("to", to), ("min_total", minTotal), ("max_total", maxTotal),
                ("blocked", blockedOnly ? "1" : nil),
            ]
            .compactMap { name, value in value.map { Field(name: name, value: $0) } }
        }

        func link(sort: String? = nil, descending: Bool? = nil, page: Int? = nil) -> String {
            var items = fields.map { "\($0.name)=\(ConsoleFormat.query($0.value))" }
            items.append("sort=\(sort ?? self.sort)")
            if descending ?? self.descending { items.append("dir=desc") }
            if perPage != 100 { items.append("per=\(perPage)") }
            if let page = page ?? (self.page > 1 ? self.page : nil), page > 1 { items.append("page=\(page)") }
            return "/console/invoices?" + items.joined(separator: "&")
        }
    }

    struct Field: Sendable {
        var name: String
        var value: String
    }

    struct Row: Sendable, MustacheParent {
        var id: Int64
        var reference: String
        var customer: String
        var customerPath: String
        var date: String
        var currency: String
        var total: String
        var totalValue: String
        var lines: Int
        var itemsToCreate: Int
        /// Customer items: `reviewed`, `unreviewed` (review required and not done), or none.
        var itemsState: String?
        var itemsLabel: String
        var reviewLabel: String
        /// Serials: `complete`, `missing` or `unavailable`, or none when no line tracks serials.
        var serialState: String?
        var serialLabel: String
        var evaluated: Bool
        var blocked: Bool
        var reasons: [Reason]
        var reasonCodes: String
        var findings: String
        /// Whether the reader may tick it (a reader's token may not post).
        var canSelect = false

        /// The fields by name, without reflection: the list renders up to 1,000 rows of twenty.
        func child(named name: String) -> Any? {
            switch name {
            case "id": id
            case "reference": reference
            case "customer": customer
            case "customerPath": customerPath
            case "date": date
            case "currency": currency
            case "total": total
            case "totalValue": totalValue
            case "lines": lines
            case "itemsToCreate": itemsToCreate
            case "itemsState": itemsState as Any?
            case "itemsLabel": itemsLabel
            case "reviewLabel": reviewLabel
            case "serialState": serialState as Any?
            case "serialLabel": serialLabel
            case "evaluated": evaluated
            case "blocked": blocked
            case "reasons": reasons
            case "reasonCodes": reasonCodes
            case "findings": findings
            case "canSelect": canSelect
            default: nil
            }
        }
    }

    struct Column: Sendable {
        var label: String
        var href: String
        var ariaSort: String
        var arrow: String
        var numeric: Bool
    }

    struct Total: Sendable {
        var currency: String
        var total: String
    }

    struct ReasonCount: Sendable {
        var code: String
        var count: Int
        var text: String
    }

    struct InvoicesPage: Sendable {
        var chrome: Chrome
        var filter: Filter
        var error: String?
        var rows: [Row]
        var columns: [Column]
        var matching: Int
        var range: String
        var previous: String?
        var next: String?
        var allTotals: [Total]
        var allReasons: [ReasonCount]
        var allBlocked: Int
        var allEvaluated: Bool
        var hidden: [Field]
        var perOptions: [PerOption]
        var labels: [Reason]
        var canSelect: Bool
    }

    struct PerOption: Sendable {
        var value: Int
        var selected: Bool
    }

    func invoicesPage(_ request: Request, _ user: User) async throws -> Response {
        let form = ConsoleForm.query(of: request)
        var filter = Filter(form)
        var error: String?
        var drafts: [UnpostedInvoice] = []
        do {
            drafts = try await InvoiceStore(pool: pool).unposted(try filter.unposted())
        } catch let input as ConsoleInputError {
            error = Self.describe(input)
        }
        let service = PostingService(pool: pool, actor: user.token.name)
        var verdicts: [Int64: Verdict] = [:]
        let evaluateAll = drafts.count <= Self.evaluateAllUpTo || filter.blockedOnly
        if evaluateAll {
            for verdict in try await service.verdicts(drafts.map(\.invoiceID)) { verdicts[verdict.facts.invoiceID] = verdict }
            if filter.blockedOnly { drafts = drafts.filter { verdicts[$0.invoiceID]?.decision.canPost == false } }
        }
        drafts.sort { a, b in
            let ordered: Bool
            switch filter.sort {
            case "customer": ordered = (a.customer, a.invoiceID) < (b.customer, b.invoiceID)
            case "total": ordered = a.total == b.total ? a.invoiceID < b.invoiceID : a.total < b.total
            case "reference": ordered = (a.reference, a.invoiceID) < (b.reference, b.invoiceID)
            case "id": ordered = a.invoiceID < b.invoiceID
            default: ordered = (a.date, a.invoiceID) < (b.date, b.invoiceID)
            }
            return filter.descending ? !ordered : ordered
        }
        let pages = max(1, (drafts.count + filter.perPage - 1) / filter.perPage)
        filter.page = min(filter.page, pages)
        let shown = Array(drafts.dropFirst((filter.page - 1) * filter.perPage).prefix(filter.perPage))
        if !evaluateAll {
            for verdict in try await service.verdicts(shown.map(\.invoiceID)) { verdicts[verdict.facts.invoiceID] = verdict }
        }
        let rows = shown.map {
            var row = Self.row($0, verdicts[$0.invoiceID])
            row.canSelect = user.canEdit
            return row
        }

        var totals: [String: Decimal] = [:]
        for draft in drafts { totals[draft.currency, default: 0] += draft.total }
        var reasonCounts: [Reason: Int] = [:]
        var blocked = 0
        if evaluateAll {
            for draft in drafts {
                guard let verdict = verdicts[draft.invoiceID], !verdict.decision.canPost else { continue }
                blocked += 1
                for reason in Self.reasons(verdict.decision) { reasonCounts[reason, default: 0] += 1 }
            }
        }
        var labels = Set<Reason>()
        for row in rows { labels.formUnion(row.reasons) }
        labels.formUnion(reasonCounts.keys)

        let columns = [
            ("Invoice", "id", true), ("Reference", "reference", false), ("Customer", "customer", false), ("Date", "date", false),
            ("Total", "total", true),
        ].map {
            label, key, numeric in
            let active = filter.sort == key
            return Column(
                label: label, href: filter.link(sort: key, descending: active ? !filter.descending : false, page: 1),
                ariaSort: active ? (filter.descending ? "descending" : "ascending") : "none", arrow: active ? (filter.descending ? "▼" : "▲") : "",
                numeric: numeric)
        }
        let first = drafts.isEmpty ? 0 : (filter.page - 1) * filter.perPage + 1
        let model = InvoicesPage(
            chrome: user.chrome("Unposted invoices", flash: await sessions.takeFlash(user.session.id)), filter: filter, error: error, rows: rows,
            columns: columns, matching: drafts.count,
            range: drafts.isEmpty ? "no invoices" : "\(first)–\(first + shown.count - 1) of \(drafts.count)",
            previous: filter.page > 1 ? filter.link(page: filter.page - 1) : nil,
            next: filter.page < pages ? filter.link(page: filter.page + 1) : nil,
            allTotals: totals.sorted { $0.key < $1.key }.map { Total(currency: $0.key, total: ConsoleFormat.money($0.value)) },
            allReasons: reasonCounts.sorted { $0.key.code < $1.key.code }.map { ReasonCount(code: $0.key.code, count: $0.value, text: $0.key.text) },
            allBlocked: blocked, allEvaluated: evaluateAll, hidden: filter.fields,
            perOptions: [25, 100, 500, 1000].map { PerOption(value: $0, selected: $0 == filter.perPage) },
            labels: labels.sorted { $0.code < $1.code }, canSelect: user.canEdit)
        return render("invoices", model)
    }

    static func row(_ draft: UnpostedInvoice, _ verdict: Verdict?) -> Row {
        let reasons = verdict.map { Self.reasons($0.decision) } ?? []
        var itemsState: String?
        var itemsLabel = ""
        if let facts = verdict?.facts, facts.itemsToCreate > 0 {
            let unreviewed = verdict?.decision.blockers.contains { $0.ruleID == .reviewRequired } ?? false
            itemsState = unreviewed ? "unreviewed" : "reviewed"
            itemsLabel =
                "Creates \(facts.itemsToCreate) customer item\(facts.itemsToCreate == 1 ? "" : "s")"
                + (unreviewed ? "; \(facts.unreviewedItems) to review" : facts.unreviewedItems == 0 ? ", reviewed" : "")
        }
        var serialState: String?
        var serialLabel = ""
        if let facts = verdict?.facts {
            let missing = facts.linesMissingSerials.reduce(Decimal(0)) { $0 + $1.missing }
            if missing > 0 {
                serialState = "missing"
                serialLabel = "\(missing) serial number\(missing == 1 ? "" : "s") missing"
            } else if !facts.unavailableSerials.isEmpty {
                serialState = "unavailable"
                serialLabel = "Serial \(facts.unavailableSerials[0].serial) is not available"
            } else if draft.serialLines > 0 {
                serialState = "complete"
                serialLabel = "Serial numbers complete"
            }
        } else if draft.serialLines > 0 {
            serialState = "unknown"
            serialLabel = "Serial numbers: checked at preview"
        }
        return Row(
            id: draft.invoiceID, reference: draft.reference, customer: draft.customer, customerPath: ConsoleFormat.path(draft.customer),
            date: draft.date.description, currency: draft.currency, total: ConsoleFormat.money(draft.total), totalValue: draft.total.description,
            lines: draft.lines, itemsToCreate: verdict?.facts.itemsToCreate ?? 0, itemsState: itemsState, itemsLabel: itemsLabel,
            reviewLabel: itemsState == "unreviewed" ? "Customer items need review" : "Customer items reviewed or no review needed",
            serialState: serialState, serialLabel: serialLabel, evaluated: verdict != nil, blocked: verdict.map { !$0.decision.canPost } ?? false,
            reasons: reasons,
            reasonCodes: reasons.map(\.code).joined(separator: " "),
            findings: (verdict?.decision.blockers ?? []).map(\.message).joined(separator: " "))
    }

    // MARK: Preview

    /// The selection of the list's form: the ticked invoices, or every one matching the filter.
    func preview(_ user: User, _ form: ConsoleForm) async throws -> Response {
        var ids: [Int64]
        var selection: String
        if let kept = form["postable_of"] {
            // Preview only what a preview of this session showed could be posted.
            guard let token = UUID(uuidString: kept), let earlier = try await sessions.preview(token, in: user.session.id) else {
                throw ConsoleInputError(field: "preview", message: "that preview is not kept any more; select the invoices again")
            }
            ids = try await Self.postable(of: token, PostingService(pool: pool, actor: user.token.name))
            selection = "the \(ids.count) that may be posted of \(earlier.selection)"
        } else if form["all"] == "1" {
            let filter = Filter(form)
            ids = try await InvoiceStore(pool: pool).unpostedIDs(try filter.unposted())
            let words = filter.fields.filter { $0.name != "blocked" }.map { "\($0.name.replacingOccurrences(of: "_", with: " ")) \($0.value)" }
            selection = "all \(ids.count) matching" + (words.isEmpty ? " unposted invoices" : " " + words.joined(separator: ", "))
            if filter.blockedOnly {
                let verdicts = try await PostingService(pool: pool, actor: user.token.name).verdicts(ids)
                ids = verdicts.filter { !$0.decision.canPost }.map(\.facts.invoiceID)
                selection = "all \(ids.count) matching blocked invoices"
            }
        } else {
            ids = try form.all("id").map { text in
                guard let id = Int64(text), id > 0 else { throw ConsoleInputError(field: "id", message: "'\(text)' is not an invoice id") }
                return id
            }
            selection = "\(ids.count) selected invoice\(ids.count == 1 ? "" : "s")"
        }
        guard !ids.isEmpty else { throw ConsoleInputError(field: "Selection", message: "select at least one invoice to post") }
        let preview = try await PostingService(pool: pool, actor: user.token.name).previewSummary(ids)
        try await sessions.keep(ConsolePreview(token: preview.token, selection: selection), in: user.session.id)
        return Self.redirect("/console/previews/\(preview.token.uuidString.lowercased())")
    }

    struct Blocked: Sendable {
        var id: Int64
        var reference: String
        var customer: String
        var total: String
        var currency: String
        var findings: [String]
    }

    struct PreviewPage: Sendable {
        var chrome: Chrome
        var token: String
        var selection: String
        var count: Int
        var postable: Int
        var itemsToCreate: Int
        var totals: [Total]
        var blocked: [Blocked]
        var warnings: [String]
        var canConfirm: Bool
        var hasBlocked = false
        var blockedCount = 0
        /// Blocked invoices beyond those listed.
        var moreBlocked = 0
        var hasMoreBlocked = false
        var hasWarnings = false
        var hasPostable = false
    }

    static func token(_ text: String) throws -> UUID {
        guard let token = UUID(uuidString: text) else { throw ConsoleInputError(field: "preview", message: "'\(text)' is not a preview's token") }
        return token
    }

    func previewPage(_ text: String, _ user: User) async throws -> Response {
        let token = try Self.token(text)
        guard let kept = try await sessions.preview(token, in: user.session.id) else {
            throw ConsoleInputError(
                field: "preview",
                message: "this preview is not kept any more (previews last for the session); select the invoices and press Post again")
        }
        let service = PostingService(pool: pool, actor: user.token.name)
        let preview = try await service.summary(of: token)
        // The page shows the first of the blocked invoices and of the warnings, and says how many more.
        let blocked = try await service.previewPage(token, limit: Self.shownOnPreview, which: .blocked).map { _, item in
            Blocked(
                id: item.invoiceID, reference: item.reference, customer: item.customer, total: ConsoleFormat.money(item.total),
                currency: item.currency, findings: item.decision.blockers.map(\.message))
        }
        var warnings = try await service.previewPage(token, limit: Self.shownOnPreview, which: .findings).flatMap { _, item in
            item.decision.findings.filter { $0.severity == .warn }.map { "\(item.reference) (\(item.customer)): \($0.message)" }
        }
        if preview.warned > Self.shownOnPreview { warnings.append("… and more: \(preview.warned) invoices in all have warnings") }
        var model = PreviewPage(
            chrome: user.chrome("Preview", flash: await sessions.takeFlash(user.session.id)), token: text.lowercased(), selection: kept.selection,
            count: preview.invoices, postable: preview.invoices - preview.blocked, itemsToCreate: preview.itemsToCreate,
            totals: preview.totals.sorted { $0.key < $1.key }.map { Total(currency: $0.key, total: ConsoleFormat.money($0.value)) },
            blocked: blocked, warnings: warnings, canConfirm: user.canPost && preview.blocked == 0)
        model.hasBlocked = preview.blocked > 0
        model.blockedCount = preview.blocked
        model.moreBlocked = max(0, preview.blocked - blocked.count)
        model.hasMoreBlocked = model.moreBlocked > 0
        model.hasWarnings = !warnings.isEmpty
        model.hasPostable = preview.blocked < preview.invoices
        return render("preview", model)
    }

    /// How many blocked invoices, and invoices with warnings, a preview's page lists.
    static let shownOnPreview = 200

    /// The invoices a preview did not block, read from it a page at a time.
    static func postable(of token: UUID, _ service: PostingService) async throws -> [Int64] {
        var ids: [Int64] = []
        var after = 0
        while true {
            let page = try await service.previewPage(token, after: after, limit: 10000)
            guard let last = page.last else { return ids }
            ids += page.filter { $0.item.decision.canPost }.map(\.item.invoiceID)
            after = last.position
        }
    }

    func confirm(_ text: String, _ user: User) async throws -> Response {
        let token = try Self.token(text)
        do {
            _ = try await postingRuns(actor: user.token.name).start(token)
        } catch let error as DomainError where error.kind == .duplicate {
            // Confirm pressed twice: the run is going on; follow it.
        }
        return Self.redirect("/console/runs/\(token.uuidString.lowercased())")
    }

    // MARK: The run

    struct Progress: Encodable, Sendable {
        var status: String
        var total: Int
        var done: Int
        var posted: Int
        var alreadyPosted: Int
        var notPosted: Int
        var stoppedBecause: String?
    }

    static func progress(_ run: PostingRun) -> Progress {
        Progress(
            status: run.status.rawValue, total: run.total, done: run.posted + run.alreadyPosted + run.notPosted, posted: run.posted,
            alreadyPosted: run.alreadyPosted, notPosted: run.notPosted, stoppedBecause: run.stoppedBecause)
    }

    func runProgress(_ text: String) async throws -> Response {
        Self.json(Self.progress(try await postingRuns(actor: "console").run(try Self.token(text))))
    }

    struct RunPage: Sendable {
        var chrome: Chrome
        var token: String
        var progress: Progress
        var running: Bool
        var stopped: Bool
        var notPosted: [Blocked]
        /// Without JavaScript, the page reloads itself while the run goes on.
        var refresh = false
    }

    func runPage(_ text: String, _ user: User) async throws -> Response {
        let token = try Self.token(text)
        let run = try await postingRuns(actor: user.token.name).run(token)
        var notPosted: [Blocked] = []
        if run.status != .running, run.notPosted > 0, try await sessions.preview(token, in: user.session.id) != nil {
            // The preview's drafts still unposted, the first of them, a page at a time.
            let service = PostingService(pool: pool, actor: user.token.name)
            var after = 0
            while notPosted.count < Self.shownOnPreview {
                let page = try await service.previewPage(token, after: after, limit: 1000)
                guard let last = page.last else { break }
                after = last.position
                let verdicts = try await service.verdicts(page.map(\.item.invoiceID))
                notPosted += verdicts.filter { !$0.posted }.prefix(Self.shownOnPreview - notPosted.count).map { verdict in
                    Blocked(
                        id: verdict.facts.invoiceID, reference: verdict.facts.reference, customer: verdict.facts.customer,
                        total: ConsoleFormat.money(verdict.total), currency: verdict.currency,
                        findings: verdict.decision.blockers.map(\.message) + (run.stoppedBecause.map { [$0] } ?? []))
                }
            }
        }
        var model = RunPage(
            chrome: user.chrome(run.status == .running ? "Posting…" : "Posting run", flash: await sessions.takeFlash(user.session.id)),
            token: text.lowercased(), progress: Self.progress(run), running: run.status == .running, stopped: run.status == .stopped,
            notPosted: notPosted)
        model.refresh = run.status == .running
        return render("run", model)
    }
}

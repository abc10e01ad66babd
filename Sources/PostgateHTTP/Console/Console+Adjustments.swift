import Foundation
import HTTPTypes
import Hummingbird
import Postgate
import Postgres

/// The Adjustments page: a clerk uploads a CSV file or an .xlsx workbook, sees its problems by
/// row and cell or a dry run's totals per customer, imports it; and exports with filters.
extension Console {
    /// Balance adjustments: the page, an upload's check and import, the export.
    func registerAdjustments<Context: RequestContext>(on router: Router<Context>) {
        router.get("console/adjustments") { request, _ in await page(request) { try await adjustmentsPage(request, $0) } }
        router.post("console/adjustments/import") { request, _ in await importAdjustments(request) }
        router.get("console/adjustments/export") { request, _ in await page(request) { try await exportAdjustments(request, $0) } }
    }

    struct AdjustmentsPage: Sendable {
        var chrome: Chrome
        var result: ImportView?
        var filters: ExportFilters
    }

    struct ExportFilters: Sendable {
        var customer: String?
        var from: String?
        var to: String?
        var reason: String?
        var batch: String?
    }

    struct ImportView: Sendable {
        struct ProblemRow: Sendable {
            var row: Int64
            var cell: String
            var column: String
            var value: String
            var reason: String
        }
        struct CountRow: Sendable {
            var count: Int
            var column: String
            var reason: String
            var firstRow: Int64
        }
        struct TotalRow: Sendable {
            var customer: String
            var currency: String
            var adjustments: Int
            var total: String
        }
        var file: String
        var sheet: String?
        var rows: Int
        var heading: String
        var problems: [ProblemRow]
        var hasProblems: Bool
        var more: Int?
        var counts: [CountRow]
        var totals: [TotalRow]
        /// The file may be imported: a dry run found nothing.
        var canImport: Bool
    }

    /// Problems listed on the page; the counts by kind cover the rest.
    static let problemsShown = 200

    func adjustmentsPage(_ request: Request, _ user: User, result: ImportView? = nil) async throws -> Response {
        let query = ConsoleForm.query(of: request)
        return render(
            "adjustments",
            AdjustmentsPage(
                chrome: user.chrome("Adjustments", flash: await sessions.takeFlash(user.session.id)), result: result,
                filters: ExportFilters(
                    customer: query["customer"], from: query["from"], to: query["to"], reason: query["reason"], batch: query["batch"])))
    }

    /// The upload form: a live session, then the form read (its file to a temporary file), then
    /// its CSRF token, origin and the role's right checked before anything reaches the database.
    func importAdjustments(_ request: Request) async -> Response {
        do {
            guard let user = try await user(request) else { return Self.redirect("/console/sign-in?next=/console/adjustments") }
            let upload: MultipartUpload
            do {
                upload = try await MultipartUpload.read(request, limit: uploadLimit)
            } catch let refused as MultipartUpload.Refused {
                await sessions.flash("error", refused.description.prefix(1).uppercased() + refused.description.dropFirst() + ".", in: user.session.id)
                return Self.redirect("/console/adjustments")
            }
            defer { upload.remove() }
            // The form is multipart: read (to a temporary file) before its token can be checked.
            if let refused = refusal(
                request, csrf: upload.form["csrf"], user: user, needs: .edit, nothing: "nothing was imported", again: "upload the file again",
                role: "importing needs a clerk's or a poster's token.")
            {
                return refused
            }
            guard let file = upload.file, file.size > 0 else {
                await sessions.flash("error", "Choose a file: the field File is empty.", in: user.session.id)
                return Self.redirect("/console/adjustments")
            }
            var options = ImportOptions(dryRun: upload.form["import"] == nil, allowDuplicate: upload.form["allow_duplicate"] != nil)
            options.dateOrder = upload.form["date_order"].flatMap { DateOrder(rawValue: $0.uppercased()) } ?? .iso
            options.sheet = upload.form["sheet"]
            options.problemLimit = Self.problemsShown
            let result: ImportResult
            do {
                result = try await AdjustmentStore(pool: pool).importFile(file.path, options: options)
            } catch let refused as ImportRefused {
                await sessions.flash("error", "\(file.name): " + refused.reason + ".", in: user.session.id)
                return Self.redirect("/console/adjustments")
            } catch {
                await sessions.flash("error", "\(file.name): " + Self.describe(error), in: user.session.id)
                return Self.redirect("/console/adjustments")
            }
            if let batch = result.batchID {
                await sessions.flash("ok", "Imported \(result.rows) adjustments from \(file.name) as batch \(batch).", in: user.session.id)
                return Self.redirect("/console/adjustments?batch=\(batch)")
            }
            let heading: String
            if result.totalProblems > 0 {
                heading =
                    "\(file.name): \(result.totalProblems) problem\(result.totalProblems == 1 ? "" : "s") in \(result.rowsWithProblems) of \(result.rows) rows; nothing was imported"
            } else {
                heading = "\(file.name): \(result.rows) rows can be imported (checked only: nothing was imported)"
            }
            let view = ImportView(
                file: file.name, sheet: result.sheet, rows: result.rows, heading: heading,
                problems: result.problems.map {
                    .init(row: $0.line, cell: $0.cell ?? "", column: $0.column, value: $0.value ?? "", reason: $0.reason)
                },
                hasProblems: !result.problems.isEmpty,
                more: result.totalProblems > result.problems.count ? result.totalProblems - result.problems.count : nil,
                counts: result.problemCounts.map { .init(count: $0.problems, column: $0.column, reason: $0.reason, firstRow: $0.firstLine) },
                totals: result.totals.map {
                    .init(customer: $0.customer, currency: $0.currency, adjustments: $0.adjustments, total: ConsoleFormat.money($0.total))
                },
                canImport: result.totalProblems == 0)
            return try await adjustmentsPage(request, user, result: view)
        } catch {
            return errorPage(error, user: nil)
        }
    }

    /// The export with the page's filters, as CSV or a workbook, downloaded.
    func exportAdjustments(_ request: Request, _ user: User) async throws -> Response {
        let query = ConsoleForm.query(of: request)
        func date(_ field: String) throws -> LocalDate? {
            guard let text = query[field] else { return nil }
            guard let date = LocalDate(text) else { throw ConsoleInputError(field: field, message: "a date is written YYYY-MM-DD") }
            return date
        }
        var batch: Int64?
        if let text = query["batch"] {
            guard let value = Int64(text), value > 0 else { throw ConsoleInputError(field: "batch", message: "a batch is a whole number") }
            batch = value
        }
        let filter = AdjustmentFilter(customer: query["customer"], from: try date("from"), to: try date("to"), reason: query["reason"], batch: batch)
        let workbook = query["format"] == "xlsx"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-console-export-\(UUID().uuidString)").path
        let store = AdjustmentStore(pool: pool)
        do {
            if workbook {
                try await store.exportWorkbook(filter, to: path)
            } else {
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw ConsoleInputError(field: "export", message: "the service cannot write a temporary file")
                }
                let writer = SendableFile(handle: handle)
                defer { try? handle.close() }
                try await store.export(filter) { try writer.handle.write(contentsOf: Data($0)) }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let (chunks, size) = try FileBody.chunks(path, removingIt: true)
        let name = "adjustments." + (workbook ? "xlsx" : "csv")
        return Response(
            status: .ok,
            headers: [
                .contentType: workbook ? BodyLimits.workbookType : "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"\(name)\"", .contentLength: String(size), .cacheControl: "no-store",
                .init("X-Content-Type-Options")!: "nosniff",
            ],
            body: ResponseBody(asyncSequence: chunks.map { ByteBuffer(bytes: $0) }))
    }
}

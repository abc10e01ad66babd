import Foundation
import OpenAPIRuntime
import Postgate
import Postgres

// Customer adjustments (one, a CSV import streamed into COPY, a CSV export streamed out, the
// template, reason codes) and the report views.
extension PostgateAPI {
    public func addAdjustment(_ input: Operations.AddAdjustment.Input) async throws -> Operations.AddAdjustment.Output {
        await respond(Operations.AddAdjustment.Output.default) {
            guard case .json(let adjustment) = input.body else { throw Problem.badBody("a JSON object") }
            let id = try await AdjustmentStore(pool: pool).add(
                customer: adjustment.customer, amount: try Self.decimal(adjustment.amount, field: "amount"),
                date: try Self.date(adjustment.date, field: "date"), currency: adjustment.currency, reason: adjustment.reason,
                reference: adjustment.reference, notes: adjustment.notes)
            return .created(.init(body: .json(.init(id: id))))
        }
    }

    public func importAdjustments(_ input: Operations.ImportAdjustments.Input) async throws -> Operations.ImportAdjustments.Output {
        await respond(Operations.ImportAdjustments.Output.default) {
            let body: HTTPBody
            switch input.body {
            case .csv(let csv): body = csv
            case .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(let workbook): body = workbook
            }
            if case .known(let length) = body.length, length > Int64(uploadLimit) {
                throw ImportRefused(
                    reason: "the file has \(length) bytes; an upload may have at most \(uploadLimit >> 20) MiB: split it into smaller files",
                    tooLarge: true)
            }
            let dateOrder: DateOrder =
                switch input.query.dateOrder {
                case .dmy?: .dmy
                case .mdy?: .mdy
                default: .iso
                }
            var options = ImportOptions(
                dryRun: input.query.dryRun ?? false, allowDuplicate: input.query.allowDuplicate ?? false,
                encoding: FileEncoding(rawValue: input.query.encoding?.rawValue ?? "utf-8") ?? .utf8, dateOrder: dateOrder)
            options.sheet = input.query.sheet
            let result = try await AdjustmentStore(pool: pool).importStream(
                body, name: input.query.fileName ?? "upload.csv", options: options, limit: uploadLimit)
            let problems = result.problems.map {
                Components.Schemas.ImportProblem(line: Int($0.line), column: $0.column, cell: $0.cell, value: $0.value ?? "", reason: $0.reason)
            }
            guard result.imported || result.dryRun else {
                var problem = Problem(
                    .importRefused, title: "The file's rows have problems; nothing was imported",
                    detail: "\(result.rowsWithProblems) of \(result.rows) rows have \(result.totalProblems) problems. "
                        + "Correct the rows listed in problems (and the others of the same kind), then upload the file again.")
                problem.body.problems = problems
                throw problem
            }
            return .ok(
                .init(
                    body: .json(
                        .init(
                            rows: result.rows, batchId: result.batchID, dryRun: result.dryRun, encoding: result.encoding.rawValue,
                            sheet: result.sheet, totalProblems: result.totalProblems, problems: problems))))
        }
    }

    public func exportAdjustments(_ input: Operations.ExportAdjustments.Input) async throws -> Operations.ExportAdjustments.Output {
        await respond(Operations.ExportAdjustments.Output.default) {
            let query = input.query
            let filter = AdjustmentFilter(
                customer: query.customer, from: try Self.date(query.from, field: "from"), to: try Self.date(query.to, field: "to"),
                reason: query.reason, minimum: try Self.decimal(query.min, field: "min"), maximum: try Self.decimal(query.max, field: "max"),
                batch: query.batch)
            let store = AdjustmentStore(pool: pool)
            // The workbook when the client prefers it to CSV.
            let wanted = input.headers.accept.sorted { $0.quality.doubleValue > $1.quality.doubleValue }.first { accepted in
                switch accepted.contentType {
                case .csv, .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet: true
                default: false
                }
            }
            if wanted?.contentType == .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-export-\(UUID().uuidString).xlsx").path
                do {
                    try await store.exportWorkbook(filter, to: path)
                } catch {
                    try? FileManager.default.removeItem(atPath: path)
                    throw error
                }
                let (chunks, size) = try FileBody.chunks(path, removingIt: true)
                return .ok(
                    .init(
                        body: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(
                            HTTPBody(chunks, length: .known(size), iterationBehavior: .single))))
            }
            let pipe = BytePipe()
            Task {
                do {
                    try await store.export(filter) { try pipe.write($0) }
                    pipe.finish()
                } catch {
                    pipe.finish(error)
                }
            }
            try await pipe.started()
            return .ok(.init(body: .csv(HTTPBody(pipe, length: .unknown, iterationBehavior: .single))))
        }
    }

    public func adjustmentTemplate(_ input: Operations.AdjustmentTemplate.Input) async throws -> Operations.AdjustmentTemplate.Output {
        .ok(.init(body: .csv(HTTPBody(input.query.rules == true ? AdjustmentColumn.rulesCSV : AdjustmentColumn.templateCSV))))
    }

    public func saveAdjustmentReason(_ input: Operations.SaveAdjustmentReason.Input) async throws -> Operations.SaveAdjustmentReason.Output {
        await respond(Operations.SaveAdjustmentReason.Output.default) {
            guard case .json(let body) = input.body else { throw Problem.badBody("a JSON object") }
            let version = try await AdjustmentStore(pool: pool).saveReason(
                input.path.code, name: body.name, active: body.active ?? true, version: body.version)
            return .ok(.init(body: .json(.init(version: version))))
        }
    }

    public func readReport(_ input: Operations.ReadReport.Input) async throws -> Operations.ReadReport.Output {
        await respond(Operations.ReadReport.Output.default) {
            let limit = input.query.limit ?? 100
            var offset = 0
            if let cursor = input.query.cursor {
                guard let data = Data(base64Encoded: cursor), let text = String(data: data, encoding: .utf8), text.hasPrefix("offset:"),
                    let value = Int(text.dropFirst("offset:".count)), value >= 0
                else { throw Problem.badField("cursor", "the next_cursor of a page of the same report") }
                offset = value
            }
            let page = try await Reports(pool: pool).page(of: input.path.view, offset: offset, limit: limit)
            let rows = try page.rows.map { try JSONDecoder().decode(Components.Schemas.ReportPage.RowsPayloadPayload.self, from: Data($0.utf8)) }
            let next = page.more ? Data("offset:\(offset + limit)".utf8).base64EncodedString() : nil
            return .ok(.init(body: .json(.init(rows: rows, nextCursor: next))))
        }
    }
}

import Foundation
import Postgres

/// A problem of one row of an imported file.
public struct ImportProblem: Sendable, Hashable, Codable {
    /// The row as a spreadsheet numbers it (the headings are row 1).
    public var line: Int64
    public var column: String
    public var value: String?
    public var reason: String
}

/// How many problems of one kind a file has.
public struct ImportProblemCount: Sendable, Hashable, Codable {
    public var column: String
    public var reason: String
    public var problems: Int
    /// The first row with it.
    public var firstLine: Int64
}

/// How the dates of a file are written: ISO (YYYY-MM-DD) always reads; MDY and DMY also read
/// 11/01/2026 (and with '-' or '.') month first or day first.
public enum DateOrder: String, Sendable, CaseIterable, Codable {
    case iso = "ISO"
    case mdy = "MDY"
    case dmy = "DMY"
}

/// How to read a file.
public struct ImportOptions: Sendable {
    /// Check and report; import nothing.
    public var dryRun = false
    /// Import a file whose checksum matches an earlier batch.
    public var allowDuplicate = false
    /// nil: UTF-8 when the file is, else Windows-1252 when it is (the report says so).
    public var encoding: FileEncoding?
    public var dateOrder: DateOrder = .iso
    /// At most this many problems are listed (the counts cover them all).
    public var problemLimit = 1000

    public init(dryRun: Bool = false, allowDuplicate: Bool = false, encoding: FileEncoding? = nil, dateOrder: DateOrder = .iso) {
        self.dryRun = dryRun
        self.allowDuplicate = allowDuplicate
        self.encoding = encoding
        self.dateOrder = dateOrder
    }
}

/// What an import did, or would do (`dryRun`).
public struct ImportResult: Sendable, Codable {
    public var rows: Int
    public var batchID: Int64?
    /// The first problems, in row order (at most the options' limit).
    public var problems: [ImportProblem]
    public var dryRun: Bool
    /// The encoding the file was read in.
    public var encoding: FileEncoding = .utf8
    /// The file was not UTF-8, so it was read as Windows-1252 without being asked to.
    public var encodingGuessed = false
    /// Every problem, counted by column and reason.
    public var problemCounts: [ImportProblemCount] = []
    public var totalProblems = 0
    public var rowsWithProblems = 0
    public var imported: Bool { batchID != nil }
}

/// A file refused before its rows were read: its headings, or its contents, are not a CSV of adjustments.
public struct ImportRefused: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Filters of the adjustments export.
public struct AdjustmentFilter: Sendable, Hashable, Encodable {
    public var customer: String?
    public var from: LocalDate?
    public var to: LocalDate?
    public var reason: String?
    public var minimum: Decimal?
    public var maximum: Decimal?
    public var batch: Int64?

    public init(
        customer: String? = nil, from: LocalDate? = nil, to: LocalDate? = nil, reason: String? = nil,
        minimum: Decimal? = nil, maximum: Decimal? = nil, batch: Int64? = nil
    ) {
        self.customer = customer
        self.from = from
        self.to = to
        self.reason = reason
        self.minimum = minimum
        self.maximum = maximum
        self.batch = batch
    }

    /// `api.export_adjustments` names the amount range min and max.
    enum CodingKeys: String, CodingKey {
        case customer, from, to, reason, batch
        case minimum = "min"
        case maximum = "max"
    }
}

/// Customer adjustments: one at a time, imported in bulk from CSV, exported as CSV.
public struct AdjustmentStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Enters one adjustment; returns its id.
    @discardableResult
    public func add(
        customer: String, amount: Decimal, date: LocalDate? = nil, currency: String? = nil, reason: String? = nil,
        reference: String? = nil, notes: String? = nil
    ) async throws -> Int64 {
        var fields: [String: JSONValue] = ["customer": .string(customer), "amount": .string(amount.description)]
        fields["date"] = date.map { .string($0.description) }
        fields["currency"] = currency.map(JSONValue.string)
        fields["reason"] = reason.map(JSONValue.string)
        fields["reference"] = reference.map(JSONValue.string)
        fields["notes"] = notes.map(JSONValue.string)
        return try await domainErrors {
            try await pool.query("SELECT api.add_adjustment(\(PostgresJSON(fields)))")[0].decode(0, as: Int64.self)
        }
    }

    /// Imports a CSV file whose headings are the export's: streamed through COPY into a staging
    /// table, checked row by row with set-based SQL, and imported whole or not at all.
    /// `progress` receives bytes read and the file's size.
    public func importFile(
        _ path: String, dryRun: Bool = false, allowDuplicate: Bool = false,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> ImportResult {
        try await importFile(path, options: ImportOptions(dryRun: dryRun, allowDuplicate: allowDuplicate), progress: progress)
    }

    /// Imports a file read as `options` say.
    public func importFile(
        _ path: String, options: ImportOptions,
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> ImportResult {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImportRefused(reason: "cannot read \(path): check the path and its permissions")
        }
        defer { try? handle.close() }
        let size = Int((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0)
        // The headings: the first record, within the first 64 KiB.
        let first = [UInt8]((try? handle.read(upToCount: 64 * 1024)) ?? Data())
        guard !first.isEmpty else {
            throw ImportRefused(reason: "the file is empty: it needs the headings line, then one row per adjustment (postgate adjustments template)")
        }
        if first.contains(0) {
            throw ImportRefused(reason: "the file is not CSV text (it holds binary data): save it from the spreadsheet as CSV UTF-8")
        }
        guard let (headings, dataStart) = CSVHeader.parse(first) else {
            throw ImportRefused(reason: "the headings line has an unclosed quote")
        }
        let columns = try Self.columns(for: headings)

        let scan = try FileScan(path: path)
        let encoding = try scan.encoding(asked: options.encoding)
        let checksum = scan.checksum
        let name = (path as NSString).lastPathComponent
        let dryRun = options.dryRun
        let allowDuplicate = options.allowDuplicate
        var result = ImportResult(
            rows: 0, batchID: nil, problems: [], dryRun: dryRun, encoding: encoding,
            encodingGuessed: options.encoding == nil && encoding != .utf8)
        // The import belongs to the session that began it: stage, check and import on one connection.
        return try await pool.withConnection { connection in
            try await domainErrors {
                let importOptions = PostgresJSON(["date_order": JSONValue.string(options.dateOrder.rawValue)])
                let importID = try await connection.query("SELECT api.begin_adjustment_import(\(importOptions))")[0].decode(0, as: Int64.self)
                func discard() async {
                    _ = try? await connection.query("SELECT api.discard_adjustment_import(\(importID))")
                }
                let copy = PostgresQuery(
                    unsafeSQL: "COPY staging.adjustment_import (\(columns.map(\.stagingColumn).joined(separator: ", "))) "
                        + "FROM STDIN WITH (FORMAT csv, ENCODING '\(encoding.postgresName)')")
                let body = FileBody(handle: handle, first: Array(first[dataStart...]), size: size, progress: progress)
                let rows: Int
                do {
                    rows = try await connection.copyIn(copy, chunks: body)
                } catch let error as PostgresError where error.kind == .server {
                    await discard()
                    throw ImportRefused(reason: Self.copyProblem(error))
                }
                if rows == 0 {
                    await discard()
                    throw ImportRefused(reason: "the file has headings but no rows: add one row per adjustment")
                }
                result.rows = rows
                // The first problems and the counts of all of them: memory stays flat however bad the file.
                func problems() async throws -> ImportResult {
                    var found = result
                    found.problems = try await connection.query(
                        "SELECT * FROM api.validate_adjustment_import(\(importID), \(Int32(clamping: options.problemLimit)))"
                    ).map { row in
                        ImportProblem(
                            line: try row.decode("line"), column: try row.decode("column_name"), value: try row.decode("value"),
                            reason: try row.decode("reason"))
                    }
                    for row in try await connection.query("SELECT * FROM api.adjustment_import_summary(\(importID))") {
                        let count = ImportProblemCount(
                            column: try row.decode("column_name"), reason: try row.decode("reason"),
                            problems: try row.decode("problems"), firstLine: try row.decode("first_line"))
                        found.problemCounts.append(count)
                        found.totalProblems += count.problems
                        found.rowsWithProblems = try row.decode("rows_with_problems")
                    }
                    return found
                }
                if dryRun {
                    let found = try await problems()
                    await discard()
                    return found
                }
                // The import checks every row itself; only a refused file needs its problems listed.
                do {
                    result.batchID = try await connection.query(
                        "SELECT api.import_adjustments(\(importID), \(name), \(checksum), \(allowDuplicate))")[0].decode(0, as: Int64.self)
                } catch let error as PostgresError where error.sqlState == "PG422" {
                    let found = try await problems()
                    await discard()
                    return found
                } catch {
                    await discard()
                    throw error
                }
                return result
            }
        }
    }

    /// The columns a file's headings name, or the reasons they cannot be read.
    static func columns(for headings: [String]) throws -> [AdjustmentColumn] {
        var columns: [AdjustmentColumn] = []
        var unknown: [String] = []
        var duplicated: [String] = []
        for heading in headings.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            // Earlier exports wrote the creation time's heading without its zone.
            let known = heading.caseInsensitiveCompare("Created At") == .orderedSame ? AdjustmentColumn.createdAt.rawValue : heading
            guard let column = AdjustmentColumn.allCases.first(where: { $0.rawValue.caseInsensitiveCompare(known) == .orderedSame }) else {
                unknown.append(heading.isEmpty ? "(an empty heading)" : heading)
                continue
            }
            if columns.contains(column) { duplicated.append(column.rawValue) }
            columns.append(column)
        }
        let missing = AdjustmentColumn.allCases.filter { $0.mandatory && !columns.contains($0) }.map(\.rawValue)
        var reasons: [String] = []
        if !unknown.isEmpty { reasons.append("unknown headings: \(unknown.joined(separator: ", "))") }
        if !duplicated.isEmpty { reasons.append("headings given twice: \(duplicated.joined(separator: ", "))") }
        if !missing.isEmpty { reasons.append("mandatory headings missing: \(missing.joined(separator: ", "))") }
        guard reasons.isEmpty else {
            throw ImportRefused(
                reason: "the file's headings are not those of an adjustments file (\(reasons.joined(separator: "; "))). "
                    + "Use the export's headings: \(AdjustmentColumn.allCases.map(\.rawValue).joined(separator: ", ")) (postgate adjustments template)"
            )
        }
        return columns
    }

    static func copyProblem(_ error: PostgresError) -> String {
        var line = ""
        if let context = error.context, let range = context.range(of: #"line [0-9]+"#, options: .regularExpression),
            let number = Int(context[range].dropFirst(5))
        {
            line = "row \(number + 1): "
        }
        switch error.sqlState {
        case "22021", "22P05": return "\(line)\(error.message): save the file from the spreadsheet as CSV UTF-8, or say how it was saved (--encoding)"
        case "22P04": return "\(line)\(error.message): each row must have one value per heading (quote values that hold commas)"
        default: return "\(line)\(error.message)"
        }
    }

    /// Writes adjustments as CSV with the export's headings, streamed with COPY TO STDOUT.
    /// Returns the number of rows.
    @discardableResult
    public func export(
        _ filter: AdjustmentFilter = AdjustmentFilter(), to write: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void
    ) async throws -> Int {
        try await pool.withConnection { connection in
            try await domainErrors {
                try await connection.withTransaction { connection in
                    // COPY takes no parameters: the filter travels as a bound setting.
                    try await connection.query("SELECT set_config('postgate.export_filter', \(JSONArgument(filter).postgresText), true)")
                    return try await connection.copyOut(
                        "COPY (SELECT * FROM api.export_adjustments(current_setting('postgate.export_filter')::jsonb)) TO STDOUT WITH (FORMAT csv, HEADER true)",
                        consume: write)
                }
            }
        }
    }
}

/// A file's data after its headings, read in 1 MiB chunks; trailing blank lines are dropped
/// (spreadsheets leave them) and a last line without its line end gets one.
struct FileBody: AsyncSequence, Sendable {
    let handle: FileHandle
    let first: [UInt8]
    let size: Int
    let progress: @Sendable (Int, Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        var pending: [UInt8]
        var heldBack: [UInt8] = []
        var done = false
        var read: Int
        let size: Int
        let progress: @Sendable (Int, Int) -> Void

        mutating func next() async throws -> [UInt8]? {
            while !done {
                var chunk = pending
                pending = []
                if chunk.isEmpty {
                    let data = try handle.read(upToCount: 1 << 20) ?? Data()
                    if data.isEmpty {
                        done = true
                        // Blank lines at the end are no rows; the last row keeps its own line end
                        // (COPY wants every line to end the same way: LF or CRLF).
                        guard let end = heldBack.first else { return nil }
                        return end == UInt8(ascii: "\r") && heldBack.count > 1 && heldBack[1] == UInt8(ascii: "\n") ? Array(heldBack[0...1]) : [end]
                    }
                    read += data.count
                    progress(read, size)
                    chunk = [UInt8](data)
                }
                chunk = heldBack + chunk
                var end = chunk.count
                while end > 0 && (chunk[end - 1] == UInt8(ascii: "\n") || chunk[end - 1] == UInt8(ascii: "\r")) { end -= 1 }
                heldBack = Array(chunk[end...])
                if end > 0 { return Array(chunk[..<end]) }
            }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: handle, pending: first, read: first.count, size: size, progress: progress)
    }
}

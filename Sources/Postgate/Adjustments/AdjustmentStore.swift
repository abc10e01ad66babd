import Crypto
import Foundation
import Postgres

/// A problem of one row of an imported file.
public struct ImportProblem: Sendable, Hashable, Codable {
    /// The row as a spreadsheet numbers it (the headings are row 1).
    public var line: Int64
    public var column: String
    /// The cell as a spreadsheet names it (C7): the column's letter where the file has it, and the row.
    public var cell: String?
    public var value: String?
    public var reason: String
}

/// What an import adds to one customer's balance, in one currency.
public struct ImportTotal: Sendable, Hashable, Codable {
    public var customer: String
    public var currency: String
    public var adjustments: Int
    public var total: Decimal
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
    /// The sheet of a workbook to read (nil: the first).
    public var sheet: String?

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
    /// The sheet read, when the file was a workbook.
    public var sheet: String?
    /// A dry run's totals per customer and currency.
    public var totals: [ImportTotal] = []
    public var imported: Bool { batchID != nil }

    /// Gives each problem the row the file numbers it with and its cell, from the columns in
    /// the file's order.
    mutating func locate(columns: [AdjustmentColumn], row: (Int64) -> Int64 = { $0 }) {
        for index in problems.indices {
            problems[index].line = row(problems[index].line)
            if let position = columns.firstIndex(where: { $0.rawValue == problems[index].column }) {
                problems[index].cell = WorkbookColumns.name(position) + String(problems[index].line)
            }
        }
        for index in problemCounts.indices { problemCounts[index].firstLine = row(problemCounts[index].firstLine) }
    }
}

/// A file refused before its rows were read: its headings, or its contents, are not a CSV of adjustments.
public struct ImportRefused: Error, Sendable, CustomStringConvertible {
    public var reason: String
    /// The file is larger than an upload may be.
    public var tooLarge = false
    public var description: String { reason }

    public init(reason: String, tooLarge: Bool = false) {
        self.reason = reason
        self.tooLarge = tooLarge
    }
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

    /// Adds a reason code, or changes it when given its current version; returns the new version.
    @discardableResult
    public func saveReason(_ code: String, name: String, active: Bool = true, version: Int? = nil) async throws -> Int {
        try await domainErrors {
            try await pool.query("SELECT api.save_adjustment_reason(\(code), \(name), \(active), \(version.map { Int32(clamping: $0) }))")[0]
                .decode(0, as: Int.self)
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
        let first = [UInt8]((try? handle.read(upToCount: Self.headingsLimit)) ?? Data())
        switch ImportFileKind.of(first) {
        case .zip:
            return try await importWorkbook(path, options: options, progress: progress)
        case let kind:
            if let refusal = kind.refusal { throw refusal }
        }
        let (columns, dataStart) = try Self.headings(first)
        let scan = try FileScan(path: path)
        let encoding = try scan.encoding(asked: options.encoding)
        let checksum = scan.checksum
        let body = CSVRows(first: Array(first[dataStart...]), rest: FileChunks(handle: handle, size: size, read: first.count, progress: progress))
        var result = try await stage(
            body, columns: columns, name: (path as NSString).lastPathComponent, checksum: { checksum }, encoding: encoding,
            encodingGuessed: options.encoding == nil && encoding != .utf8, options: options)
        result.locate(columns: columns)
        return result
    }

    /// Imports a sheet of an .xlsx workbook: converted a row at a time into a temporary CSV file
    /// (the sheet's rows, under its headings), which is staged, checked and imported as a CSV
    /// file is. Problems name the sheet's rows and cells.
    func importWorkbook(
        _ path: String, name: String? = nil, options: ImportOptions, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> ImportResult {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-import-\(UUID().uuidString).csv").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let output = FileHandle(forWritingAtPath: temporary) else {
            throw ImportRefused(
                reason: "cannot write a temporary file in \(FileManager.default.temporaryDirectory.path): set TMPDIR to a writable folder")
        }
        defer { try? FileManager.default.removeItem(atPath: temporary) }
        let conversion: WorkbookReader.Conversion
        do {
            defer { try? output.close() }
            conversion = try WorkbookReader(path: path).convert(sheet: options.sheet, to: output)
        }
        let columns = try Self.columns(for: conversion.headings)
        let checksum = try FileScan(path: path).checksum
        guard let rows = FileHandle(forReadingAtPath: temporary) else { throw ImportRefused(reason: "cannot read back \(temporary)") }
        defer { try? rows.close() }
        let size = Int((try? FileManager.default.attributesOfItem(atPath: temporary)[.size] as? NSNumber)?.intValue ?? 0)
        var result = try await stage(
            CSVRows(first: [], rest: FileChunks(handle: rows, size: size, read: 0, progress: progress)), columns: columns,
            name: name ?? (path as NSString).lastPathComponent, checksum: { checksum }, encoding: .utf8, encodingGuessed: false,
            options: options)
        result.sheet = conversion.sheet
        result.locate(columns: columns, row: conversion.sheetRow(ofLine:))
        return result
    }

    /// Imports a CSV file as it arrives (an upload), never holding it whole: its headings are
    /// read from the first 64 KiB, its rows streamed into COPY, its checksum taken on the way.
    /// The file must be in `encoding` (default UTF-8); at most `limit` bytes are taken.
    public func importStream<Chunks: AsyncSequence & Sendable>(
        _ chunks: Chunks, name: String, options: ImportOptions, limit: Int = 200 << 20
    ) async throws -> ImportResult where Chunks.Element: Sequence, Chunks.Element.Element == UInt8 {
        let counted = CountedChunks(base: chunks, limit: limit)
        var iterator = counted.makeAsyncIterator()
        var first: [UInt8] = []
        while first.count < Self.headingsLimit, let chunk = try await iterator.next() { first += chunk }
        switch ImportFileKind.of(first) {
        case .zip:
            // A zip is read from its end (its directory): the upload is kept in a temporary file first.
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-upload-\(UUID().uuidString).xlsx").path
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let file = FileHandle(forWritingAtPath: temporary) else {
                throw ImportRefused(reason: "cannot write a temporary file in \(FileManager.default.temporaryDirectory.path)")
            }
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            do {
                defer { try? file.close() }
                try file.write(contentsOf: first)
                while let chunk = try await iterator.next() { try file.write(contentsOf: chunk) }
            }
            return try await importWorkbook(temporary, name: name, options: options)
        case let kind:
            if let refusal = kind.refusal { throw refusal }
        }
        let (columns, dataStart) = try Self.headings(first)
        let encoding = options.encoding ?? .utf8
        let body = CSVRows(first: Array(first[dataStart...]), rest: ResumedChunks(iterator: iterator))
        var result = try await stage(
            body, columns: columns, name: name, checksum: { counted.checksum }, encoding: encoding, encodingGuessed: false, options: options)
        result.locate(columns: columns)
        return result
    }

    static let headingsLimit = 64 * 1024

    /// The columns the first record names and where the rows start, or why the file is no CSV of adjustments.
    static func headings(_ first: [UInt8]) throws -> ([AdjustmentColumn], Int) {
        guard !first.isEmpty else {
            throw ImportRefused(reason: "the file is empty: it needs the headings line, then one row per adjustment (postgate adjustments template)")
        }
        if first.contains(0) {
            throw ImportRefused(reason: "the file is not CSV text (it holds binary data): save it from the spreadsheet as CSV UTF-8")
        }
        guard let (headings, dataStart) = CSVHeader.parse(first) else {
            throw ImportRefused(reason: "the headings line has an unclosed quote")
        }
        return (try columns(for: headings), dataStart)
    }

    /// Stages the rows through COPY, checks them, and imports them whole or not at all.
    private func stage<Rows: AsyncSequence & Sendable>(
        _ body: Rows, columns: [AdjustmentColumn], name: String, checksum: @escaping @Sendable () -> String, encoding: FileEncoding,
        encodingGuessed: Bool, options: ImportOptions
    ) async throws -> ImportResult where Rows.Element == [UInt8] {
        let dryRun = options.dryRun
        let allowDuplicate = options.allowDuplicate
        var result = ImportResult(rows: 0, batchID: nil, problems: [], dryRun: dryRun, encoding: encoding, encodingGuessed: encodingGuessed)
        // The import belongs to the session that began it: stage, check and import in one
        // transaction, which a pooler in transaction mode keeps on one server connection; the
        // import's session setting is cleared before it commits, so it follows nobody else.
        return try await pool.withTransaction { connection in
            let outcome = try await domainErrors {
                let importOptions = PostgresJSON(["date_order": JSONValue.string(options.dateOrder.rawValue)])
                let importID = try await connection.query("SELECT api.begin_adjustment_import(\(importOptions))")[0].decode(0, as: Int64.self)
                func discard() async {
                    _ = try? await connection.query("SELECT api.discard_adjustment_import(\(importID))")
                }
                let copy = PostgresQuery(
                    unsafeSQL: "COPY staging.adjustment_import (\(columns.map(\.stagingColumn).joined(separator: ", "))) "
                        + "FROM STDIN WITH (FORMAT csv, ENCODING '\(encoding.postgresName)')")
                let rows: Int
                do {
                    rows = try await connection.copyIn(copy, chunks: body)
                } catch let error as PostgresError where error.kind == .server {
                    await discard()
                    throw ImportRefused(reason: Self.copyProblem(error))
                } catch {
                    await discard()
                    throw error
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
                            line: try row.decode("line"), column: try row.decode("column_name"), cell: nil, value: try row.decode("value"),
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
                    var found = try await problems()
                    found.totals = try await connection.query("SELECT * FROM api.adjustment_import_totals(\(importID))").map { row in
                        ImportTotal(
                            customer: try row.decode("customer"), currency: try row.decode("currency"), adjustments: try row.decode("adjustments"),
                            total: try row.decode("total"))
                    }
                    await discard()
                    return found
                }
                // The import checks every row itself; only a refused file needs its problems listed.
                do {
                    // In a savepoint: a refused file leaves the transaction able to list its problems.
                    result.batchID = try await connection.withSavepoint { connection in
                        try await connection.query(
                            "SELECT api.import_adjustments(\(importID), \(name), \(checksum()), \(allowDuplicate))")[0].decode(0, as: Int64.self)
                    }
                } catch let error as PostgresError where DomainError.Kind(sqlState: error.sqlState) == .ruleViolated && error.column == "file" {
                    // The file has problems (the function's refusal names the field `file`): list them.
                    let found = try await problems()
                    await discard()
                    return found
                } catch {
                    await discard()
                    throw error
                }
                return result
            }
            try await connection.query("SELECT set_config('postgate.adjustment_import', '', false)")
            return outcome
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

    /// Writes adjustments as an .xlsx workbook at `path` (one sheet, "Adjustments", with the
    /// export's headings), read through a cursor a page at a time. Returns the number of rows.
    @discardableResult
    public func exportWorkbook(_ filter: AdjustmentFilter = AdjustmentFilter(), to path: String) async throws -> Int {
        let writer = try WorkbookWriter()
        try writer.addSheet("Adjustments", headings: AdjustmentColumn.allCases.map(\.rawValue), widths: AdjustmentColumn.allCases.map(\.width))
        let rows = try await pool.withConnection { connection in
            try await domainErrors {
                try await connection.withTransaction { connection in
                    try await connection.query("SELECT set_config('postgate.export_filter', \(JSONArgument(filter).postgresText), true)")
                    try await connection.execute(
                        unsafeSQL: "DECLARE adjustments_export NO SCROLL CURSOR FOR "
                            + "SELECT * FROM api.export_adjustments(current_setting('postgate.export_filter')::jsonb)")
                    var count = 0
                    while true {
                        let page = try await connection.query("FETCH 5000 FROM adjustments_export")
                        guard !page.isEmpty else { break }
                        for row in page {
                            let amount = row.text(3) ?? "0"
                            try writer.row([
                                .text(try row.decode(0)), .text(try row.decode(1)), .date(try row.decode(2)),
                                .number(Decimal(string: amount) ?? 0, decimals: amount.split(separator: ".").dropFirst().first?.count ?? 0),
                                .text(try row.decode(4)), .text(try row.decode(5)),
                                try row.decode(6, as: String?.self).map(WorkbookCell.text) ?? .empty,
                                try row.decode(7, as: String?.self).map(WorkbookCell.text) ?? .empty,
                                try row.decode(8, as: Int64?.self).map(WorkbookCell.integer) ?? .empty,
                                .dateTime(try row.decode(9)),
                            ])
                            count += 1
                        }
                    }
                    return count
                }
            }
        }
        try writer.finish(to: path)
        return rows
    }

    /// Writes the import template as an .xlsx workbook: the headings of the columns a file may
    /// have on the first sheet, and each column's rules on a second.
    public static func writeTemplateWorkbook(to path: String) throws {
        let writer = try WorkbookWriter()
        try writer.addSheet(
            "Adjustments", headings: AdjustmentColumn.importable.map(\.rawValue), widths: AdjustmentColumn.importable.map(\.width))
        try writer.addSheet("Rules", headings: ["Column", "Mandatory", "Format", "Example", "When empty"], widths: [18, 10, 70, 24, 40])
        for column in AdjustmentColumn.allCases {
            let rule = column.rule
            try writer.row([
                .text(column.rawValue), .text(column.mandatory ? "yes" : "no"), .text(rule.format), .text(rule.example), .text(rule.whenEmpty),
            ])
        }
        try writer.finish(to: path)
    }
}

/// A file read from disk 1 MiB at a time, reporting bytes read against its size.
struct FileChunks: AsyncSequence, Sendable {
    let handle: FileHandle
    let size: Int
    let read: Int
    let progress: @Sendable (Int, Int) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        let size: Int
        var read: Int
        let progress: @Sendable (Int, Int) -> Void

        mutating func next() async throws -> [UInt8]? {
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            guard !data.isEmpty else { return nil }
            read += data.count
            progress(read, size)
            return [UInt8](data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle, size: size, read: read, progress: progress) }
}

/// An upload's chunks, counted against a limit and hashed as they pass.
final class CountedChunks<Base: AsyncSequence & Sendable>: AsyncSequence, @unchecked Sendable
where Base.Element: Sequence, Base.Element.Element == UInt8 {
    let base: Base
    let limit: Int
    private let lock = NSLock()
    private var hasher = SHA256()
    private var total = 0

    init(base: Base, limit: Int) {
        self.base = base
        self.limit = limit
    }

    /// The SHA-256 of everything read so far, as hex.
    var checksum: String { lock.withLock { hasher.finalize().hex } }

    fileprivate func take(_ chunk: [UInt8]) throws -> [UInt8] {
        try lock.withLock {
            total += chunk.count
            guard total <= limit else {
                throw ImportRefused(
                    reason: "the file is larger than the \(limit >> 20) MiB an upload may be: split it into smaller files", tooLarge: true)
            }
            hasher.update(data: chunk)
        }
        return chunk
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let owner: CountedChunks

        mutating func next() async throws -> [UInt8]? {
            guard let chunk = try await base.next() else { return nil }
            return try owner.take(Array(chunk))
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), owner: self) }
}

/// The rest of a sequence whose first chunks were already read.
struct ResumedChunks<Iterator: AsyncIteratorProtocol>: AsyncSequence, @unchecked Sendable where Iterator.Element == [UInt8] {
    let iterator: Iterator
    func makeAsyncIterator() -> Iterator { iterator }
}

/// A CSV file's rows after its headings, as COPY takes them: blank lines at the end dropped
/// (spreadsheets leave them) and a last line without its line end given one.
struct CSVRows<Rest: AsyncSequence & Sendable>: AsyncSequence, Sendable where Rest.Element == [UInt8] {
    let first: [UInt8]
    let rest: Rest

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: Rest.AsyncIterator
        var pending: [UInt8]
        var heldBack: [UInt8] = []
        var done = false

        mutating func next() async throws -> [UInt8]? {
            while !done {
                var chunk = pending
                pending = []
                if chunk.isEmpty {
                    guard let data = try await rest.next() else {
                        done = true
                        // Blank lines at the end are no rows; the last row keeps its own line end
                        // (COPY wants every line to end the same way: LF or CRLF).
                        guard let end = heldBack.first else { return nil }
                        return end == UInt8(ascii: "\r") && heldBack.count > 1 && heldBack[1] == UInt8(ascii: "\n") ? Array(heldBack[0...1]) : [end]
                    }
                    chunk = data
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

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: rest.makeAsyncIterator(), pending: first) }
}

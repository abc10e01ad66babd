import Foundation
import Postgres
import ZIPFoundation

/// What a file to import is, told by its first bytes rather than its name.
enum ImportFileKind: Equatable {
    /// Text: read as CSV.
    case csv
    /// A zip archive: an Office Open XML workbook (.xlsx), if it holds one.
    case zip
    /// An OLE2 compound file: an Excel 97–2003 workbook (.xls), or an .xlsx encrypted with a password.
    case compound(encrypted: Bool)

    static func of(_ first: some Collection<UInt8>) -> ImportFileKind {
        if first.starts(with: [0x50, 0x4B, 0x03, 0x04]) || first.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if first.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            // An encrypted workbook is a compound file whose streams are EncryptionInfo and
            // EncryptedPackage; their names are stored in UTF-16.
            let marker = Array("EncryptedPackage".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            let bytes = Array(first)
            let encrypted =
                bytes.count >= marker.count
                && (0...(bytes.count - marker.count)).contains { start in
                    bytes[start] == marker[0] && bytes[start..<(start + marker.count)].elementsEqual(marker)
                }
            return .compound(encrypted: encrypted)
        }
        return .csv
    }

    /// Why a file of this kind cannot be imported, when it cannot.
    var refusal: ImportRefused? {
        switch self {
        case .csv, .zip: nil
        case .compound(encrypted: true):
            ImportRefused(
                reason: "the workbook is encrypted (protected by a password): open it, remove the password, save it as .xlsx and import it again")
        case .compound(encrypted: false):
            ImportRefused(
                reason:
                    "the file is an Excel 97–2003 workbook (.xls), which is not read: open it and save it as Excel Workbook (.xlsx) or as CSV UTF-8")
        }
    }
}

/// One sheet of an .xlsx workbook read as the rows of an adjustments file, written out as CSV
/// for the import's COPY, a row at a time: the zip's parts are inflated and scanned as streams,
/// so memory holds one row, the styles and the shared strings (each distinct text once), never
/// the sheet.
///
/// Cells are read as the workbook stores them: shared strings, inline strings and rich text
/// runs as their text; numbers from their text into `Decimal` (never through a `Double`); cells
/// with a date format by the workbook's date system (1900, with its 29 February 1900, or 1904);
/// formulas by the value last calculated; booleans as TRUE and FALSE. Empty rows are skipped;
/// every row keeps its sheet number for the problems report.
struct WorkbookReader {
    /// Limits that keep a hostile archive (a zip bomb) from filling memory or disk.
    struct Limits {
        var entries = 10_000
        /// Any one part, inflated.
        var partBytes: Int64 = 1 << 30
        /// All parts together, as the archive declares them.
        var totalBytes: Int64 = 4 << 30
        /// Rows of the sheet, the headings included (Excel's own limit).
        var rows = 1_048_576
    }

    /// The sheet as converted: its headings, and where each CSV record came from.
    struct Conversion {
        var sheet: String
        var headings: [String]
        var rows = 0
        /// Where the sheet's row numbers stop following the records' (an empty row skipped): the
        /// first record (1-based) after each gap and its sheet row.
        var breaks: [(record: Int, sheetRow: Int)] = []

        /// The sheet row of the record an import problem calls `line` (the headings are line 1).
        func sheetRow(ofLine line: Int64) -> Int64 {
            let record = Int(line) - 1
            guard let last = breaks.last(where: { $0.record <= record }) else { return line }
            return Int64(last.sheetRow + (record - last.record))
        }
    }

    let path: String
    var limits = Limits()

    /// Reads `sheet` (nil: the first), writing its rows after the headings as CSV to `output`.
    func convert(sheet wanted: String?, to output: FileHandle) throws -> Conversion {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw ImportRefused(reason: "the file starts like a zip archive but cannot be read as one (\(error)): save the workbook again as .xlsx")
        }
        var entries: [String: Entry] = [:]
        var count = 0
        var total: Int64 = 0
        for entry in archive {
            count += 1
            total += Int64(entry.uncompressedSize)
            guard count <= limits.entries else {
                throw ImportRefused(reason: "the archive has more than \(limits.entries) parts, more than any workbook: it is not imported")
            }
            guard Int64(entry.uncompressedSize) <= limits.partBytes, total <= limits.totalBytes else {
                throw ImportRefused(
                    reason: "the archive inflates to more than \(limits.partBytes >> 20) MiB for one part or \(limits.totalBytes >> 20) MiB in all: "
                        + "it is not imported (split the sheet into smaller workbooks)")
            }
            entries[entry.path] = entry
        }
        guard entries["xl/workbook.xml"] != nil || entries["[Content_Types].xml"] != nil else {
            if let mimetype = entries["mimetype"], let text = try? String(decoding: read(mimetype, in: archive), as: UTF8.self),
                text.contains("opendocument")
            {
                throw ImportRefused(reason: "the file is an OpenDocument spreadsheet (.ods): save it as Excel Workbook (.xlsx) or as CSV UTF-8")
            }
            throw ImportRefused(
                reason: "the zip archive is not an Excel workbook (it has no xl/workbook.xml): save the sheet as .xlsx or as CSV UTF-8")
        }
        func part(_ name: String) throws -> Entry {
            guard let entry = entries[name] else { throw ImportRefused(reason: "the workbook has no part \(name): save it again as .xlsx") }
            return entry
        }

        // The workbook: its sheets, date system, and where its parts are.
        var sheets: [(name: String, relation: String)] = []
        var date1904 = false
        try scan(try part("xl/workbook.xml"), in: archive) { event in
            guard case .start(let name, let attributes, _) = event else { return }
            if name == "sheet", let sheetName = attributes.first(where: { $0.name == "name" })?.value,
                let relation = attributes.first(where: { $0.name.hasSuffix(":id") || $0.name == "id" })?.value
            {
                sheets.append((sheetName, relation))
            } else if name == "workbookPr", let value = attributes.first(where: { $0.name == "date1904" })?.value {
                date1904 = value == "1" || value.lowercased() == "true"
            }
        }
        var targets: [String: String] = [:]
        var stylesPart = "xl/styles.xml"
        var sharedStringsPart = "xl/sharedStrings.xml"
        if let relations = entries["xl/_rels/workbook.xml.rels"] {
            try scan(relations, in: archive) { event in
                guard case .start("Relationship", let attributes, _) = event,
                    let id = attributes.first(where: { $0.name == "Id" })?.value,
                    let target = attributes.first(where: { $0.name == "Target" })?.value
                else { return }
                let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
                targets[id] = path
                let type = attributes.first(where: { $0.name == "Type" })?.value ?? ""
                if type.hasSuffix("/styles") { stylesPart = path }
                if type.hasSuffix("/sharedStrings") { sharedStringsPart = path }
            }
        }
        guard !sheets.isEmpty else { throw ImportRefused(reason: "the workbook has no sheets") }
        let chosen: (name: String, relation: String)
        if let wanted {
            guard let found = sheets.first(where: { $0.name.caseInsensitiveCompare(wanted) == .orderedSame }) else {
                throw ImportRefused(
                    reason: "the workbook has no sheet '\(wanted)': its sheets are \(sheets.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            chosen = found
        } else {
            chosen = sheets[0]
        }
        let sheetPart = targets[chosen.relation] ?? "xl/worksheets/sheet1.xml"

        let dates = try entries[stylesPart].map { try dateStyles(in: $0, archive: archive) } ?? []
        let strings = try entries[sharedStringsPart].map { try sharedStrings(in: $0, archive: archive) } ?? []

        var sheet = SheetRows(
            sheet: chosen.name, strings: strings, dateStyles: dates, date1904: date1904, rowLimit: limits.rows, output: output)
        try scan(try part(sheetPart), in: archive) { try sheet.handle($0) }
        try sheet.finish()
        return sheet.conversion
    }

    /// Inflates a part in chunks, scanning each as it comes; refuses one that inflates beyond
    /// the limit whatever its header says.
    private func scan(_ entry: Entry, in archive: Archive, _ handle: (XMLScanner.Event) throws -> Void) throws {
        var scanner = XMLScanner()
        var inflated: Int64 = 0
        let limit = limits.partBytes
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: false) { data in
                inflated += Int64(data.count)
                guard inflated <= limit else {
                    throw ImportRefused(reason: "the part \(entry.path) inflates to more than \(limit >> 20) MiB: the workbook is not imported")
                }
                try data.withUnsafeBytes { try scanner.feed($0, handle) }
            }
            try scanner.finish()
        } catch let refused as ImportRefused {
            throw refused
        } catch let malformed as XMLScanner.Malformed {
            throw ImportRefused(reason: "the workbook's part \(entry.path) is not well-formed XML: \(malformed.description)")
        } catch {
            throw ImportRefused(reason: "the workbook's part \(entry.path) cannot be read (\(error)): save the workbook again as .xlsx")
        }
    }

    private func read(_ entry: Entry, in archive: Archive) throws -> Data {
        var data = Data()
        _ = try archive.extract(entry, bufferSize: 1 << 16) { chunk in
            guard data.count + chunk.count <= 1 << 20 else { return }
            data.append(chunk)
        }
        return data
    }

    /// The shared strings, in order: each item's text, its rich text runs joined, phonetic
    /// guides left out.
    private func sharedStrings(in entry: Entry, archive: Archive) throws -> [String] {
        var strings: [String] = []
        var current = ""
        var inText = false
        var phonetic = 0
        try scan(entry, in: archive) { event in
            switch event {
            case .start(let name, _, let selfClosing):
                if name == "si" {
                    current = ""
                    if selfClosing { strings.append("") }
                } else if name == "rPh" && !selfClosing {
                    phonetic += 1
                } else if name == "t" && !selfClosing {
                    inText = phonetic == 0
                }
            case .end(let name):
                if name == "si" { strings.append(current) } else if name == "rPh" { phonetic -= 1 } else if name == "t" { inText = false }
            case .text(let text):
                if inText { current += text }
            }
        }
        return strings
    }

    /// For each cell style (the `s` of a cell), whether its number format shows a date, and
    /// whether with the time.
    private func dateStyles(in entry: Entry, archive: Archive) throws -> [DateStyle] {
        var formats: [Int: String] = [:]
        var styles: [DateStyle] = []
        var inCellFormats = false
        try scan(entry, in: archive) { event in
            switch event {
            case .start(let name, let attributes, let selfClosing):
                if name == "numFmt", let id = attributes.first(where: { $0.name == "numFmtId" }).flatMap({ Int($0.value) }) {
                    formats[id] = attributes.first(where: { $0.name == "formatCode" })?.value ?? ""
                } else if name == "cellXfs" && !selfClosing {
                    inCellFormats = true
                } else if name == "xf" && inCellFormats {
                    let id = attributes.first(where: { $0.name == "numFmtId" }).flatMap { Int($0.value) } ?? 0
                    styles.append(DateStyle(formatID: id, code: formats[id]))
                }
            case .end(let name):
                if name == "cellXfs" { inCellFormats = false }
            case .text:
                break
            }
        }
        return styles
    }
}

/// Whether a number format shows dates (and times).
enum DateStyle: Equatable {
    case number
    case date
    case dateTime

    init(formatID: Int, code: String?) {
        switch formatID {
        case 14...17, 27...31, 34...36, 50...58: self = .date
        case 18...22, 32, 33, 45...47: self = .dateTime
        default:
            guard let code else {
                self = .number
                return
            }
            // Quoted text, escaped characters and [brackets] (colours, locales, conditions) say nothing of dates.
            var plain = ""
            var quoted = false
            var bracket = false
            var escaped = false
            for character in code {
                if escaped {
                    escaped = false
                } else if quoted {
                    if character == "\"" { quoted = false }
                } else if bracket {
                    if character == "]" { bracket = false }
                } else if character == "\"" {
                    quoted = true
                } else if character == "[" {
                    bracket = true
                } else if character == "\\" || character == "_" || character == "*" {
                    escaped = true
                } else {
                    plain.append(character)
                }
            }
            let lower = plain.lowercased()
            if lower.contains("general") || !lower.contains(where: { "dmyhs".contains($0) }) {
                self = .number
            } else if lower.contains(where: { "dy".contains($0) }) || (lower.contains("m") && !lower.contains("h") && !lower.contains("s")) {
                self = lower.contains("h") || lower.contains("s") ? .dateTime : .date
            } else {
                self = .dateTime
            }
        }
    }
}

/// The sheet's rows, as its XML streams past: each cell's text, each row written as a CSV
/// record under the headings of the first row.
private struct SheetRows {
    let strings: [String]
    let dateStyles: [DateStyle]
    let date1904: Bool
    let rowLimit: Int
    let output: FileHandle
    var conversion: Conversion

    typealias Conversion = WorkbookReader.Conversion

    init(sheet: String, strings: [String], dateStyles: [DateStyle], date1904: Bool, rowLimit: Int, output: FileHandle) {
        self.strings = strings
        self.dateStyles = dateStyles
        self.date1904 = date1904
        self.rowLimit = rowLimit
        self.output = output
        conversion = Conversion(sheet: sheet, headings: [])
    }

    private var rowNumber = 0
    private var headingsRead = false
    private var lastRecordRow = 0
    private var cells: [Int: String] = [:]
    private var column = -1
    private var type = ""
    private var style = 0
    private var value = ""
    private var formula = false
    private var capturing = false
    private var inInline = false
    private var phonetic = 0
    private var buffer: [UInt8] = []

    mutating func handle(_ event: XMLScanner.Event) throws {
        switch event {
        case .start(let name, let attributes, let selfClosing):
            switch name {
            case "row":
                let number = attributes.first(where: { $0.name == "r" }).flatMap { Int($0.value) } ?? rowNumber + 1
                guard number > rowNumber else { throw ImportRefused(reason: "the sheet's row \(number) comes after row \(rowNumber)") }
                guard number <= rowLimit else {
                    throw ImportRefused(reason: "the sheet has more than \(rowLimit) rows, the most one import takes: split it")
                }
                rowNumber = number
                cells.removeAll(keepingCapacity: true)
                column = -1
                if selfClosing { try endRow() }
            case "c":
                let reference = attributes.first(where: { $0.name == "r" })?.value
                column = reference.flatMap(Self.columnIndex) ?? column + 1
                type = attributes.first(where: { $0.name == "t" })?.value ?? "n"
                style = attributes.first(where: { $0.name == "s" }).flatMap { Int($0.value) } ?? 0
                value = ""
                formula = false
                inInline = false
                phonetic = 0
                if selfClosing { try endCell() }
            case "v": capturing = !selfClosing
            case "f": formula = true
            case "is": inInline = !selfClosing
            case "rPh": if !selfClosing { phonetic += 1 }
            case "t": capturing = inInline && phonetic == 0 && !selfClosing
            default: break
            }
        case .end(let name):
            switch name {
            case "v", "t": capturing = false
            case "rPh": phonetic -= 1
            case "is": inInline = false
            case "c": try endCell()
            case "row": try endRow()
            default: break
            }
        case .text(let text):
            if capturing { value += text }
        }
    }

    mutating func finish() throws {
        guard headingsRead else {
            throw ImportRefused(
                reason: "the sheet '\(conversion.sheet)' is empty: it needs the headings in its first row, then one row per adjustment "
                    + "(postgate adjustments template --format xlsx)")
        }
        if !buffer.isEmpty { try flush() }
    }

    private var cellName: String { Self.columnName(column) + String(rowNumber) }

    private mutating func endCell() throws {
        let text: String?
        switch type {
        case "s":
            guard let index = Int(value), strings.indices.contains(index) else {
                throw ImportRefused(reason: "cell \(cellName) names shared text \(value), which the workbook does not have: save it again")
            }
            text = strings[index]
        case "inlineStr", "str":
            text = value
        case "b":
            text = value.isEmpty ? nil : (value == "1" || value.lowercased() == "true" ? "TRUE" : "FALSE")
        case "e":
            throw ImportRefused(reason: "cell \(cellName) holds the error \(value): correct the formula or type the value, save, and import again")
        case "d":
            // An ISO 8601 date (and time), as some writers store dates.
            text = value.hasSuffix("T00:00:00") || value.hasSuffix("T00:00:00Z") ? String(value.prefix(10)) : value
        default:
            if value.isEmpty {
                guard !formula else {
                    throw ImportRefused(
                        reason: "cell \(cellName) has a formula without its calculated value (the workbook was written by a program "
                            + "that does not calculate): open it in a spreadsheet, save it, and import again")
                }
                text = nil
            } else if let kind = dateStyles.indices.contains(style) ? dateStyles[style] : nil, kind != .number {
                text = Self.dateText(value, date1904: date1904, withTime: kind == .dateTime) ?? value
            } else if let number = Decimal(string: value, locale: Locale(identifier: "en_US_POSIX")) {
                text = number.description
            } else {
                text = value
            }
        }
        if let text, !text.isEmpty, column >= 0 { cells[column] = text }
    }

    private mutating func endRow() throws {
        guard !cells.isEmpty else { return }
        if !headingsRead {
            let last = cells.keys.max() ?? -1
            conversion.headings = (0...max(last, 0)).map { cells[$0] ?? "" }
            headingsRead = true
            lastRecordRow = rowNumber
            return
        }
        let width = conversion.headings.count
        if let stray = cells.keys.filter({ $0 >= width }).min() {
            throw ImportRefused(
                reason: "cell \(Self.columnName(stray))\(rowNumber) has a value in a column without a heading: give the column a heading or clear it")
        }
        conversion.rows += 1
        if rowNumber != lastRecordRow + 1 { conversion.breaks.append((conversion.rows, rowNumber)) }
        lastRecordRow = rowNumber
        for index in 0..<width {
            if index > 0 { buffer.append(UInt8(ascii: ",")) }
            guard let text = cells[index] else { continue }
            buffer.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") { buffer.append(byte) }
                buffer.append(byte)
            }
            buffer.append(UInt8(ascii: "\""))
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 20 { try flush() }
    }

    private mutating func flush() throws {
        try output.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// 0 for A, 25 for Z, 26 for AA: the letters of a cell reference such as C7.
    static func columnIndex(_ reference: String) -> Int? {
        var index = 0
        var letters = 0
        for byte in reference.utf8 {
            if byte >= 65 && byte <= 90 {
                index = index * 26 + Int(byte - 64)
            } else if byte >= 97 && byte <= 122 {
                index = index * 26 + Int(byte - 96)
            } else {
                break
            }
            letters += 1
            guard letters <= 3 else { return nil }
        }
        return letters == 0 ? nil : index - 1
    }

    /// A for 0, AA for 26.
    static func columnName(_ index: Int) -> String { WorkbookColumns.name(index) }

    /// A date cell's serial number as YYYY-MM-DD (and hh:mm:ss): days since 1904-01-01, or in
    /// the 1900 system since 1899-12-31, counting the 29 February 1900 that never was (serial 60).
    static func dateText(_ serial: String, date1904: Bool, withTime: Bool) -> String? {
        guard let number = Decimal(string: serial, locale: Locale(identifier: "en_US_POSIX")), number >= 0 else { return nil }
        var whole = Decimal()
        var copy = number
        NSDecimalRound(&whole, &copy, 0, .down)
        guard let days = Int(exactly: NSDecimalNumber(decimal: whole).int64Value) else { return nil }
        var seconds = 0
        if withTime {
            var fraction = (number - whole) * 86_400
            var rounded = Decimal()
            NSDecimalRound(&rounded, &fraction, 0, .plain)
            seconds = Int(NSDecimalNumber(decimal: rounded).int64Value)
        }
        let date: String
        if date1904 {
            date = LocalDate(daysSinceUnixEpoch: days - 24_107).description
        } else if days == 60 {
            date = "1900-02-29"
        } else {
            date = LocalDate(daysSinceUnixEpoch: days - (days > 60 ? 25_569 : 25_568)).description
        }
        guard withTime else { return date }
        return date + String(format: " %02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}

/// Column letters of a sheet.
enum WorkbookColumns {
    /// A for 0, Z for 25, AA for 26.
    static func name(_ index: Int) -> String {
        var index = index + 1
        var letters: [Character] = []
        while index > 0 {
            let remainder = (index - 1) % 26
            letters.insert(Character(Unicode.Scalar(UInt8(65 + remainder))), at: 0)
            index = (index - 1) / 26
        }
        return String(letters)
    }
}

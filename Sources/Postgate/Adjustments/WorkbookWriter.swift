import Foundation
import Postgres
import ZIPFoundation

/// One cell of a written sheet.
public enum WorkbookCell: Sendable {
    case empty
    /// Text, kept as typed (a customer code's leading zeros too).
    case text(String)
    /// A number shown with `decimals` decimals.
    case number(Decimal, decimals: Int)
    /// A whole number.
    case integer(Int64)
    case date(LocalDate)
    /// A date and time of day (UTC), from YYYY-MM-DD HH:MM:SS.
    case dateTime(String)
}

/// Writes an .xlsx workbook: each sheet's rows go to a temporary file as they are given, so
/// memory holds one row; `finish` zips the parts. Headings are bold and frozen above the rows;
/// dates are date cells (yyyy-mm-dd), amounts number cells with their currency's decimals,
/// codes and other text inline strings.
public final class WorkbookWriter {
    private struct Sheet {
        var name: String
        var path: String
        var handle: FileHandle
        var widths: [Int]
        var rows = 0
    }

    private var sheets: [Sheet] = []
    private var buffer: [UInt8] = []
    private let folder: String

    public init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-workbook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit {
        for sheet in sheets { try? sheet.handle.close() }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts a sheet with its headings (bold, frozen); `widths` are the columns' widths in characters.
    public func addSheet(_ name: String, headings: [String], widths: [Int]) throws {
        try flush()
        let path = folder + "/sheet\(sheets.count + 1).xml"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ImportRefused(reason: "cannot write a temporary file in \(folder)")
        }
        var columns = ""
        for (index, width) in widths.enumerated() {
            columns += "<col min=\"\(index + 1)\" max=\"\(index + 1)\" width=\"\(width)\" customWidth=\"1\"/>"
        }
        let start = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
            </sheetView></sheetViews><cols>\(columns)</cols><sheetData>
            """
        try handle.write(contentsOf: Data(start.utf8))
        sheets.append(Sheet(name: name, path: path, handle: handle, widths: widths))
        try row(headings.map(WorkbookCell.text), style: Style.heading)
    }

    /// Adds a row to the last sheet added.
    public func row(_ cells: [WorkbookCell]) throws { try row(cells, style: nil) }

    private func row(_ cells: [WorkbookCell], style heading: Int?) throws {
        precondition(!sheets.isEmpty, "addSheet first")
        sheets[sheets.count - 1].rows += 1
        let number = sheets[sheets.count - 1].rows
        append("<row r=\"\(number)\">")
        for (index, cell) in cells.enumerated() {
            let reference = WorkbookColumns.name(index) + String(number)
            switch cell {
            case .empty:
                continue
            case .text(let text):
                append("<c r=\"\(reference)\" t=\"inlineStr\" s=\"\(heading ?? Style.text)\"><is><t xml:space=\"preserve\">")
                appendEscaped(text)
                append("</t></is></c>")
            case .number(let value, let decimals):
                append("<c r=\"\(reference)\" s=\"\(Style.amount(decimals: decimals))\"><v>\(value.description)</v></c>")
            case .integer(let value):
                append("<c r=\"\(reference)\"><v>\(value)</v></c>")
            case .date(let date):
                append("<c r=\"\(reference)\" s=\"\(Style.date)\"><v>\(Self.serial(date))</v></c>")
            case .dateTime(let text):
                if let serial = Self.serial(dateTime: text) {
                    append("<c r=\"\(reference)\" s=\"\(Style.dateTime)\"><v>\(serial)</v></c>")
                } else {
                    append("<c r=\"\(reference)\" t=\"inlineStr\" s=\"\(Style.text)\"><is><t>")
                    appendEscaped(text)
                    append("</t></is></c>")
                }
            }
        }
        append("</row>")
        if buffer.count >= 1 << 20 { try flush() }
    }

    /// Zips the workbook into `path`.
    public func finish(to path: String) throws {
        try flush()
        for sheet in sheets {
            try sheet.handle.write(contentsOf: Data("</sheetData></worksheet>".utf8))
            try sheet.handle.close()
        }
        try? FileManager.default.removeItem(atPath: path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        func add(_ name: String, _ text: String) throws {
            let data = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        var overrides = ""
        var workbookSheets = ""
        var relations = ""
        for (index, sheet) in sheets.enumerated() {
            overrides +=
                "<Override PartName=\"/xl/worksheets/sheet\(index + 1).xml\" "
                + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            workbookSheets += "<sheet name=\"\(Self.escaped(sheet.name))\" sheetId=\"\(index + 1)\" r:id=\"rId\(index + 1)\"/>"
            relations +=
                "<Relationship Id=\"rId\(index + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" "
                + "Target=\"worksheets/sheet\(index + 1).xml\"/>"
        }
        let styles = sheets.count + 1
        try add(
            "[Content_Types].xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
            \(overrides)</Types>
            """)
        try add(
            "_rels/.rels",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
            Target="xl/workbook.xml"/></Relationships>
            """)
        try add(
            "xl/workbook.xml",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <workbookPr/><sheets>\(workbookSheets)</sheets></workbook>
            """)
        try add(
            "xl/_rels/workbook.xml.rels",
            """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\(relations)\
            <Relationship Id="rId\(styles)" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
            Target="styles.xml"/></Relationships>
            """)
        try add("xl/styles.xml", Style.part)
        for (index, sheet) in sheets.enumerated() {
            let size = Int64((try FileManager.default.attributesOfItem(atPath: sheet.path)[.size] as? NSNumber)?.int64Value ?? 0)
            guard let reader = FileHandle(forReadingAtPath: sheet.path) else { throw ImportRefused(reason: "cannot read back \(sheet.path)") }
            defer { try? reader.close() }
            try archive.addEntry(
                with: "xl/worksheets/sheet\(index + 1).xml", type: .file, uncompressedSize: size, compressionMethod: .deflate,
                bufferSize: 1 << 16
            ) { position, size in
                try reader.seek(toOffset: UInt64(position))
                return try reader.read(upToCount: size) ?? Data()
            }
        }
    }

    private func flush() throws {
        guard let sheet = sheets.last, !buffer.isEmpty else { return }
        try sheet.handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    private func appendEscaped(_ text: String) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): append("&amp;")
            case UInt8(ascii: "<"): append("&lt;")
            case UInt8(ascii: ">"): append("&gt;")
            case UInt8(ascii: "\""): append("&quot;")
            // XML 1.0 has no place for other control characters.
            case 0x00...0x08, 0x0B, 0x0C, 0x0E...0x1F: continue
            default: buffer.append(byte)
            }
        }
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// The 1900 date system's serial number of a date (after February 1900).
    static func serial(_ date: LocalDate) -> Int {
        date.daysSinceUnixEpoch + 25_569
    }

    /// YYYY-MM-DD HH:MM:SS as a serial number with the time as its fraction.
    static func serial(dateTime text: String) -> String? {
        let parts = text.split(separator: " ")
        guard parts.count == 2, let date = LocalDate(String(parts[0])) else { return nil }
        let time = parts[1].split(separator: ":").compactMap { Int($0.prefix(2)) }
        guard time.count == 3 else { return nil }
        let seconds = time[0] * 3600 + time[1] * 60 + time[2]
        var fraction = Decimal(seconds) / 86_400
        var rounded = Decimal()
        NSDecimalRound(&rounded, &fraction, 10, .plain)
        return (Decimal(serial(date)) + rounded).description
    }

    /// The cell formats of the styles part, by index.
    enum Style {
        static let heading = 1
        static let date = 2
        static let dateTime = 3
        static let text = 4
        static let maximumDecimals = 6
        /// Amounts with 0 to 6 decimals.
        static func amount(decimals: Int) -> Int { 5 + min(max(decimals, 0), maximumDecimals) }

        static var part: String {
            let amountFormats = (0...maximumDecimals).map { decimals in
                "<numFmt numFmtId=\"\(166 + decimals)\" formatCode=\"#,##0\(decimals > 0 ? "." + String(repeating: "0", count: decimals) : "")\"/>"
            }
            let amountStyles = (0...maximumDecimals).map {
                "<xf numFmtId=\"\(166 + $0)\" fontId=\"0\" fillId=\"0\" borderId=\"0\" applyNumberFormat=\"1\"/>"
            }
            return """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
                <numFmts count="\(2 + amountFormats.count)"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>\
                <numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/>\(amountFormats.joined())</numFmts>\
                <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
                <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
                <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
                <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
                <cellXfs count="\(5 + amountStyles.count)"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
                <xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/>\
                <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                <xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                <xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                \(amountStyles.joined())</cellXfs>\
                <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
                """
        }
    }
}

import Crypto
import Foundation
import Postgres

/// The text encodings a spreadsheet's CSV file comes in.
public enum FileEncoding: String, Sendable, CaseIterable, Codable {
    case utf8 = "utf-8"
    /// What LibreOffice's and Excel's default "CSV" writes on a Western system.
    case windows1252 = "windows-1252"
    case latin1 = "latin-1"

    /// The name COPY's ENCODING option takes.
    var postgresName: String {
        switch self {
        case .utf8: "UTF8"
        case .windows1252: "WIN1252"
        case .latin1: "LATIN1"
        }
    }

    public var displayName: String {
        switch self {
        case .utf8: "UTF-8"
        case .windows1252: "Windows-1252"
        case .latin1: "Latin-1"
        }
    }
}

/// One streaming pass over a file: its checksum, whether it is UTF-8 and Windows-1252 text, and
/// the first spreadsheet row (the headings are row 1; a quoted value's line breaks stay in its
/// row) where it stops being either.
struct FileScan: Sendable {
    var checksum: String
    var firstRowNotUTF8: Int?
    var firstRowNotWindows1252: Int?

    /// Reads the file in 1 MiB chunks; nothing of it is kept.
    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ImportRefused(reason: "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = Crypto.SHA256()
        var validator = Scanner()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
            data.withUnsafeBytes { validator.consume($0) }
        }
        validator.finish()
        checksum = hasher.finalize().hex
        firstRowNotUTF8 = validator.firstRowNotUTF8
        firstRowNotWindows1252 = validator.firstRowNotWindows1252
    }

    /// The encoding to read the file with: the one asked for, if the file is text in it, else
    /// UTF-8 when it is valid UTF-8, else Windows-1252 when it is that.
    func encoding(asked: FileEncoding?) throws -> FileEncoding {
        switch asked {
        case .utf8?:
            if let row = firstRowNotUTF8 {
                throw ImportRefused(
                    reason: "row \(row) is not UTF-8 text: save the file as CSV UTF-8, or say how it was saved (--encoding windows-1252)")
            }
            return .utf8
        case .windows1252?:
            if let row = firstRowNotWindows1252 {
                throw ImportRefused(
                    reason: "row \(row) has a byte that Windows-1252 does not use: say how the file was saved (--encoding utf-8 or latin-1)")
            }
            return .windows1252
        case .latin1?:
            return .latin1
        case nil:
            if firstRowNotUTF8 == nil { return .utf8 }
            if firstRowNotWindows1252 == nil { return .windows1252 }
            throw ImportRefused(
                reason: "row \(max(firstRowNotUTF8 ?? 0, firstRowNotWindows1252 ?? 0)) is neither UTF-8 nor Windows-1252 text: "
                    + "save the file from the spreadsheet as CSV UTF-8, or say how it was saved (--encoding latin-1)")
        }
    }

    /// UTF-8 validity (strict: no overlong forms, no surrogates), Windows-1252 validity, and CSV
    /// row counting, byte by byte across chunk boundaries.
    struct Scanner {
        var row = 1
        var inQuotes = false
        var pending = 0
        var nextLow: UInt8 = 0x80
        var nextHigh: UInt8 = 0xBF
        var firstRowNotUTF8: Int?
        var firstRowNotWindows1252: Int?

        mutating func consume(_ bytes: UnsafeRawBufferPointer) {
            for byte in bytes {
                if pending > 0 {
                    if byte < nextLow || byte > nextHigh {
                        notUTF8()
                        pending = 0
                    } else {
                        pending -= 1
                        nextLow = 0x80
                        nextHigh = 0xBF
                        if byte == 0x81 || byte == 0x8D || byte == 0x8F || byte == 0x90 || byte == 0x9D { notWindows1252() }
                        continue
                    }
                }
                switch byte {
                case UInt8(ascii: "\""): inQuotes.toggle()
                case UInt8(ascii: "\n"): if !inQuotes { row += 1 }
                case 0x00..<0x80: break
                case 0xC2...0xDF: start(1)
                case 0xE0: start(2, low: 0xA0)
                case 0xE1...0xEC, 0xEE, 0xEF: start(2)
                case 0xED: start(2, high: 0x9F)
                case 0xF0: start(3, low: 0x90)
                case 0xF1...0xF3: start(3)
                case 0xF4: start(3, high: 0x8F)
                default: notUTF8()
                }
                if byte == 0x81 || byte == 0x8D || byte == 0x8F || byte == 0x90 || byte == 0x9D { notWindows1252() }
            }
        }

        mutating func finish() {
            if pending > 0 { notUTF8() }
        }

        private mutating func start(_ continuations: Int, low: UInt8 = 0x80, high: UInt8 = 0xBF) {
            pending = continuations
            nextLow = low
            nextHigh = high
        }

        private mutating func notUTF8() {
            if firstRowNotUTF8 == nil { firstRowNotUTF8 = row }
        }

        private mutating func notWindows1252() {
            if firstRowNotWindows1252 == nil { firstRowNotWindows1252 = row }
        }
    }
}

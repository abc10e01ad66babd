import Foundation
import Postgate

/// JSON exactly as RFC 8259 has it, read into a `JSONValue`: no trailing commas, comments, bare
/// words, leading zeros or raw control characters, UTF-8 only, and no unpaired surrogate (which is
/// no text PostgreSQL could keep). A number of any size is JSON: one too large or too small for a
/// `Decimal` is read as NaN, which no field of the spec takes, so it is refused by the field's
/// rule, not as broken JSON. Nesting deeper than `maximumDepth` is refused.
struct StrictJSON {
    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var reason: String
        var description: String { "\(reason) at byte \(offset + 1)" }
    }

    static let maximumDepth = 128

    private let bytes: [UInt8]
    private var position = 0

    /// The value `bytes` hold, or `Malformed` saying what is wrong and where.
    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        var parser = StrictJSON(bytes: bytes)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw parser.malformed("text after the end of the value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func malformed(_ reason: String) -> Malformed { Malformed(offset: position, reason: reason) }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw malformed(current == nil ? "the body ends before \(what)" : "\(what) expected") }
        position += 1
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < Self.maximumDepth else { throw malformed("values nested more than \(Self.maximumDepth) deep") }
        guard let byte = current else { throw malformed("the body ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw malformed("a value expected")
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw malformed("a value expected")
        }
        position += expected.count
    }

    private mutating func object(depth: Int) throws -> JSONValue {
        position += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(fields)
        }
        while true {
            skipSpace()
            guard current == UInt8(ascii: "\"") else { throw malformed("a field name in double quotes expected") }
            let name = try string()
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' after a field name")
            skipSpace()
            fields[name] = try value(depth: depth + 1)
            skipSpace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"), "',' or '}'")
            return .object(fields)
        }
    }

    private mutating func array(depth: Int) throws -> JSONValue {
        position += 1
        var items: [JSONValue] = []
        skipSpace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(items)
        }
        while true {
            skipSpace()
            items.append(try value(depth: depth + 1))
            skipSpace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"), "',' or ']'")
            return .array(items)
        }
    }

    private mutating func digits() -> Int {
        let start = position
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { position += 1 }
        return position - start
    }

    private mutating func number() throws -> Decimal {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
            if let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { throw malformed("a number with a leading zero") }
        } else if digits() == 0 {
            throw malformed("a digit expected")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw malformed("a digit expected after the decimal point") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw malformed("a digit expected in the exponent") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        // Decimal keeps 38 digits and exponents to about ±127: what it cannot hold is no value any field takes.
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")), !value.isNaN else { return .nan }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        if value.isZero, mantissa.contains(where: { ("1"..."9").contains($0) }) { return .nan }
        return value
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw malformed("four hexadecimal digits expected after \\u") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw malformed("four hexadecimal digits expected after \\u")
            }
            value = value * 16 + UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func string() throws -> String {
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ end: Int) throws {
            guard end > runStart else { return }
            guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
                throw Malformed(offset: runStart, reason: "a string that is not UTF-8")
            }
            scalars.append(contentsOf: run.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw malformed("the body ends inside a string") }
            switch byte {
            case UInt8(ascii: "\""):
                try flush(position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(position)
                position += 1
                guard let escape = current else { throw malformed("the body ends inside a string") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw malformed("an unpaired surrogate (\\u\(String(code, radix: 16, uppercase: true)))")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw malformed("an unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw malformed("an unpaired surrogate (\\u\(String(code, radix: 16, uppercase: true)))")
                    }
                    scalars.append(Unicode.Scalar(code)!)
                default:
                    throw malformed("an unknown escape \\\(Character(Unicode.Scalar(escape)))")
                }
                runStart = position
            case 0x00..<0x20:
                throw malformed("a control character inside a string (escape it)")
            default:
                position += 1
            }
        }
    }
}

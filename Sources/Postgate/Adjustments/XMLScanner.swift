/// A streaming reader of the XML a workbook's parts are written in, fed chunk by chunk as they
/// come out of the zip: elements with their attributes, and text. Nothing is kept between
/// events but the tag or text being read, so memory stays flat however long the part.
///
/// It reads what workbooks hold: elements, attributes, character and the five named entity
/// references, CDATA sections, comments and processing instructions (skipped). Namespace
/// prefixes are dropped from element names (`x:row` is `row`); attribute names keep theirs
/// (`r:id`). A DTD is refused: workbooks have none, and entity expansion is how XML bombs work.
struct XMLScanner {
    enum Event {
        case start(name: String, attributes: [(name: String, value: String)], selfClosing: Bool)
        case end(name: String)
        case text(String)
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    private enum State {
        case text
        case tag
        case special
    }

    private var state = State.text
    private var text: [UInt8] = []
    private var tag: [UInt8] = []
    private var quote: UInt8 = 0

    /// Feeds the next bytes; `handle` receives each event they complete, in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        for byte in bytes {
            switch state {
            case .text:
                if byte == UInt8(ascii: "<") {
                    if !text.isEmpty {
                        try handle(.text(try Self.decoded(text)))
                        text.removeAll(keepingCapacity: true)
                    }
                    state = .tag
                    tag.removeAll(keepingCapacity: true)
                } else {
                    text.append(byte)
                }
            case .tag:
                if quote != 0 {
                    if byte == quote { quote = 0 }
                    tag.append(byte)
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                    tag.append(byte)
                } else if byte == UInt8(ascii: ">") {
                    try handle(try Self.element(tag))
                    state = .text
                } else {
                    tag.append(byte)
                    // Comments, CDATA and processing instructions end with their own markers.
                    if tag.count == 1 && (byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")) { state = .special }
                }
            case .special:
                tag.append(byte)
                guard byte == UInt8(ascii: ">") else { continue }
                if tag.starts(with: Array("!--".utf8)) {
                    if tag.count >= 6 && tag.suffix(3).elementsEqual("-->".utf8) { state = .text }
                } else if tag.starts(with: Array("![CDATA[".utf8)) {
                    if tag.suffix(3).elementsEqual("]]>".utf8) {
                        try handle(.text(String(decoding: tag[8..<(tag.count - 3)], as: UTF8.self)))
                        state = .text
                    }
                } else if tag.first == UInt8(ascii: "?") {
                    if tag.suffix(2).elementsEqual("?>".utf8) { state = .text }
                } else {
                    throw Malformed(
                        description: "it declares a document type (<!\(String(decoding: tag.prefix(20), as: UTF8.self))…), which workbooks never do")
                }
                if state == .text { tag.removeAll(keepingCapacity: true) }
            }
        }
    }

    /// Checks that the part ended outside any tag.
    func finish() throws {
        guard state == .text else { throw Malformed(description: "it ends inside a tag") }
    }

    private static func element(_ tag: [UInt8]) throws -> Event {
        var bytes = tag[...]
        if bytes.first == UInt8(ascii: "/") {
            return .end(name: localName(bytes.dropFirst().prefix { !isSpace($0) }))
        }
        var selfClosing = false
        if bytes.last == UInt8(ascii: "/") {
            selfClosing = true
            bytes = bytes.dropLast()
        }
        let nameBytes = bytes.prefix { !isSpace($0) }
        guard !nameBytes.isEmpty else { throw Malformed(description: "it has an element without a name") }
        var attributes: [(name: String, value: String)] = []
        var rest = bytes.dropFirst(nameBytes.count)
        while true {
            rest = rest.drop(while: isSpace)
            guard !rest.isEmpty else { break }
            let name = rest.prefix { $0 != UInt8(ascii: "=") && !isSpace($0) }
            rest = rest.dropFirst(name.count).drop(while: isSpace)
            guard rest.first == UInt8(ascii: "="), !name.isEmpty else {
                throw Malformed(description: "the attribute \(String(decoding: name, as: UTF8.self)) has no value")
            }
            rest = rest.dropFirst().drop(while: isSpace)
            guard let quote = rest.first, quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw Malformed(description: "the attribute \(String(decoding: name, as: UTF8.self)) is not quoted")
            }
            rest = rest.dropFirst()
            let value = rest.prefix { $0 != quote }
            guard value.count < rest.count else { throw Malformed(description: "an attribute value is not closed") }
            rest = rest.dropFirst(value.count + 1)
            attributes.append((String(decoding: name, as: UTF8.self), try decoded(value)))
        }
        return .start(name: localName(nameBytes), attributes: attributes, selfClosing: selfClosing)
    }

    private static func localName(_ name: ArraySlice<UInt8>) -> String {
        if let colon = name.lastIndex(of: UInt8(ascii: ":")) { return String(decoding: name[(colon + 1)...], as: UTF8.self) }
        return String(decoding: name, as: UTF8.self)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Text with its character and entity references replaced.
    static func decoded<Bytes: Collection>(_ bytes: Bytes) throws -> String where Bytes.Element == UInt8 {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "&") else {
                out.append(byte)
                index = bytes.index(after: index)
                continue
            }
            guard let end = bytes[index...].firstIndex(of: UInt8(ascii: ";")) else {
                throw Malformed(description: "it has an '&' that starts no reference")
            }
            let name = String(decoding: bytes[bytes.index(after: index)..<end], as: UTF8.self)
            switch name {
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "amp": out.append(UInt8(ascii: "&"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let code: UInt32?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    code = UInt32(name.dropFirst(2), radix: 16)
                } else if name.hasPrefix("#") {
                    code = UInt32(name.dropFirst(), radix: 10)
                } else {
                    code = nil
                }
                guard let code, let scalar = Unicode.Scalar(code) else {
                    throw Malformed(description: "it has the unknown reference &\(name);")
                }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            }
            index = bytes.index(after: end)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

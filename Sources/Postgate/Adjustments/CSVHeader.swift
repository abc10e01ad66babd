import Foundation

/// Reads the first record of a CSV file: its headings. Handles a UTF-8 byte-order mark, quotes,
/// and CRLF. Returns the headings and the byte offset where the data starts.
enum CSVHeader {
    static func parse(_ bytes: [UInt8]) -> (headings: [String], dataStart: Int)? {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        while index < bytes.count {
            let byte = bytes[index]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll()
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                fields.append(String(decoding: field, as: UTF8.self))
                var next = index + 1
                if byte == UInt8(ascii: "\r") && next < bytes.count && bytes[next] == UInt8(ascii: "\n") { next += 1 }
                return (fields, next)
            } else {
                field.append(byte)
            }
            index += 1
        }
        guard !quoted else { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        return (fields, bytes.count)
    }
}

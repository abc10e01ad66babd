import Foundation
import Hummingbird

/// A `multipart/form-data` form with one file, read as it arrives: the file's bytes go straight
/// to a temporary file (removed with `remove()`), the other fields (small) are kept. Memory holds
/// one chunk of the upload, whatever its size.
struct MultipartUpload {
    var form = ConsoleForm("")
    /// The uploaded file's path, its name as the browser gave it, and its size.
    var file: (path: String, name: String, size: Int)?

    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the request's body; at most `limit` bytes.
    static func read(_ request: Request, limit: Int) async throws -> MultipartUpload {
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data"),
            let boundaryText = type.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }).first(where: {
                $0.lowercased().hasPrefix("boundary=")
            })?.dropFirst("boundary=".count)
        else {
            throw Refused(description: "the form was not sent as a file upload (multipart/form-data)")
        }
        let boundary = Array(("\r\n--" + boundaryText.trimmingCharacters(in: CharacterSet(charactersIn: "\""))).utf8)
        var upload = MultipartUpload()
        var parser = Parser(boundary: boundary)
        var total = 0
        do {
            for try await chunk in request.body {
                total += chunk.readableBytes
                guard total <= limit else {
                    throw Refused(description: "the file is larger than the \(limit >> 20) MiB an upload may be: split it into smaller files")
                }
                try parser.feed(Array(chunk.readableBytesView), into: &upload)
            }
            try parser.finish(into: &upload)
        } catch {
            upload.remove()
            throw error
        }
        return upload
    }

    func remove() {
        if let file { try? FileManager.default.removeItem(atPath: file.path) }
    }

    /// The parts, from the bytes as they come: headers, then content up to the next boundary.
    private struct Parser {
        let boundary: [UInt8]
        /// Bytes not yet placed: they may hold the start of a boundary.
        var pending: [UInt8] = Array("\r\n".utf8)
        var inHeaders = true
        var done = false
        var name = ""
        var fileName: String?
        var value: [UInt8] = []
        var handle: FileHandle?
        var path: String?
        var size = 0

        init(boundary: [UInt8]) { self.boundary = boundary }

        mutating func feed(_ bytes: [UInt8], into upload: inout MultipartUpload) throws {
            guard !done else { return }
            pending += bytes
            while !done {
                if inHeaders {
                    // The first boundary (the preamble before it is skipped), then the part's headers.
                    guard let end = find(Array("\r\n\r\n".utf8), in: pending) else { return }
                    let head = String(decoding: pending[..<end], as: UTF8.self)
                    pending.removeFirst(end + 4)
                    guard let start = head.range(of: String(decoding: boundary.dropFirst(2), as: UTF8.self)) else {
                        throw Refused(description: "the upload is not a well-formed form")
                    }
                    let headers = head[start.upperBound...]
                    if headers.hasPrefix("--") {
                        done = true
                        return
                    }
                    try startPart(String(headers), into: &upload)
                    inHeaders = false
                } else {
                    if let end = find(boundary, in: pending) {
                        try write(Array(pending[..<end]))
                        pending.removeFirst(end)
                        try endPart(into: &upload)
                        inHeaders = true
                        // Keep "\r\n--boundary" for the header search, which looks for the boundary without its line end.
                        continue
                    }
                    // All but what could be the start of a boundary.
                    let keep = min(pending.count, boundary.count - 1)
                    try write(Array(pending[..<(pending.count - keep)]))
                    pending.removeFirst(pending.count - keep)
                    return
                }
            }
        }

        mutating func finish(into upload: inout MultipartUpload) throws {
            if !done && !inHeaders { throw Refused(description: "the upload ended before the form did: send it again") }
            try? handle?.close()
        }

        private mutating func startPart(_ headers: String, into upload: inout MultipartUpload) throws {
            name = ""
            fileName = nil
            value = []
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                for parameter in line.split(separator: ";").dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    guard pair.count == 2 else { continue }
                    let text = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if pair[0].lowercased() == "name" { name = text }
                    if pair[0].lowercased() == "filename" { fileName = text }
                }
            }
            if fileName != nil {
                guard upload.file == nil else { throw Refused(description: "send one file at a time") }
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("postgate-console-\(UUID().uuidString)").path
                guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                    throw Refused(description: "the service cannot write a temporary file: tell its administrator")
                }
                self.path = path
                self.handle = handle
                size = 0
                upload.file = (path, "", 0)
            }
        }

        private mutating func write(_ bytes: [UInt8]) throws {
            guard !bytes.isEmpty else { return }
            if let handle {
                try handle.write(contentsOf: bytes)
                size += bytes.count
            } else {
                value += bytes
                guard value.count <= 64 * 1024 else { throw Refused(description: "the field \(name) is too long") }
            }
        }

        private mutating func endPart(into upload: inout MultipartUpload) throws {
            if let handle, let path {
                try handle.close()
                self.handle = nil
                upload.file = (path, (fileName ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? "", size)
            } else {
                upload.form.append(name, String(decoding: value, as: UTF8.self))
            }
        }

        private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
            guard haystack.count >= needle.count, let first = needle.first else { return nil }
            var index = 0
            while index <= haystack.count - needle.count {
                if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }
    }
}

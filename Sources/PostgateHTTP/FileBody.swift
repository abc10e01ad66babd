import Foundation
import Postgate

/// A file the service answers with (an export written to a temporary file first), streamed a MiB
/// at a time: the API's exports and the console's both send files this way.
enum FileBody {
    /// A file's contents a MiB at a time, and its size; the file is removed once read (or
    /// abandoned), when `removingIt`.
    static func chunks(_ path: String, removingIt: Bool) throws -> (AsyncThrowingStream<ArraySlice<UInt8>, any Error>, Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Problem(.internal, title: "The export could not be read back", detail: "Try again; if it fails again, report it.")
        }
        let size = Int64((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0)
        let reader = SendableFile(handle: handle)
        let stream = AsyncThrowingStream<ArraySlice<UInt8>, any Error> { continuation in
            continuation.onTermination = { _ in
                try? reader.handle.close()
                if removingIt { try? FileManager.default.removeItem(atPath: path) }
            }
            Task {
                do {
                    while let data = try reader.handle.read(upToCount: 1 << 20), !data.isEmpty {
                        continuation.yield(ArraySlice(data))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
        return (stream, size)
    }
}

/// A file handle read or written from another task.
struct SendableFile: @unchecked Sendable {
    let handle: FileHandle
}

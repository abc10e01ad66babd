import CLibPQ
import Foundation

extension RawConnection {

    /// `COPY … FROM STDIN`: `produce` writes the data in chunks as it reads them (a file, a
    /// request body), so nothing needs to be held whole in memory. Returns the rows copied.
    func copyIn(_ statement: String, produce: (CopyInWriter) throws -> Void) throws -> Int {
        let writer = try beginCopyIn(statement)
        do {
            try produce(writer)
        } catch {
            _ = try? endCopyIn(writer, abandoning: "\(error)")
            throw error
        }
        return try endCopyIn(writer, abandoning: nil)
    }

    /// Starts a `COPY … FROM STDIN`; write with the returned writer, then call `endCopyIn`.
    func beginCopyIn(_ statement: String) throws(PostgresError) -> CopyInWriter {
        let handle = try live()
        guard let start = PQexec(handle, statement) else { throw failure(prefix: "could not start COPY") }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try check(start)
            throw PostgresError(kind: .clientMisuse, message: "statement is not COPY … FROM STDIN: \(statement.prefix(80))")
        }
        PQclear(start)
        return CopyInWriter(handle: handle)
    }

    /// Ends a `COPY … FROM STDIN`. With a reason, the copy is abandoned and nothing is stored.
    /// Returns the rows copied.
    func endCopyIn(_ writer: CopyInWriter, abandoning reason: String?) throws(PostgresError) -> Int {
        let handle = try live()
        var flushError: PostgresError?
        if reason == nil {
            do throws(PostgresError) { try writer.flush() } catch { flushError = error }
        }
        let abort = reason.map { "COPY abandoned by the client: \($0)" } ?? flushError.map { "COPY abandoned by the client: \($0)" }
        guard PQputCopyEnd(handle, abort) == 1 else { throw failure(prefix: "could not finish COPY") }
        let (rows, serverError) = copyResults(handle)
        if let flushError { throw flushError }
        if let serverError, reason == nil { throw serverError }
        return rows
    }

    /// `COPY … TO STDOUT`: hands each chunk (normally one row) to `consume` as it arrives.
    /// Returns the rows copied.
    func copyOut(_ statement: String, consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let handle = try live()
        guard let start = PQexec(handle, statement) else { throw failure(prefix: "could not start COPY") }
        guard PQresultStatus(start) == PGRES_COPY_OUT else {
            _ = try check(start)
            throw PostgresError(kind: .clientMisuse, message: "statement is not COPY … TO STDOUT: \(statement.prefix(80))")
        }
        PQclear(start)
        var consumerError: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &buffer, 0)
            if length == -1 { break }
            if length == -2 { throw failure(prefix: "COPY failed while reading") }
            if let buffer {
                if consumerError == nil {
                    // After a consumer error the rest is still drained, so the connection stays usable.
                    do { try consume(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch { consumerError = error }
                }
                PQfreemem(buffer)
            }
        }
        let (rows, serverError) = copyResults(handle)
        if let consumerError { throw consumerError }
        if let serverError { throw serverError }
        return rows
    }

    /// The results that end a COPY, read to the last so the connection is ready for the next
    /// statement: the rows copied, and the server's first error if there was one.
    private func copyResults(_ handle: OpaquePointer) -> (rows: Int, error: PostgresError?) {
        var rows = 0
        var serverError: PostgresError?
        while let result = PQgetResult(handle) {
            do throws(PostgresError) {
                rows = try check(result).affectedRows ?? rows
            } catch {
                serverError = serverError ?? error
            }
        }
        return (rows, serverError)
    }
}

/// Writes the data of a `COPY … FROM STDIN`, buffering small writes into larger messages.
public final class CopyInWriter: @unchecked Sendable {
    private let handle: OpaquePointer
    private var buffer: [UInt8] = []
    private let chunkSize = 64 * 1024

    init(handle: OpaquePointer) {
        self.handle = handle
        buffer.reserveCapacity(chunkSize)
    }

    public func write(_ text: String) throws(PostgresError) {
        try write(bytes: text.utf8)
    }

    public func write(bytes: some Collection<UInt8>) throws(PostgresError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try flush() }
    }

    func flush() throws(PostgresError) {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        buffer.removeAll(keepingCapacity: true)
        guard status == 1 else {
            throw PostgresError.connection(handle, kind: .connectionLost, prefix: "could not send COPY data")
        }
    }
}

import Foundation
import OpenAPIRuntime

/// Bytes handed from a connection's thread (a `COPY … TO STDOUT`) to a response body as they
/// arrive, in 64 KiB chunks and at most a few chunks ahead: the writer waits while the client
/// reads, so an export of any size holds little memory, and stops when the client goes away.
final class BytePipe: AsyncSequence, @unchecked Sendable {
    typealias Element = ArraySlice<UInt8>

    private let condition = NSCondition()
    private var ready: [ArraySlice<UInt8>] = []
    private var pending: [UInt8] = []
    private var finished = false
    private var failure: (any Error)?
    private var abandoned = false
    private var reader: CheckedContinuation<ArraySlice<UInt8>?, any Error>?
    private var starter: CheckedContinuation<Void, any Error>?
    let chunkSize = 64 * 1024
    let capacity = 8

    /// The writer's side, on a thread that may block: adds bytes, waiting while the reader is behind.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        condition.lock()
        defer { condition.unlock() }
        pending.append(contentsOf: bytes)
        guard pending.count >= chunkSize else { return }
        while ready.count >= capacity && !abandoned { condition.wait() }
        if abandoned { throw CancellationError() }
        hand(ArraySlice(pending))
        pending = []
    }

    /// The writer is done: what is pending goes out, then the end (or the failure).
    func finish(_ error: (any Error)? = nil) {
        condition.lock()
        defer { condition.unlock() }
        if !pending.isEmpty, error == nil { hand(ArraySlice(pending)) }
        pending = []
        finished = true
        failure = error
        if let waiting = starter {
            starter = nil
            if let error, ready.isEmpty { waiting.resume(throwing: error) } else { waiting.resume() }
        }
        if ready.isEmpty, let waiting = reader {
            reader = nil
            if let error { waiting.resume(throwing: error) } else { waiting.resume(returning: nil) }
        }
    }

    /// Waits for the first chunk or the end, so a writer that fails at once (a refused filter)
    /// is an error response rather than a broken body. Throws that failure.
    func started() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            defer { condition.unlock() }
            if !ready.isEmpty || (finished && failure == nil) {
                continuation.resume()
            } else if finished, let failure {
                continuation.resume(throwing: failure)
            } else {
                starter = continuation
            }
        }
    }

    private func hand(_ chunk: ArraySlice<UInt8>) {
        if let waiting = starter {
            starter = nil
            waiting.resume()
        }
        if let waiting = reader {
            reader = nil
            waiting.resume(returning: chunk)
        } else {
            ready.append(chunk)
        }
    }

    fileprivate func next() async throws -> ArraySlice<UInt8>? {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if !ready.isEmpty {
                continuation.resume(returning: ready.removeFirst())
                condition.signal()
            } else if finished {
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume(returning: nil) }
            } else {
                reader = continuation
            }
        }
    }

    /// The reader went away: the writer stops at its next write.
    fileprivate func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }

    final class AsyncIterator: AsyncIteratorProtocol {
        let pipe: BytePipe
        init(pipe: BytePipe) { self.pipe = pipe }
        deinit { pipe.abandon() }
        func next() async throws -> ArraySlice<UInt8>? { try await pipe.next() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pipe: self) }
}

import ArgumentParser
import Foundation
import Postgate
import Postgres
import PostingPolicy

/// A progress bar on standard error, drawn only on a terminal.
final class ProgressBar: @unchecked Sendable {
    private let terminal = isatty(STDERR_FILENO) == 1
    private let lock = NSLock()

    func show(_ done: Int, _ total: Int) {
        guard terminal, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let width = 30
        let filled = done * width / total
        FileHandle.standardError.write(
            Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)".utf8))
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

import Foundation

/// A dedicated thread that runs one connection's blocking libpq calls, one at a time.
///
/// libpq blocks in `poll()`; running it on the Swift concurrency pool would stall every task
/// behind it. Each connection gets its own thread instead, and the async API awaits the result.
final class BlockingExecutor: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Runs `body` on the thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws(PostgresError) -> T) async throws(PostgresError) -> T {
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            submit {
                do throws(PostgresError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        let accepted = !stopping
        if accepted { jobs.append(job) }
        condition.signal()
        condition.unlock()
        if !accepted { job() }  // after shutdown the caller's thread runs it: it will find the connection closed
    }

    /// Lets the thread finish the queued jobs and exit.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func runLoop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

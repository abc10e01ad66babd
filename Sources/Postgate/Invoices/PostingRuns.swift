import Foundation
import Postgres

/// A mass posting run in the background, as any instance of the service reads it.
public struct PostingRun: Sendable, Hashable {
    public enum Status: String, DatabaseText {
        case running, finished, stopped
    }
    public var token: UUID
    public var status: Status
    public var total: Int
    public var posted: Int
    public var alreadyPosted: Int
    public var notPosted: Int
    public var stoppedBecause: String?
}

/// Runs a preview's confirmation in the background, recording its progress and its end in the
/// database, so that a run started on one instance is read on any other.
public struct PostingRuns: Sendable {
    let pool: PostgresPool
    let service: PostingService

    public init(pool: PostgresPool, actor: String) {
        self.pool = pool
        service = PostingService(pool: pool, actor: actor)
    }

    /// Starts the run of `token` and returns at once; the posting goes on in a task of its own,
    /// on one connection that holds the run's lock while it runs. Refused (nothing started) if the
    /// token is unknown, its preview showed blocked invoices, the selection changed since the
    /// preview (`PreviewOutdated`: a draft edited or deleted, a customer put on hold or given new
    /// terms), or the run is going on anywhere. A run left `running` by a process that died holds
    /// no lock, so starting it again resumes it.
    public func start(_ token: UUID, chunkSize: Int = 1000) async throws -> PostingRun {
        let (database, posting) = (pool, service)
        let started = Once()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let task = Task.detached {
                do {
                    try await database.withConnection { connection in
                        let plan: ConfirmationPlan
                        do {
                            plan = try await posting.plan(token, on: connection)
                            try await domainErrors { _ = try await connection.query("SELECT api.start_posting_run(\(token), \(posting.actor))") }
                        } catch {
                            started.run { continuation.resume(throwing: error) }
                            return
                        }
                        started.run { continuation.resume() }
                        await Self.post(token, plan, on: connection, chunkSize: chunkSize, service: posting, database: database)
                        _ = try? await connection.query("SELECT api.release_posting_run(\(token))")
                    }
                } catch {
                    started.run { continuation.resume(throwing: error) }
                }
            }
            ActiveRuns.shared.add(token, task)
        }
        return try await run(token)
    }

    /// Runs the confirmation, recording its progress and its end.
    private static func post(
        _ token: UUID, _ plan: ConfirmationPlan, on connection: PostgresConnection, chunkSize: Int, service: PostingService, database: PostgresPool
    ) async {
        let record = { @Sendable (status: PostingRun.Status, posted: Int, already: Int, notPosted: Int, reason: String?) async in
            _ = try? await database.query(
                """
                SELECT api.record_posting_run(\(token), \(status.rawValue), \(Int32(clamping: posted)), \(Int32(clamping: already)),
                                              \(Int32(clamping: notPosted)), \(reason))
                """)
        }
        do {
            let result = try await service.confirm(
                token, on: connection, plan: plan, chunkSize: chunkSize, stop: { ActiveRuns.shared.stopReason },
                progress: { done, _ in Task { await record(.running, done, 0, 0, nil) } })
            await record(
                result.stoppedBecause == nil ? .finished : .stopped, result.posted.count, result.alreadyPosted.count, result.notPosted.count,
                result.stoppedBecause)
        } catch {
            await record(.stopped, 0, 0, 0, String(describing: error))
        }
        ActiveRuns.shared.remove(token)
    }

    /// Asks every run of this process to stop after its current chunk, and waits until they have:
    /// each is recorded as stopped, and starting it again resumes it. The service calls this when
    /// it shuts down.
    public static func stopAll() async {
        for task in ActiveRuns.shared.stopAll() { await task.value }
    }

    public func run(_ token: UUID) async throws -> PostingRun {
        try await domainErrors {
            guard let row = try await pool.query("SELECT * FROM api.posting_run(\(token))").first else {
                throw DomainError(kind: .notFound, field: "token", message: "there is no posting run \(token)", hint: "Start one from a preview.")
            }
            return PostingRun(
                token: try row.decode("token"), status: try row.decode("status"), total: try row.decode("total"), posted: try row.decode("posted"),
                alreadyPosted: try row.decode("already_posted"), notPosted: try row.decode("not_posted"),
                stoppedBecause: try row.decode("stopped_because"))
        }
    }
}

/// The runs going on in this process, and whether they are asked to stop.
final class ActiveRuns: @unchecked Sendable {
    static let shared = ActiveRuns()
    private let lock = NSLock()
    private var tasks: [UUID: Task<Void, Never>] = [:]
    private var stopped = false

    func add(_ token: UUID, _ task: Task<Void, Never>) { lock.withLock { tasks[token] = task } }
    func remove(_ token: UUID) { lock.withLock { _ = tasks.removeValue(forKey: token) } }

    /// Why runs must stop now, if they must.
    var stopReason: String? {
        lock.withLock { stopped ? "the service was stopped; start the run again to post the rest" : nil }
    }

    /// Asks every run to stop; the runs to wait for.
    func stopAll() -> [Task<Void, Never>] {
        lock.withLock {
            stopped = true
            return Array(tasks.values)
        }
    }
}

/// Runs its closure the first time only.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false

    func run(_ body: () -> Void) {
        let first = lock.withLock {
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}

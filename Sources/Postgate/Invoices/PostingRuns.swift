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
///
/// A run is held by a lease in its row, renewed by its runner while it runs: no session state, so
/// it works through a pooler in transaction mode. When the database goes away mid-run (a restart,
/// a failover) the runner waits for it and resumes; when the runner's process dies, its lease ends
/// and starting the run again, on any instance, takes it over.
public struct PostingRuns: Sendable {
    let pool: PostgresPool
    let service: PostingService
    /// How long a run is held without its runner renewing it.
    let lease: Duration
    /// How long a runner whose database went away keeps trying to resume before it gives up.
    let resumeWithin: Duration

    public init(pool: PostgresPool, actor: String, lease: Duration = .seconds(30), resumeWithin: Duration = .seconds(300)) {
        self.pool = pool
        service = PostingService(pool: pool, actor: actor)
        self.lease = lease
        self.resumeWithin = resumeWithin
    }

    /// Starts the run of `token` and returns at once; the posting goes on in a task of its own.
    /// Refused (nothing started) if the token is unknown, its preview showed blocked invoices, the
    /// selection changed since the preview (`PreviewOutdated`: a draft edited or deleted, a
    /// customer put on hold or given new terms), or another runner holds the run. A run whose
    /// runner died is free once its lease has ended, and starting it again resumes it.
    public func start(_ token: UUID, chunkSize: Int = 1000) async throws -> PostingRun {
        let runner = Runner(
            token: token, holder: UUID(), lease: lease, resumeWithin: resumeWithin, chunkSize: chunkSize, database: pool, service: service)
        let started = Once()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let task = Task.detached {
                let plan: ConfirmationPlan
                do {
                    plan = try await runner.begin()
                } catch {
                    started.run { continuation.resume(throwing: error) }
                    return
                }
                started.run { continuation.resume() }
                await runner.run(plan)
                ActiveRuns.shared.remove(token)
            }
            ActiveRuns.shared.add(token, task)
        }
        return try await run(token)
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

/// One run of a confirmation by this process: its lease, its attempts, its record.
struct Runner: Sendable {
    let token: UUID
    let holder: UUID
    let lease: Duration
    let resumeWithin: Duration
    let chunkSize: Int
    let database: PostgresPool
    let service: PostingService

    /// The lease as PostgreSQL reads an interval.
    var leaseInterval: String { "\(lease.components.seconds * 1000 + lease.components.attoseconds / 1_000_000_000_000_000) milliseconds" }

    /// Checks the preview against the database and takes the run's lease.
    func begin() async throws -> ConfirmationPlan {
        try await database.withConnection { connection in
            let plan = try await service.plan(token, on: connection)
            try await domainErrors {
                _ = try await connection.query(
                    "SELECT api.start_posting_run(\(token), \(service.actor), \(holder), \(leaseInterval)::interval)")
            }
            return plan
        }
    }

    /// Posts the plan, renewing the lease meanwhile. When the database goes away it waits for it
    /// (up to `resumeWithin`) and resumes from what the database says was posted, so that a chunk
    /// committed just before the connection broke is not posted twice; it stops when another
    /// runner has taken the run over, or the service stops.
    func run(_ plan: ConfirmationPlan) async {
        let held = LeaseState()
        let renewal = Task.detached { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: lease / 3)
                if Task.isCancelled { break }
                // A renewal the database cannot answer leaves the lease as it was: the run resumes
                // when the database is back, if nobody has taken it over by then.
                if let row = try? await database.query(
                    "SELECT api.renew_posting_run(\(token), \(holder), \(leaseInterval)::interval) AS held"
                ).first, (try? row.decode("held", as: Bool.self)) == false {
                    held.lose()
                }
            }
        }
        defer { renewal.cancel() }
        let stop = { @Sendable () -> String? in
            ActiveRuns.shared.stopReason ?? (held.lost ? "another service instance took the run over after its lease ended" : nil)
        }
        let startedAlready = Set(plan.result.alreadyPosted)
        let giveUp = ContinuousClock.now.advanced(by: resumeWithin)
        var postedByThisRun = Set<Int64>()
        var attemptPlan: ConfirmationPlan? = plan
        var last: MassPostingResult?
        var failure: String?
        while true {
            let before = postedByThisRun.count
            do {
                let result = try await database.withConnection { connection in
                    try await service.confirm(
                        token, on: connection, plan: attemptPlan, chunkSize: chunkSize, stop: stop,
                        progress: { done, _ in Task { await record(.running, posted: before + done, already: 0, notPosted: 0, reason: nil) } })
                }
                last = result
                postedByThisRun.formUnion(result.posted)
                guard result.connectionLost, stop() == nil, ContinuousClock.now < giveUp else { break }
            } catch let error as PostgresError where error.breaksConnection || error.kind == .connectionFailed || error.kind == .poolTimeout {
                guard stop() == nil, ContinuousClock.now < giveUp else {
                    failure = "the database could not be reached to resume the run (\(error.message))"
                    break
                }
            } catch {
                failure = String(describing: error)
                break
            }
            // Resume from what the database says: drafts this confirmation posted are skipped.
            attemptPlan = nil
            try? await Task.sleep(for: .seconds(1))
        }
        guard let last, failure == nil else {
            await record(.stopped, posted: postedByThisRun.count, already: 0, notPosted: 0, reason: failure ?? "the run did not start")
            return
        }
        // A chunk committed as its connection broke shows up in a later attempt as posted by this
        // confirmation but not by this attempt: it is this run's.
        postedByThisRun.formUnion(Set(last.alreadyPosted).subtracting(last.postedElsewhere).subtracting(startedAlready))
        let already = Set(last.alreadyPosted).subtracting(postedByThisRun).count
        await record(
            last.stoppedBecause == nil ? .finished : .stopped, posted: postedByThisRun.count, already: already, notPosted: last.notPosted.count,
            reason: last.stoppedBecause)
    }

    /// Records the run's progress or end, as its holder; a record the database cannot take now is
    /// retried for a while at the end (the run would otherwise look running until its lease ends).
    func record(_ status: PostingRun.Status, posted: Int, already: Int, notPosted: Int, reason: String?) async {
        let attempts = status == .running ? 1 : 30
        for attempt in 1...attempts {
            do {
                try await database.query(
                    """
                    SELECT api.record_posting_run(\(token), \(holder), \(status.rawValue), \(Int32(clamping: posted)), \(Int32(clamping: already)),
                                                  \(Int32(clamping: notPosted)), \(reason))
                    """)
                return
            } catch {
                if attempt < attempts { try? await Task.sleep(for: .seconds(1)) }
            }
        }
    }
}

/// Whether a runner has lost its run's lease to another.
final class LeaseState: @unchecked Sendable {
    private let lock = NSLock()
    private var isLost = false
    var lost: Bool { lock.withLock { isLost } }
    func lose() { lock.withLock { isLost = true } }
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

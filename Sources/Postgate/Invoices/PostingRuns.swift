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

    /// Starts the run of `token` and returns at once; the posting goes on in a task of its own.
    /// Refused (nothing started) if a run of the token is going, or the token is unknown.
    public func start(_ token: UUID, chunkSize: Int = 1000) async throws -> PostingRun {
        try await domainErrors {
            _ = try await pool.query("SELECT api.start_posting_run(\(token), \(service.actor))")
        }
        let (database, posting) = (pool, service)
        Task.detached {
            let record = { @Sendable (status: PostingRun.Status, posted: Int, already: Int, notPosted: Int, reason: String?) async in
                _ = try? await database.query(
                    """
                    SELECT api.record_posting_run(\(token), \(status.rawValue), \(Int32(clamping: posted)), \(Int32(clamping: already)),
                                                  \(Int32(clamping: notPosted)), \(reason))
                    """)
            }
            do {
                let result = try await posting.confirm(token, chunkSize: chunkSize) { done, _ in
                    Task { await record(.running, done, 0, 0, nil) }
                }
                await record(
                    result.stoppedBecause == nil ? .finished : .stopped, result.posted.count, result.alreadyPosted.count,
                    result.notPosted.count, result.stoppedBecause)
            } catch {
                await record(.stopped, 0, 0, 0, String(describing: error))
            }
        }
        return try await run(token)
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

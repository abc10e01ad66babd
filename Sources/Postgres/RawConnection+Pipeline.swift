import CLibPQ
import Foundation

extension RawConnection {

    /// Sends every statement without waiting for the previous one's result, then reads the
    /// results in order. All statements run in one implicit transaction (unless the caller
    /// opened one): when one fails, it reports its error, the later ones `.pipelineAborted`,
    /// and the earlier ones are rolled back with it.
    ///
    /// Statements are flushed in batches of a bounded size and their results read before the
    /// next batch is sent, so neither side can block on a full socket buffer.
    ///
    /// Outside a transaction block, the connection's settings go first (`settingsFirst`), and
    /// their results are not returned.
    func pipeline(_ queries: [PostgresQuery], settingsFirst: Bool = true) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        let handle = try live()
        if settingsFirst, !settings.isEmpty, PQtransactionStatus(handle) == PQTRANS_IDLE {
            let outcomes = try pipeline(settings + queries, settingsFirst: false)
            if let failed = outcomes.prefix(settings.count).first(where: { if case .failure = $0 { true } else { false } }),
                case .failure(let error) = failed
            {
                throw error
            }
            return Array(outcomes.dropFirst(settings.count))
        }
        guard PQenterPipelineMode(handle) == 1 else { throw failure(prefix: "could not enter pipeline mode") }
        var outcomes: [Result<PostgresResult, PostgresError>] = []
        outcomes.reserveCapacity(queries.count)
        var next = 0
        let batchBytes = 32 * 1024
        while next < queries.count {
            var pendingInBatch = 0
            var bytes = 0
            while next < queries.count && (bytes < batchBytes || pendingInBatch == 0) {
                let query = queries[next]
                let sent = withBinds(query.binds) { types, values in
                    PQsendQueryParams(handle, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
                }
                guard sent == 1 else {
                    PQexitPipelineMode(handle)
                    throw failure(prefix: "could not send statement \(next + 1) of the pipeline")
                }
                bytes += query.sql.utf8.count + query.binds.reduce(0) { $0 + ($1.text?.utf8.count ?? 0) + 8 }
                pendingInBatch += 1
                next += 1
            }
            if next == queries.count {
                guard PQpipelineSync(handle) == 1 else { throw failure(prefix: "could not send the pipeline's sync") }
            } else {
                guard PQsendFlushRequest(handle) == 1, PQflush(handle) == 0 else { throw failure(prefix: "could not flush the pipeline") }
            }
            for _ in 0..<pendingInBatch {
                outcomes.append(readPipelineResult(handle))
            }
        }
        if queries.isEmpty { _ = PQpipelineSync(handle) }
        // Read the sync point that closes the pipeline.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        guard PQexitPipelineMode(handle) == 1 else { throw failure(prefix: "could not leave pipeline mode") }
        return outcomes
    }

    /// One statement's result in pipeline mode: its result(s), then the NULL that ends them.
    func readPipelineResult(_ handle: OpaquePointer) -> Result<PostgresResult, PostgresError> {
        var outcome: Result<PostgresResult, PostgresError>?
        while let result = PQgetResult(handle) {
            let checked: Result<PostgresResult, PostgresError>
            do throws(PostgresError) { checked = .success(try check(result)) } catch { checked = .failure(error) }
            if outcome == nil { outcome = checked }
        }
        return outcome ?? .failure(failure(prefix: "no result for a pipelined statement"))
    }
}

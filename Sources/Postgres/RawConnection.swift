import CLibPQ
import Foundation

/// One libpq connection, used synchronously. Every call blocks; `PostgresConnection` confines a
/// `RawConnection` to its own thread and is what the rest of Postgate uses.
///
/// `@unchecked Sendable` because it is handed to its executor thread; it is never used from two
/// threads at once.
final class RawConnection: @unchecked Sendable {
    private var handle: OpaquePointer?

    private init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        if let handle { PQfinish(handle) }
    }

    static func connect(_ config: ConnectionConfig) throws(PostgresError) -> RawConnection {
        var parameters = config.parameters
        parameters.append(("client_encoding", "UTF8"))
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let handle = keywords.withUnsafeBufferPointer { keywordBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                keywordBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { keywordPointers in
                    valueBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { valuePointers in
                        PQconnectdbParams(keywordPointers.baseAddress, valuePointers.baseAddress, 1)
                    }
                }
            }
        }
        guard let handle else {
            throw PostgresError(kind: .connectionFailed, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            var error = PostgresError.connection(handle, kind: .connectionFailed, prefix: "could not connect to PostgreSQL")
            error.message += " (tried \(Self.target(handle)))"
            PQfinish(handle)
            throw error
        }
        // Server notices ("already exists, skipping") are not errors; libpq would print them
        // to standard error.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        let connection = RawConnection(handle: handle)
        // Fix the text formats this client decodes, whatever the server's or role's defaults.
        try connection.simpleQuery("SET DateStyle TO ISO, YMD; SET TimeZone TO 'UTC'; SET IntervalStyle TO iso_8601")
        return connection
    }

    /// Where a connection went, as libpq resolved it: socket folder or host and port, database, user.
    static func target(_ handle: OpaquePointer) -> String {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String { value.map { String(cString: $0) } ?? "" }
        let host = text(PQhost(handle)), port = text(PQport(handle))
        let place = host.hasPrefix("/") ? "the socket in \(host) (port \(port))" : "host \(host) port \(port)"
        return "\(place), database \(text(PQdb(handle))), user \(text(PQuser(handle)))"
    }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    private func live() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        return handle
    }

    var isOpen: Bool { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// True when the connection is open, idle outside any transaction, and the server has not
    /// sent anything unasked (a terminated backend sends its error and closes the socket).
    func isReusable() -> Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else { return false }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, 0)
        if ready != 0 { return false }
        return true
    }

    var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    var transactionStatus: PGTransactionStatusType { handle.map { PQtransactionStatus($0) } ?? PQTRANS_UNKNOWN }

    // MARK: Statements

    /// Runs one statement with its bind parameters (extended protocol: values never touch SQL text).
    func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresResult {
        let handle = try live()
        guard query.binds.count <= 65_535 else {
            throw PostgresError(kind: .clientMisuse, message: "a statement takes at most 65535 parameters; this one has \(query.binds.count)")
        }
        let result = withBinds(query.binds) { types, values in
            PQexecParams(handle, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
        }
        return try check(result)
    }

    /// Runs SQL text with no parameters, possibly several statements (a migration file). Fails
    /// on the first statement that fails.
    @discardableResult
    func simpleQuery(_ sql: String) throws(PostgresError) -> PostgresResult? {
        let handle = try live()
        guard PQsendQuery(handle, sql) == 1 else {
            throw failure(prefix: "could not send the statement")
        }
        var last: PostgresResult?
        var firstError: PostgresError?
        while let result = PQgetResult(handle) {
            do throws(PostgresError) {
                let checked = try check(result)
                last = checked
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return last
    }

    /// Turns a libpq result into a `PostgresResult`, or the error it carries.
    private func check(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let result else { throw failure(prefix: nil) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return PostgresResult(taking: result)
        case PGRES_PIPELINE_ABORTED:
            PQclear(result)
            throw PostgresError(kind: .pipelineAborted, message: "not run: an earlier statement in the pipeline failed")
        default:
            let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
            var error = PostgresError(result: result, kind: lost ? .connectionLost : .server)
            if error.sqlState == nil, lost { error.message = "the connection to the server was lost: \(error.message)" }
            PQclear(result)
            throw error
        }
    }

    private func failure(prefix: String?) -> PostgresError {
        let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        return .connection(handle, kind: lost ? .connectionLost : .server, prefix: prefix)
    }

    /// Lays the binds out as the C arrays libpq takes, valid only inside `body`.
    private func withBinds<R>(_ binds: [PostgresBind], _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        if binds.isEmpty { return body(nil, nil) }
        let types = binds.map { Oid($0.type.rawValue) }
        let values: [UnsafeMutablePointer<CChar>?] = binds.map { bind in bind.text.map { strdup($0) } ?? nil }
        defer { values.forEach { free($0) } }
        return types.withUnsafeBufferPointer { typeBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                valueBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { valuePointers in
                    body(typeBuffer.baseAddress, valuePointers.baseAddress)
                }
            }
        }
    }

    // MARK: COPY

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
        var rows = 0
        var serverError: PostgresError?
        while let result = PQgetResult(handle) {
            do throws(PostgresError) {
                rows = try check(result).affectedRows ?? rows
            } catch {
                serverError = serverError ?? error
            }
        }
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
        var rows = 0
        var serverError: PostgresError?
        while let result = PQgetResult(handle) {
            do throws(PostgresError) {
                rows = try check(result).affectedRows ?? rows
            } catch {
                serverError = serverError ?? error
            }
        }
        if let consumerError { throw consumerError }
        if let serverError { throw serverError }
        return rows
    }

    // MARK: Pipeline

    /// Sends every statement without waiting for the previous one's result, then reads the
    /// results in order. All statements run in one implicit transaction (unless the caller
    /// opened one): when one fails, it reports its error, the later ones `.pipelineAborted`,
    /// and the earlier ones are rolled back with it.
    ///
    /// Statements are flushed in batches of a bounded size and their results read before the
    /// next batch is sent, so neither side can block on a full socket buffer.
    func pipeline(_ queries: [PostgresQuery]) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        let handle = try live()
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
    private func readPipelineResult(_ handle: OpaquePointer) -> Result<PostgresResult, PostgresError> {
        var outcome: Result<PostgresResult, PostgresError>?
        while let result = PQgetResult(handle) {
            let checked: Result<PostgresResult, PostgresError>
            do throws(PostgresError) { checked = .success(try check(result)) } catch { checked = .failure(error) }
            if outcome == nil { outcome = checked }
        }
        return outcome ?? .failure(failure(prefix: "no result for a pipelined statement"))
    }

    // MARK: Passwords

    /// The SCRAM verifier of a password, computed here so the password itself never reaches
    /// the server's statement log.
    func encryptPassword(_ password: String, user: String) throws(PostgresError) -> String {
        let handle = try live()
        guard let encrypted = PQencryptPasswordConn(handle, password, user, "scram-sha-256") else {
            throw failure(prefix: "could not encrypt the password")
        }
        defer { PQfreemem(encrypted) }
        return String(cString: encrypted)
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

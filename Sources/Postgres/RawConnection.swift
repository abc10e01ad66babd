import CLibPQ
import Foundation

/// One libpq connection, used synchronously. Every call blocks; `PostgresConnection` confines a
/// `RawConnection` to its own thread and is what the rest of Postgate uses.
///
/// `@unchecked Sendable` because it is handed to its executor thread; it is never used from two
/// threads at once.
final class RawConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// `set_config(name, value, true)` for each of the config's `transactionSettings`: sent ahead
    /// of every statement that starts a transaction, in the same round trip.
    let settings: [PostgresQuery]

    private init(handle: OpaquePointer, settings: [String: String]) {
        self.handle = handle
        self.settings = settings.sorted { $0.key < $1.key }.map { "SELECT set_config(\($0.key), \($0.value), true)" }
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
            for pointer in keywords + values { free(pointer) }
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
        let connection = RawConnection(handle: handle, settings: config.transactionSettings)
        // Fix the text formats this client decodes, whatever the server's or role's defaults.
        // PgBouncer tracks these two (and only these, with client_encoding and application_name)
        // per client, so they hold through a pooler in transaction mode too.
        try connection.simpleQuery("SET DateStyle TO ISO, YMD; SET TimeZone TO 'UTC'")
        return connection
    }

    /// Where a connection went, as libpq resolved it: socket folder or host and port, database, user.
    static func target(_ handle: OpaquePointer) -> String {
        func text(_ value: UnsafeMutablePointer<CChar>?) -> String { value.map { String(cString: $0) } ?? "" }
        let host = text(PQhost(handle))
        let port = text(PQport(handle))
        let place = host.hasPrefix("/") ? "the socket in \(host) (port \(port))" : "host \(host) port \(port)"
        return "\(place), database \(text(PQdb(handle))), user \(text(PQuser(handle)))"
    }

    func close() {
        if let handle { PQfinish(handle) }
        handle = nil
    }

    func live() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(kind: .connectionLost, message: "the connection is closed") }
        return handle
    }

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
        if !settings.isEmpty, PQtransactionStatus(handle) == PQTRANS_IDLE {
            // The statement is a transaction of its own: it runs after the settings, in one.
            return try pipeline([query]).last!.get()
        }
        guard query.binds.count <= 65_535 else {
            throw PostgresError(kind: .clientMisuse, message: "a statement takes at most 65535 parameters; this one has \(query.binds.count)")
        }
        let result = withBinds(query.binds) { types, values in
            PQexecParams(handle, query.sql, Int32(query.binds.count), types, values, nil, nil, 0)
        }
        return try check(result)
    }

    /// Begins a transaction block (`sql` is a BEGIN the program wrote) and gives it the settings.
    func begin(_ sql: String) throws(PostgresError) {
        if settings.isEmpty {
            try simpleQuery(sql)
            return
        }
        for outcome in try pipeline([PostgresQuery(unsafeSQL: sql)] + settings, settingsFirst: false) { _ = try outcome.get() }
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
    func check(_ result: OpaquePointer?) throws(PostgresError) -> PostgresResult {
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

    func failure(prefix: String?) -> PostgresError {
        let lost = handle.map { PQstatus($0) != CONNECTION_OK } ?? true
        return .connection(handle, kind: lost ? .connectionLost : .server, prefix: prefix)
    }

    /// Lays the binds out as the C arrays libpq takes, valid only inside `body`.
    func withBinds<R>(_ binds: [PostgresBind], _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
        if binds.isEmpty { return body(nil, nil) }
        let types = binds.map { Oid($0.type.rawValue) }
        let values: [UnsafeMutablePointer<CChar>?] = binds.map { bind in bind.text.map { strdup($0) } ?? nil }
        defer { for pointer in values { free(pointer) } }
        return types.withUnsafeBufferPointer { typeBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                valueBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { valuePointers in
                    body(typeBuffer.baseAddress, valuePointers.baseAddress)
                }
            }
        }
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

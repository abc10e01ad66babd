import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Postgate
import PostgateHTTP
import Postgres
import PostgresServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API of openapi.yaml (the embedded server is started and migrated when it is the database).",
        discussion: """
            SIGTERM or SIGINT stops accepting requests, lets those in flight finish, stops posting runs after their current \
            chunk (start a run again to resume it), and closes the pool. \
            The spec is served at /openapi.yaml; /health says the process is alive, /ready that the database is reachable; \
            the operator console is at /console (sign in with a token).
            """
    )
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Flag(help: "Migrate the database first (the embedded server's always is).") var migrate = false
    @Option(help: "How log lines are written: text (message key=value …) or json (one object per line, for log collectors).")
    var logFormat: LogFormat = .text
    @Option(help: "Most connections the service opens to the database.") var connections = 10
    @Option(
        help: "Seconds a statement waits for a row another transaction holds before it is refused as busy (503, Retry-After).")
    var lockTimeout = 5
    @Option(help: "How long idempotency keys are kept, in hours.") var idempotencyHours = 24
    @Option(
        help:
            "Seconds a posting run stays held by this instance without renewing it (every third of it); after that another instance may take it over."
    )
    var runLeaseSeconds = 30
    @Option(name: .customLong("upload-limit-mib"), help: "The largest file upload (CSV or workbook) taken, in MiB.") var uploadLimit = 200

    func validate() throws {
        if !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535, not \(port)") }
        if connections < 1 { throw ValidationError("--connections must be at least 1") }
        if !(1...600).contains(lockTimeout) { throw ValidationError("--lock-timeout must be between 1 and 600 seconds, not \(lockTimeout)") }
        if !(2...3600).contains(runLeaseSeconds) { throw ValidationError("--run-lease-seconds must be between 2 and 3600, not \(runLeaseSeconds)") }
        if !(1...8760).contains(idempotencyHours) { throw ValidationError("--idempotency-hours must be between 1 and 8760") }
        if !(1...10240).contains(uploadLimit) { throw ValidationError("--upload-limit-mib must be between 1 and 10240, not \(uploadLimit)") }
    }

    func run() async throws {
        let logger = consoleLogger(verbose: connection.verbose, format: logFormat)
        let config = try await connection.target.prepare(logger: logger)
        if migrate || connection.target.isEmbedded {
            let database = try await PostgresConnection.connect(config, logger: logger)
            try await Migrator(directory: SQLFiles.locate(explicit: nil)).migrate(database, logger: logger)
            await database.close()
        }
        // A request never waits long for a row another holds: it is refused as busy, and retried.
        // Set in each transaction, not at connection start, so that it holds through PgBouncer.
        let pool = PostgresPool(
            config: config.settingEachTransaction("lock_timeout", "\(lockTimeout)s"), maxConnections: connections, acquireTimeout: .seconds(5),
            logger: logger)
        let app = try buildApplication(
            pool: pool, actor: postingActor(), host: host, port: port, logger: logger, idempotencyKeysLive: .seconds(idempotencyHours * 3600),
            uploadLimit: uploadLimit << 20, runLease: .seconds(runLeaseSeconds))
        logger.info(
            "Serving the Postgate API on http://\(host):\(port) (spec at /openapi.yaml) and the operator console at http://\(host):\(port)/console; stop with Ctrl-C."
        )
        try await app.runService()
        // Requests in flight have finished; posting runs stop after their current chunk, resumable.
        await PostingRuns.stopAll()
        await pool.shutdown()
    }
}

import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import Postgres

/// The Postgate service's application: the routes of `openapi.yaml`, the spec itself at
/// `/openapi.yaml`, and the operator console under `/console`, on `host:port`. The command line and the tests build it the same way.
public func buildApplication(
    pool: PostgresPool, actor: String, host: String, port: Int, logger: Logger, idempotencyKeysLive: Duration = .seconds(24 * 3600),
    uploadLimit: Int = 200 << 20, runLease: Duration = .seconds(30)
) throws -> some ApplicationProtocol {
    // A service that cannot check requests against its contract does not start.
    try Specification.shared.ready()
    ServiceMetrics.start()
    let router = Router()
    router.middlewares.add(RequestMiddleware(maximumBody: BodyLimits.json, maximumUpload: uploadLimit))
    try PostgateAPI(pool: pool, actor: actor, uploadLimit: uploadLimit, runLease: runLease).registerHandlers(
        on: router,
        middlewares: [
            // A request that breaks the contract is refused before its Idempotency-Key is claimed:
            // a key is spent only on a request the service can run.
            TokenAuthentication(pool: pool), RequestErrors(), Idempotency(pool: pool, timeToLive: idempotencyKeysLive),
        ])
    do {
        try Console(pool: pool, runLease: runLease, uploadLimit: uploadLimit).register(on: router)
    } catch {
        // The API does not depend on the console's files: without them, the console says what is missing.
        logger.error("the operator console is not served: \(error)")
        let message = "The operator console's files are missing (\(error)). The API works; see the README's Deploying section."
        for path in ["console", "console/**"] {
            router.get(RouterPath(path)) { _, _ in
                Response(
                    status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: message)))
            }
        }
    }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Postgate"), logger: logger)
}

/// A page for people: every route of the spec with its summary, and the spec itself below.
let documentationPage: String = {
    func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    let rows = Specification.shared.routes.map { route in
        "<tr><td><code>\(route.method) \(escape(route.path))</code></td><td>\(escape(route.summary))</td></tr>"
    }
    return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Postgate API</title>
        <style>body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}td{padding:.3rem .8rem;vertical-align:top}
        pre{background:#f4f4f4;padding:1rem;overflow:auto}</style></head>
        <body><h1>Postgate API</h1>
        <p>Send <code>Authorization: Bearer TOKEN</code>; errors are <code>application/problem+json</code>. The contract: <a href="/openapi.yaml">openapi.yaml</a>. People post from the <a href="/console">operator console</a>.</p>
        <table>\(rows.joined())</table>
        <h2>openapi.yaml</h2><pre>\(escape(SpecificationTable.text))</pre></body></html>
        """
}()

import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import Postgres

/// The Postgate service's application: the routes of `openapi.yaml`, the spec itself at
/// `/openapi.yaml`, on `host:port`. The command line and the tests build it the same way.
public func buildApplication(
    pool: PostgresPool, actor: String, host: String, port: Int, logger: Logger, idempotencyKeysLive: Duration = .seconds(24 * 3600)
) throws -> some ApplicationProtocol {
    let router = Router()
    router.middlewares.add(RequestMiddleware(maximumBody: 1 << 20))
    try PostgateAPI(pool: pool, actor: actor).registerHandlers(
        on: router, middlewares: [TokenAuthentication(pool: pool), Idempotency(pool: pool, timeToLive: idempotencyKeysLive)])
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(string: openAPISpecification)))
    }
    return Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: "Postgate"), logger: logger)
}

/// The contract, as served: the repository's `openapi.yaml`, which the generator also reads.
let openAPISpecification: String = {
    guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
        let text = try? String(contentsOf: url, encoding: .utf8)
    else { return "openapi: 3.1.0\n" }
    return text
}()

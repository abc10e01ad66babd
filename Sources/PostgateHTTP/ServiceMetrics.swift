import Foundation
import Metrics
import Postgres
import Prometheus

/// The service's metrics in Prometheus text at `/metrics`: requests by route and status with
/// latency histograms, invoices posted and postings refused by rule (counted by the posting
/// service), and the connection pool's use.
enum ServiceMetrics {
    /// One registry per process; swift-metrics is pointed at it the first time it is used.
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    static func start() { _ = registry }

    /// One request served: `route` is the spec's path template, so ids do not multiply series.
    static func request(method: String, route: String, status: Int, duration: Duration) {
        Counter(label: "postgate_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))])
            .increment()
        Metrics.Timer(label: "postgate_http_request_duration_seconds", dimensions: [("method", method), ("route", route)])
            .record(duration: duration)
    }

    /// Everything, as Prometheus reads it; the pool's gauges are read now.
    static func text(pool: PostgresPool) async -> String {
        let usage = await pool.usage
        for (state, value) in [("in_use", usage.inUse), ("idle", usage.idle), ("waiting", usage.waiting)] {
            registry.makeGauge(name: "postgate_pool_connections", labels: [("state", state)]).set(Double(value))
        }
        return registry.emitToString()
    }
}

/// What the log line of a request says about it, filled in as the request passes the layers.
final class RequestLog: @unchecked Sendable {
    @TaskLocal static var current: RequestLog?
    private let lock = NSLock()
    private var _token: String?

    /// The name of the token the request was made with.
    var token: String? {
        get { lock.withLock { _token } }
        set { lock.withLock { _token = newValue } }
    }
}

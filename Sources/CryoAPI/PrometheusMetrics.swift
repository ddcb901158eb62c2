import Foundation
import Hummingbird
import Metrics
import Prometheus
import Synchronization

/// The Prometheus backend of swift-metrics and the `/metrics` page. swift-metrics has one backend per
/// process, so it is bootstrapped once, by whoever asks for the registry first (`serve`, or the tests).
public enum PrometheusMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in (prometheusName(name), labels.map { (prometheusLabel($0.0), $0.1) }) }
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
            .seconds(10), .seconds(30),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// Hummingbird's metric names, renamed to Prometheus conventions; ours are already in them.
    static func prometheusName(_ name: String) -> String {
        switch name {
        case "hb.requests": return "http_server_requests_total"
        case "hb.request.errors": return "http_server_request_errors_total"
        case "http.server.request.duration": return "http_server_request_duration_seconds"
        case "http.server.active_requests": return "http_server_active_requests"
        default: return sanitized(name)
        }
    }

    static func prometheusLabel(_ label: String) -> String {
        switch label {
        case "http.route": return "route"
        case "http.request.method": return "method"
        case "http.response.status_code": return "status"
        default: return sanitized(label)
        }
    }

    /// Prometheus names are `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func sanitized(_ name: String) -> String {
        var out = String(name.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_") ? Character(scalar) : "_"
        })
        if let first = out.first, first.isNumber { out = "_" + out }
        return out
    }

    /// Runs before each scrape: gauges read from outside the process (the embedded cluster's backup state).
    public static let beforeScrape = Mutex<(@Sendable () -> Void)?>(nil)

    static func page(_ registry: PrometheusCollectorRegistry) -> Response {
        beforeScrape.withLock { $0 }?()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}

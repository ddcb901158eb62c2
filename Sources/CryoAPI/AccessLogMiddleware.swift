import HTTPTypes
import Hummingbird
import Logging

/// One log line per request: method, route template (never the concrete path, which can carry a
/// patient's subject code), status and time. Every line a request logs carries Hummingbird's `hb.request.id`.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        if let id = context.logger[metadataKey: "hb.request.id"] {
            // Lets a user quote the id of a failed request, and support find its log lines.
            response.headers[Self.requestIdHeader] = "\(id)"
        }
        let elapsed = ContinuousClock.now - start
        context.logger.info("request", metadata: [
            "method": "\(request.method)",
            "route": "\(context.endpointPath ?? "unmatched")",
            "status": "\(response.status.code)",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        return response
    }

    static var requestIdHeader: HTTPField.Name { HTTPField.Name("X-Request-Id")! }
}

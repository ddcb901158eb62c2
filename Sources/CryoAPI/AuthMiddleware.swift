import CryoDomain
import CryoStore
import Hummingbird
import Logging

/// Resolves `Authorization: Bearer TOKEN` to a principal for every route but the public ones,
/// and gives each request a logger carrying its request id.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: Store
    static var publicPaths: Set<String> { ["/health", "/health/ready", "/openapi.yaml"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var logger = context.logger
        // The route template, not the path: paths can carry a patient's subject code.
        logger[metadataKey: "request"] = "\(request.method) \(context.endpointPath ?? "unmatched")"
        if Self.publicPaths.contains(request.uri.path) {
            return try await RequestScope.$logger.withValue(logger) { try await next(request, context) }
        }
        guard let header = request.headers[.authorization] else {
            throw DomainError.unauthenticated("missing Authorization: Bearer TOKEN header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw DomainError.unauthenticated("the Authorization header must be 'Bearer TOKEN'")
        }
        let principal = try await store.authenticate(token: String(parts[1]), logger: logger)
        logger[metadataKey: "user"] = "\(principal.id)"
        return try await RequestScope.$principal.withValue(principal) {
            try await RequestScope.$logger.withValue(logger) { try await next(request, context) }
        }
    }
}

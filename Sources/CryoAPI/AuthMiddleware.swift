import CryoDomain
import CryoStore
import Hummingbird
import Logging
import NIOCore

/// Resolves `Authorization: Bearer TOKEN` to a principal for every route but the public ones,
/// and gives each request a logger carrying its request id.
/// Failed authentications are limited per client address and per token id (AuthFailureLimiter): past the
/// limit a failure gets 429; a valid token is never refused.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: Store
    let limiter: AuthFailureLimiter
    static var publicPaths: Set<String> { ["/health", "/health/ready", "/openapi.yaml", "/.well-known/cryoledger-log-key"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // The route template, not the path: paths can carry a patient's subject code.
        let route: Logger.MetadataValue = "\(request.method) \(context.endpointPath ?? "unmatched")"
        if Self.publicPaths.contains(request.uri.path) {
            var logger = context.logger
            logger[metadataKey: "request"] = route
            return try await RequestScope.$logger.withValue(logger) { try await next(request, context) }
        }
        let principal = try await authenticate(request, context: context, logger: context.logger)
        // Both keys in one write: the stream handler re-renders all its metadata on every write (perf: 4 % of a POST).
        var logger = context.logger
        var metadata = logger.handler.metadata
        metadata["request"] = route
        metadata["user"] = "\(principal.id)"
        logger.handler.metadata = metadata
        return try await RequestScope.$principal.withValue(principal) {
            try await RequestScope.$logger.withValue(logger) { try await next(request, context) }
        }
    }

    /// A request without a usable Authorization header is refused at once and not counted: it guessed nothing.
    /// Every other request is verified against the database (a revocation counts from the next request, on every
    /// server process); only a failure is counted, and past the limit answered 429 instead of 401.
    private func authenticate(_ request: Request, context: Context, logger: Logger) async throws -> Principal {
        let token = try Self.bearerToken(request).get()
        do {
            return try await store.authenticate(token: token, logger: logger)
        } catch let error as DomainError {
            if case .unauthenticated = error {
                var keys = ["address " + Self.clientAddress(context)]
                if let id = Store.tokenId(of: token) { keys.append("token " + id) }
                try limiter.recordFailure(keys)
            }
            throw error
        }
    }

    static func bearerToken(_ request: Request) -> Result<String, DomainError> {
        guard let header = request.headers[.authorization] else {
            return .failure(.unauthenticated("missing Authorization: Bearer TOKEN header"))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(.unauthenticated("the Authorization header must be 'Bearer TOKEN'"))
        }
        return .success(String(parts[1]))
    }

    /// The peer's IP address (not its port); "local" for a Unix socket or none (router tests).
    /// Behind a proxy every client has the proxy's address; `X-Forwarded-For` is not trusted.
    static func clientAddress(_ context: Context) -> String {
        guard let address = (context as? any RemoteAddressRequestContext)?.remoteAddress, let ip = address.ipAddress else { return "local" }
        return ip
    }
}

import CryoDomain
import HTTPTypes
import OpenAPIRuntime

/// Checks the caller's role against `OperationAccess` for the operation the request is routed to, before
/// the generated code decodes the body: a role that may not call the operation gets 403 whatever it sends.
/// The store's own checks stay behind it.
struct OperationAccessMiddleware: ServerMiddleware {
    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        if !OperationAccess.unauthenticated.contains(operationID) {
            guard let principal = RequestScope.principal else {
                throw DomainError.unauthenticated("missing Authorization: Bearer TOKEN header")
            }
            try OperationAccess.check(operationID, role: principal.role)
        }
        return try await next(request, body, metadata)
    }
}

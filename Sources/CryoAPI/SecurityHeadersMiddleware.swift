import HTTPTypes
import Hummingbird

/// Headers every response carries: nothing is cached (answers hold GMP records and patient links), nothing
/// is sniffed into another type, no page may run script or be framed; a 401 says how to authenticate.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var contentSecurityPolicy: String { "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.xContentTypeOptions] = "nosniff"
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy }
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.status == .unauthorized, response.headers[.wwwAuthenticate] == nil {
            // RFC 6750 §3: invalid_token when a token was sent and refused.
            response.headers[.wwwAuthenticate] = request.headers[.authorization] == nil
                ? #"Bearer realm="cryoledger""# : #"Bearer realm="cryoledger", error="invalid_token""#
        }
        return response
    }
}

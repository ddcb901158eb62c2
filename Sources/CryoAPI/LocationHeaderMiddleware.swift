import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The generated code writes header values in the URI "simple" style, which percent-encodes `/`; a `Location`
/// is a URI reference, so it goes out as written (`/supply/forecasts/7`, not `%2Fsupply%2Fforecasts%2F7`).
struct LocationHeaderMiddleware: ServerMiddleware {
    func intercept(_ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
                   next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        if let location = response.headerFields[.location], let decoded = location.removingPercentEncoding {
            response.headerFields[.location] = decoded
        }
        return (response, responseBody)
    }
}

import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenAPIRuntime
import PostgresNIO

/// Turns every error into an RFC 9457 `application/problem+json` response: domain errors
/// keep their field and rule, bad request bodies become 400s, an unreachable database a 503.
/// Nothing reaches the client as a bare 500 unless it really is a bug, and then it is logged.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem(error)
            // 503: the database is down, logged once by DatabaseAvailability rather than once per request.
            if problem.status >= 500, problem.status != 503 {
                // Never the error's own description: the runtime's includes the request, its body and the response.
                context.logger.error("request failed", metadata: ["error": "\(LogSafe.describeRequestError(error))", "route": "\(context.endpointPath ?? "unmatched")"])
            }
            // A HEAD answer has the headers of the problem and no body.
            return request.method == .head ? problem.response.createHeadResponse() : problem.response
        }
    }
}

struct Problem: Encodable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var field: String?
    var rule: String?
    /// Sent as headers, not in the body (`Allow` with a 405).
    var headers: HTTPFields = [:]
    /// Sent as the `Retry-After` header (seconds), not in the body.
    var retryAfter: Int?

    private enum CodingKeys: String, CodingKey { case type, title, status, detail, field, rule }

    init(status: Int, title: String, detail: String, field: String? = nil, rule: String? = nil) {
        self.type = "https://cryoledger.example/problems/" + title.lowercased().replacingOccurrences(of: " ", with: "-")
        self.title = title; self.status = status; self.detail = detail; self.field = field; self.rule = rule
    }

    init(_ error: any Error) {
        switch error {
        case let error as DomainError:
            self.init(domain: error)
        case let error as TransportRefusal:
            self.init(status: Int(error.status.code), title: error.status.reasonPhrase, detail: "\(error.field): \(error.rule)",
                      field: error.field, rule: error.rule)
            self.headers = error.headers
        case let error as ServerError:
            if let domain = error.underlyingError as? DomainError {
                self.init(domain: domain, operation: error.operationID)
            } else if let refusal = error.underlyingError as? TransportRefusal {
                self.init(refusal)
            } else if let tooMany = error.underlyingError as? NIOTooManyBytesError {
                self.init(TransportRefusal.contentTooLarge(limit: tooMany.maxBytes))
            } else if error.operationOutput != nil, error.httpStatus == .notAcceptable {
                // The handler chose a media type the client does not accept (the format parameter and Accept disagree).
                self.init(TransportRefusal(status: .notAcceptable, field: "Accept", rule: "does not accept the media type of the requested format"))
            } else if Problem.isDatabaseUnavailable(error.underlyingError) {
                self.init(status: 503, title: "Service Unavailable", detail: "the database cannot be reached; retry shortly")
            } else if Problem.isNulInText(error.underlyingError) {
                self.init(nulInText: ())
            } else if error.operationInput == nil {
                var (field, rule) = Problem.describeDecoding(error.underlyingError, fallback: error.causeDescription)
                if field == nil, let parameter = ParameterErrors.diagnose(error) {
                    (field, rule) = parameter
                } else if field == nil, let missing = Problem.describeMissing(error.underlyingError) {
                    (field, rule) = missing
                }
                self.init(status: 400, title: "Bad Request", detail: field.map { "\($0): \(rule)" } ?? rule, field: field, rule: rule)
            } else {
                self.init(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it has been logged")
            }
        case let error as NIOTooManyBytesError:
            // A body collected past its limit, whoever collected it: said in words, not as the NIO type.
            self.init(TransportRefusal.contentTooLarge(limit: error.maxBytes))
        case let error as AuthenticationThrottled:
            self.init(throttled: error)
        case let error as any HTTPResponseError:
            let status = Int(error.status.code)
            self.init(status: status, title: error.status.reasonPhrase, detail: "\(error)")
        default:
            if Problem.isNulInText(error) {
                self.init(nulInText: ())
            } else if Problem.isDatabaseUnavailable(error) {
                self.init(status: 503, title: "Service Unavailable", detail: "the database cannot be reached; retry shortly")
            } else {
                self.init(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it has been logged")
            }
        }
    }

    /// `operation`: the operationId a store's role check was reached from, named in the message.
    init(domain error: DomainError, operation: String? = nil) {
        let status = HTTPResponse.Status(code: error.httpStatus)
        switch error {
        case .invalid(let field, let rule):
            self.init(status: status.code, title: status.reasonPhrase, detail: error.description, field: field, rule: rule)
        case .conflict(let field, let rule):
            self.init(status: status.code, title: status.reasonPhrase, detail: error.description, field: field, rule: rule)
        case .forbidden:
            self.init(status: status.code, title: status.reasonPhrase, detail: operation.map { "\($0): \(error.description)" } ?? error.description)
        case .signatureRejected:
            self.init(status: status.code, title: "Signature Rejected", detail: error.description, field: "signature")
        case .notFound, .unauthenticated, .forbiddenOperation:
            self.init(status: status.code, title: status.reasonPhrase, detail: error.description)
        }
    }

    init(throttled: AuthenticationThrottled) {
        self.init(status: 429, title: "Too Many Requests", detail: throttled.detail)
        retryAfter = throttled.retryAfterSeconds
    }

    /// A NUL (U+0000) that got past `InputScreening` (a chunked JSON body) and that PostgreSQL refused:
    /// 22021 for `text`, 22P05 for `jsonb`. Swift strings are valid UTF-8, so NUL is the only way to get these.
    static func isNulInText(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else { return false }
        return state == "22021" || state == "22P05"
    }

    init(nulInText: Void) {
        self.init(status: 400, title: "Bad Request", detail: "a text value " + InputScreening.nulRule, rule: InputScreening.nulRule)
    }

    /// A required parameter, header or body the generated code found missing.
    static func describeMissing(_ error: any Error) -> (String, String)? {
        let text = String(describing: error)
        if let m = text.firstMatch(of: /^Missing required (?:path|query) parameter named: (\S+)$/) { return (String(m.1), "is required") }
        if let m = text.firstMatch(of: /^The required header field named '([^']+)' is missing\.$/) { return (String(m.1), "is required") }
        if text.hasPrefix("Missing required request body") { return ("body", "is required") }
        if let m = text.firstMatch(of: /^malformedKeyValuePair\("(.*)"\)$/) {
            return ("query", "must be name=value pairs joined by '&' (got '\(m.1)')")
        }
        if let m = text.firstMatch(of: /^Unexpected content type, expected: (.+), received: (.*)$/) {
            return ("Content-Type", "must be \(m.1) (got '\(m.2)')")
        }
        return nil
    }

    /// The server is down or went away (DatabaseUnavailable from the availability gate, a lost connection,
    /// an admin shutdown, the pool's circuit breaker) or refused a write as read-only (25006, a failover in
    /// progress): the client may retry, so 503 rather than 500.
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        DatabaseAvailability.isUnavailable(error)
    }

    /// Names the JSON path of a decoding failure, e.g. `screeningTests[0].testedOn`.
    static func describeDecoding(_ error: any Error, fallback: String) -> (String?, String) {
        func path(_ keys: [any CodingKey]) -> String? {
            let parts = keys.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            let joined = parts.joined()
            let trimmed = joined.hasPrefix(".") ? String(joined.dropFirst()) : joined
            return trimmed.isEmpty ? nil : trimmed
        }
        guard let decoding = error as? DecodingError else {
            return (nil, "the request is malformed: \(String(describing: error))")
        }
        switch decoding {
        case .typeMismatch(let type, let ctx):
            // A body of the wrong JSON type altogether (an array, a string) fails at the root.
            let root = ctx.codingPath.isEmpty && ["object", "array"].contains(Problem.jsonType(type)) ? "body" : nil
            return (path(ctx.codingPath) ?? root, "must be of type \(Problem.jsonType(type))")
        case .valueNotFound(let type, let ctx):
            let root = ctx.codingPath.isEmpty && ["object", "array"].contains(Problem.jsonType(type)) ? "body" : nil
            return (path(ctx.codingPath) ?? root, "must be a non-null \(Problem.jsonType(type))")
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key]), "is required")
        case .dataCorrupted(let ctx):
            // Request schemas are closed (additionalProperties: false): the generated decoder names the first unknown key.
            if ctx.debugDescription.hasPrefix("Additional properties are disabled") {
                return (path(ctx.codingPath) ?? "body", "is not a field of this request; unknown fields are refused (check the spelling)")
            }
            if ctx.underlyingError != nil || ctx.debugDescription.contains("not valid JSON") {
                return (path(ctx.codingPath) ?? "body", "must be valid JSON")
            }
            if let m = ctx.debugDescription.firstMatch(of: /^Cannot initialize \w+ from invalid \w+ value (.*)$/) {
                return (path(ctx.codingPath), "'\(m.1)' is not one of the allowed values")
            }
            return (path(ctx.codingPath), ctx.debugDescription)
        @unknown default:
            return (nil, fallback)
        }
    }

    static func jsonType(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Dictionary") { return "object" }
        if name.hasPrefix("Array") { return "array" }
        if name.contains("Int") { return "integer" }
        if name.contains("Double") || name.contains("Float") { return "number" }
        if name.contains("String") { return "string" }
        if name.contains("Bool") { return "boolean" }
        return "object"
    }

    var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        headers.append(contentsOf: self.headers)
        if status == 503 { headers[.retryAfter] = "1" }
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
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
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            }
            return problem.response
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

    init(status: Int, title: String, detail: String, field: String? = nil, rule: String? = nil) {
        self.type = "https://cryoledger.example/problems/" + title.lowercased().replacingOccurrences(of: " ", with: "-")
        self.title = title; self.status = status; self.detail = detail; self.field = field; self.rule = rule
    }

    init(_ error: any Error) {
        switch error {
        case let error as DomainError:
            self.init(domain: error)
        case let error as ServerError:
            if let domain = error.underlyingError as? DomainError {
                self.init(domain: domain)
            } else if Problem.isDatabaseUnavailable(error.underlyingError) {
                self.init(status: 503, title: "Service Unavailable", detail: "the database cannot be reached; retry shortly")
            } else if error.operationInput == nil {
                var (field, rule) = Problem.describeDecoding(error.underlyingError, fallback: error.causeDescription)
                if field == nil, let named = error.causeDescription.firstMatch(of: /named: '([^']+)'/) {
                    field = String(named.1)
                }
                self.init(status: 400, title: "Bad Request", detail: field.map { "\($0): \(rule)" } ?? rule, field: field, rule: rule)
            } else {
                self.init(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it has been logged")
            }
        case let error as any HTTPResponseError:
            let status = Int(error.status.code)
            self.init(status: status, title: error.status.reasonPhrase, detail: "\(error)")
        default:
            if Problem.isDatabaseUnavailable(error) {
                self.init(status: 503, title: "Service Unavailable", detail: "the database cannot be reached; retry shortly")
            } else {
                self.init(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it has been logged")
            }
        }
    }

    init(domain error: DomainError) {
        switch error {
        case .invalid(let field, let rule):
            self.init(status: 400, title: "Bad Request", detail: error.description, field: field, rule: rule)
        case .notFound:
            self.init(status: 404, title: "Not Found", detail: error.description)
        case .conflict(let field, let rule):
            self.init(status: 409, title: "Conflict", detail: error.description, field: field, rule: rule)
        case .unauthenticated:
            self.init(status: 401, title: "Unauthorized", detail: error.description)
        case .forbidden:
            self.init(status: 403, title: "Forbidden", detail: error.description)
        case .signatureRejected:
            self.init(status: 403, title: "Signature Rejected", detail: error.description, field: "signature")
        }
    }

    /// The server is down or went away (DatabaseUnavailable from the availability gate, a lost connection,
    /// an admin shutdown, the pool's circuit breaker): the client may retry, so 503 rather than 500.
    static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        DatabaseAvailability.isConnectionLoss(error)
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
            return (path(ctx.codingPath), "must be of type \(Problem.jsonType(type))")
        case .valueNotFound(let type, let ctx):
            return (path(ctx.codingPath), "must be a non-null \(Problem.jsonType(type))")
        case .keyNotFound(let key, let ctx):
            return (path(ctx.codingPath + [key]), "is required")
        case .dataCorrupted(let ctx):
            let reason = ctx.underlyingError.map { _ in "the body is not valid JSON" } ?? ctx.debugDescription
            return (path(ctx.codingPath), reason)
        @unknown default:
            return (nil, fallback)
        }
    }

    static func jsonType(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.contains("Int") { return "integer" }
        if name.contains("Double") || name.contains("Float") { return "number" }
        if name.contains("String") { return "string" }
        if name.contains("Bool") { return "boolean" }
        if name.contains("Array") { return "array" }
        return "object (\(name))"
    }

    var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == 503 { headers[.retryAfter] = "1" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

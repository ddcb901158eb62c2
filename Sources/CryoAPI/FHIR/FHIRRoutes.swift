import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import Logging

/// The read-only FHIR R5 view (docs/fhir.md): BiologicallyDerivedProduct for vials, BiologicallyDerivedProductDispense
/// for reservations and what became of them. `application/fhir+json`, the API's bearer tokens, errors as OperationOutcome.
/// Served beside the OpenAPI contract (whose media types and problem+json errors are not FHIR's), like the console.
struct FHIRRoutes: Sendable {
    let store: Store
    static let mediaType = "application/fhir+json"
    static let maxCount = 500

    func register(on router: Router<APIRequestContext>, limiter: AuthFailureLimiter) {
        let group = router.group("fhir").add(middleware: FHIRErrorMiddleware()).add(middleware: AuthMiddleware(store: store, limiter: limiter))
        group.get("BiologicallyDerivedProduct") { request, _ in try await self.searchProducts(request) }
        group.get("BiologicallyDerivedProduct/{id}") { _, context in try await self.readProduct(context.parameters.require("id")) }
        group.get("BiologicallyDerivedProductDispense") { request, _ in try await self.searchDispenses(request) }
        group.get("BiologicallyDerivedProductDispense/{id}") { _, context in try await self.readDispense(context.parameters.require("id")) }
    }

    func caller() throws -> Principal {
        guard let principal = RequestScope.principal else { throw DomainError.unauthenticated("missing Authorization: Bearer TOKEN header") }
        return principal
    }
    var logger: Logger { RequestScope.logger }

    func readProduct(_ id: String) async throws -> Response {
        guard let facts = try await store.productFacts(vialId: FHIRMapping.vialId(resourceId: id), lotNumber: nil, limit: 1,
                                                       actor: caller(), logger: logger).first else {
            throw DomainError.notFound(kind: "BiologicallyDerivedProduct", id: id)
        }
        return try Self.respond(FHIRResource.product(facts))
    }

    func searchProducts(_ request: Request) async throws -> Response {
        let q = try Self.parameters(request, allowed: ["identifier", "lot", "product-status", "status", "_count"])
        let count = try Self.count(q)
        let status = q["product-status"] ?? q["status"]
        if let status, !FHIRMapping.productStatuses.contains(status) {
            throw DomainError.invalid(field: "product-status", rule: "must be available or unavailable")
        }
        // identifier: the vial id, alone or as system|value.
        let identifier = q["identifier"].map { FHIRMapping.vialId(resourceId: $0.split(separator: "|", omittingEmptySubsequences: false).last.map(String.init) ?? $0) }
        var facts: [ProductFacts] = []
        do {
            facts = try await store.productFacts(vialId: identifier, lotNumber: q["lot"], limit: status == nil ? count : 100_000,
                                                 actor: caller(), logger: logger)
        } catch let error as DomainError where identifier != nil {
            guard case .invalid = error else { throw error }
            facts = []   // not a well-formed vial id: it identifies nothing
        }
        let matches = facts.filter { f in status.map { FHIRMapping.productStatus(f.availability) == $0 } ?? true }
        return try Self.respond(FHIRResource.searchset(matches.prefix(count).map(FHIRResource.product)))
    }

    func readDispense(_ id: String) async throws -> Response {
        guard let number = Int64(id), number > 0 else { throw DomainError.invalid(field: "id", rule: "a dispense id is a positive integer") }
        guard let facts = try await store.dispenseFacts(reservationId: number, subjectId: nil, limit: 1, actor: caller(), logger: logger).first else {
            throw DomainError.notFound(kind: "BiologicallyDerivedProductDispense", id: id)
        }
        return try Self.respond(FHIRResource.dispense(facts))
    }

    func searchDispenses(_ request: Request) async throws -> Response {
        let q = try Self.parameters(request, allowed: ["patient", "_count"])
        // patient: the coded subject id, alone, as Patient/ID, or as system|value.
        let patient = q["patient"].map { p in
            String(p.split(separator: "|", omittingEmptySubsequences: false).last ?? Substring(p)).replacingOccurrences(of: "Patient/", with: "")
        }
        let facts = try await store.dispenseFacts(reservationId: nil, subjectId: patient, limit: try Self.count(q), actor: caller(), logger: logger)
        return try Self.respond(FHIRResource.searchset(facts.map(FHIRResource.dispense)))
    }

    static func parameters(_ request: Request, allowed: Set<String>) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw DomainError.invalid(field: name, rule: "not a supported search parameter; supported: \(allowed.sorted().joined(separator: ", "))")
            }
            out[name] = String(value)
        }
        return out
    }

    static func count(_ q: [String: String]) throws -> Int {
        guard let text = q["_count"] else { return 50 }
        guard let n = Int(text), (1...maxCount).contains(n) else { throw DomainError.invalid(field: "_count", rule: "must be between 1 and \(maxCount)") }
        return n
    }

    static func respond(_ resource: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: resource, options: [.sortedKeys, .withoutEscapingSlashes])
        var headers = HTTPFields()
        headers[.contentType] = mediaType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Every refusal under /fhir as an OperationOutcome (issue types of http://hl7.org/fhir/ValueSet/issue-type).
struct FHIRErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as DomainError {
            let status = HTTPResponse.Status(code: error.httpStatus)
            let code = switch error {
            case .invalid: "invalid"
            case .notFound: "not-found"
            case .unauthenticated: "login"
            case .forbidden, .forbiddenOperation, .signatureRejected: "forbidden"
            case .conflict: "conflict"
            }
            var response = try FHIRRoutes.respond(FHIRResource.outcome(code: code, diagnostics: error.description), status: status)
            if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
            return response
        } catch let error as AuthenticationThrottled {
            var response = try FHIRRoutes.respond(FHIRResource.outcome(code: "throttled", diagnostics: "too many failed authentications; retry later"),
                                                  status: .tooManyRequests)
            response.headers[.retryAfter] = String(error.retryAfterSeconds)
            return response
        } catch let error as HTTPError where error.status == .notFound {
            return try FHIRRoutes.respond(FHIRResource.outcome(code: "not-found", diagnostics: "there is no such FHIR endpoint"), status: .notFound)
        } catch {
            context.logger.error("FHIR request failed", metadata: ["error": "\(LogSafe.describe(error))"])
            return try FHIRRoutes.respond(FHIRResource.outcome(code: "exception", diagnostics: "the server failed; nothing was changed"),
                                          status: .internalServerError)
        }
    }
}

import CryoDomain
import Hummingbird

/// The auditor's page: events of a scope, their export, and verification of the whole trail.
struct AuditController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("audit", use: show)
        group.get("audit/verify", use: verify)
        group.get("audit/export.{format}", use: export)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.auditPage(try Self.query(request))
    }

    @Sendable func verify(_ request: Request, context: Context) async throws -> Response {
        try await console.auditVerify()
    }

    @Sendable func export(_ request: Request, context: Context) async throws -> Response {
        try await console.auditExport(context.parameters.require("format"), try Self.query(request))
    }

    static func query(_ request: Request) throws -> AuditQuery {
        do {
            return try Form.decoder.decode(AuditQuery.self, from: request.uri.query ?? "")
        } catch {
            throw DomainError.invalid(field: "query", rule: "must be kind, id, from and to as name=value pairs")
        }
    }
}

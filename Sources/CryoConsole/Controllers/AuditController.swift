import CryoDomain
import Foundation
import Hummingbird

/// The auditor's page: events of a scope, their export, and verification of the whole trail.
struct AuditController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("audit", use: show)
        group.get("audit/verify", use: verify)
        group.get("audit/export.{format}", use: export)
        group.post("audit/check-export", use: checkExport)
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

    /// "Verify this export": the uploaded JSON or NDJSON export, and optionally the witnesses' public keys.
    @Sendable func checkExport(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Console.maxUploadBytes)
        guard let boundary = Multipart.boundary(of: request.headers[.contentType]) else {
            return try await console.auditPage(AuditQuery(), refusal: Refusal(.invalid(field: "file", rule: "send the form as multipart/form-data with the export file"),
                                                                             fields: ["file": "export-file"]))
        }
        return try await console.auditCheckExport(ExportUpload(parts: Multipart.parse(Data(buffer: body), boundary: boundary)))
    }

    static func query(_ request: Request) throws -> AuditQuery {
        do {
            return try Form.decoder.decode(AuditQuery.self, from: request.uri.query ?? "")
        } catch {
            throw DomainError.invalid(field: "query", rule: "must be kind, id, from and to as name=value pairs")
        }
    }
}

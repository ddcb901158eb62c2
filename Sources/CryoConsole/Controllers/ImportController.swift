import Foundation
import Hummingbird

/// CSV import: the upload form, the dry run, the confirmed import and the rejected rows.
struct ImportController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("import", use: show)
        group.post("import", use: upload)
        group.post("import/{id}/commit", use: commit)
        group.get("import/{id}/rejects.csv", use: rejects)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try console.importPage()
    }

    @Sendable func upload(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Console.maxUploadBytes)
        guard let boundary = Multipart.boundary(of: request.headers[.contentType]) else {
            return try console.importPage(refusal: Refusal(.invalid(field: "file", rule: "send the form as multipart/form-data with a CSV file"),
                                                           fields: ["file": "import-file"]))
        }
        return try await console.importUpload(ImportUpload(parts: Multipart.parse(Data(buffer: body), boundary: boundary)))
    }

    @Sendable func commit(_ request: Request, context: Context) async throws -> Response {
        try await console.runImport(Self.uploadId(context), dryRun: false)
    }

    @Sendable func rejects(_ request: Request, context: Context) async throws -> Response {
        try await console.importRejects(Self.uploadId(context))
    }

    static func uploadId(_ context: Context) throws -> UUID {
        guard let id = UUID(uuidString: try context.parameters.require("id")) else { throw HTTPError(.notFound) }
        return id
    }
}

import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    static var maxUploadBytes: Int { 32 * 1024 * 1024 }

    func importPage(message: String? = nil, status: HTTPResponse.Status = .ok) throws -> Response {
        let user = try signedIn()
        let kinds = ImportKind.allCases.filter { user.role.may($0.action) }.map(\.rawValue)
        return try page("import", title: "Import", ["kinds": kinds, "mayImport": !kinds.isEmpty, "message": message as Any], status: status)
    }

    /// Upload, then a dry run: nothing is written until the summary has been seen and the import confirmed.
    func importUpload(_ request: Request, form: [String: String], file: (name: String, data: Data)?) async throws -> Response {
        let user = try signedIn()
        guard let kind = ImportKind(rawValue: form["kind"] ?? "") else { return try importPage(message: "kind: choose what the file holds", status: .badRequest) }
        guard let file, !file.data.isEmpty else { return try importPage(message: "file: choose a CSV file", status: .badRequest) }
        let id = try await store.saveUpload(kind: kind, fileName: file.name, content: file.data, actor: user, logger: logger)
        return try await runImport(id, dryRun: true)
    }

    func importCommit(_ id: String) async throws -> Response {
        guard let uuid = UUID(uuidString: id) else { throw HTTPError(.notFound) }
        return try await runImport(uuid, dryRun: false)
    }

    func runImport(_ id: UUID, dryRun: Bool) async throws -> Response {
        let user = try signedIn()
        let upload = try await store.upload(id, actor: user, logger: logger)
        if upload.imported { return try importPage(message: "this file has been imported already; upload it again to re-run it", status: .conflict) }
        let document: CSVDocument
        switch CSVDocument.checking(upload.content, kind: upload.kind) {
        case .success(let checked): document = checked
        case .failure(let error): return try importPage(message: "file: \(error.description)", status: .badRequest)
        }
        let summary = try await store.importCSV(document, kind: upload.kind, options: ImportOptions(dryRun: dryRun), actor: user, logger: logger)
        let rejects = summary.rejects.isEmpty ? nil : try RejectsCSV.encode(columns: document.columns, rejects: summary.rejects)
        try await store.recordUploadRun(id, rejectsCSV: rejects, imported: !dryRun, actor: user, logger: logger)
        return try page("import-summary", title: dryRun ? "Import: dry run" : "Import: done", [
            "id": id.uuidString, "file": upload.fileName, "kind": upload.kind.rawValue, "dryRun": dryRun,
            "rows": summary.rows, "inserted": summary.inserted, "unchanged": summary.unchanged, "rejected": summary.rejected,
            "custodyEvents": summary.custodyEvents, "hasRejects": rejects != nil,
            "rejects": summary.rejects.prefix(50).map { ["row": $0.row, "line": $0.line, "field": $0.field, "rule": $0.rule, "value": $0.value] },
            "canCommit": dryRun && summary.inserted > 0,
        ])
    }

    func importRejects(_ id: String) async throws -> Response {
        let user = try signedIn()
        guard let uuid = UUID(uuidString: id) else { throw HTTPError(.notFound) }
        guard let csv = try await store.upload(uuid, actor: user, logger: logger).rejectsCSV else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"rejects.csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: csv)))
    }
}

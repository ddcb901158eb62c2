import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The upload form (`multipart/form-data`, parsed by multipart-kit): what the file holds, and the file.
struct ImportUpload: Sendable {
    var kind: String?
    var fileName: String?
    var file: Data?

    init(parts: [Multipart.Part]) {
        kind = parts.first { $0.name == "kind" && $0.fileName == nil }.map { String(decoding: $0.data, as: UTF8.self) }
        let upload = parts.first { $0.name == "file" && $0.fileName != nil }
        fileName = upload?.fileName
        file = upload?.data
    }
}

/// Choosing a CSV file and what it holds (only the kinds the role may import).
struct ImportPage: PageView {
    static let template = "import"
    struct Kind: Sendable { let value: String; let selected: Bool }
    let title = "Import"
    let kinds: [Kind]
    let mayImport: Bool
    let message: String?
}

/// A dry run's or an import's summary: rows written, unchanged, rejected (with field and rule).
struct ImportSummaryPage: PageView {
    static let template = "import-summary"
    struct Reject: Sendable { let row: Int, line: Int, field: String, rule: String, value: String }
    var title: String { dryRun ? "Import: dry run" : "Import: done" }
    let id: String, file: String, kind: String, dryRun: Bool
    let rows: Int, inserted: Int, unchanged: Int, rejected: Int, custodyEvents: Int
    let hasRejects: Bool
    let rejects: [Reject]
    let canCommit: Bool
}

extension Console {
    static var maxUploadBytes: Int { 32 * 1024 * 1024 }

    func importPage(refusal: Refusal? = nil, kind: String? = nil) throws -> Response {
        let user = try signedIn()
        let kinds = ImportKind.allCases.filter { user.role.may($0.action) }.map(\.rawValue)
        return try render(ImportPage(kinds: kinds.map { .init(value: $0, selected: $0 == kind) }, mayImport: !kinds.isEmpty,
                                     message: refusal?.items.first?.message),
                          status: refusal?.status ?? .ok, refusal: refusal)
    }

    /// Upload, then a dry run: nothing is written until the summary has been seen and the import confirmed.
    func importUpload(_ upload: ImportUpload) async throws -> Response {
        let user = try signedIn()
        let fields = ["kind": "import-kind", "file": "import-file"]
        guard let kind = ImportKind(rawValue: upload.kind ?? "") else {
            return try importPage(refusal: Refusal(.invalid(field: "kind", rule: "choose what the file holds"), fields: fields))
        }
        guard let file = upload.file, !file.isEmpty else {
            return try importPage(refusal: Refusal(.invalid(field: "file", rule: "choose a CSV file"), fields: fields), kind: kind.rawValue)
        }
        let id = try await store.saveUpload(kind: kind, fileName: upload.fileName ?? "upload.csv", content: file, actor: user, logger: logger)
        return try await runImport(id, dryRun: true)
    }

    func runImport(_ id: UUID, dryRun: Bool) async throws -> Response {
        let user = try signedIn()
        let upload = try await store.upload(id, actor: user, logger: logger)
        if upload.imported {
            return try importPage(refusal: Refusal(.conflict(field: nil, rule: "this file has been imported already; upload it again to re-run it")))
        }
        let document: CSVDocument
        switch CSVDocument.checking(upload.content, kind: upload.kind) {
        case .success(let checked): document = checked
        case .failure(let error):
            return try importPage(refusal: Refusal(.invalid(field: "file", rule: error.description), fields: ["file": "import-file"]),
                                  kind: upload.kind.rawValue)
        }
        let summary = try await store.importCSV(document, kind: upload.kind, options: ImportOptions(dryRun: dryRun), actor: user, logger: logger)
        let rejects = summary.rejects.isEmpty ? nil : try RejectsCSV.encode(columns: document.columns, rejects: summary.rejects)
        try await store.recordUploadRun(id, rejectsCSV: rejects, imported: !dryRun, actor: user, logger: logger)
        let view = ImportSummaryPage(
            id: id.uuidString, file: upload.fileName, kind: upload.kind.rawValue, dryRun: dryRun,
            rows: summary.rows, inserted: summary.inserted, unchanged: summary.unchanged, rejected: summary.rejected,
            custodyEvents: summary.custodyEvents, hasRejects: rejects != nil,
            rejects: summary.rejects.prefix(50).map { .init(row: $0.row, line: $0.line, field: $0.field, rule: $0.rule, value: $0.value) },
            canCommit: dryRun && summary.inserted > 0)
        return try render(view, confirmation: dryRun ? nil : "✓ Imported \(summary.inserted) rows from \(upload.fileName), \(summary.custodyEvents) custody events")
    }

    func importRejects(_ id: UUID) async throws -> Response {
        let user = try signedIn()
        guard let csv = try await store.upload(id, actor: user, logger: logger).rejectsCSV else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"rejects.csv\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: csv)))
    }
}

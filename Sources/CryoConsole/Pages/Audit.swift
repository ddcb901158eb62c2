import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Hummingbird

/// The audit page's scope, from its query (decoded by the same form decoder as the forms).
struct AuditQuery: Decodable, Sendable {
    var kind: String?
    var id: String?
    var from: String?
    var to: String?

    /// The query as links repeat it (the downloads).
    var encoded: String {
        [("from", from), ("id", id), ("kind", kind), ("to", to)].compactMap { key, value in
            value.flatMap { $0.isEmpty ? nil : "\(key)=\(Console.queryValue($0))" }
        }.joined(separator: "&")
    }

    /// The form's kind + id (or from–to) as the Store's scope; nil before anything is chosen.
    func scope() throws -> ExportScope? {
        guard let kind, !kind.isEmpty else { return nil }
        let id = id.flatMap { $0.isEmpty ? nil : $0 }
        func ifKind(_ k: String) -> String? { kind == k ? (id ?? "") : nil }
        return try ExportScope.parse(vial: ifKind("vial"), lot: ifKind("lot"), donor: ifKind("donor"), patient: ifKind("patient"),
                                     from: kind == "period" ? from ?? "" : nil, to: kind == "period" ? to ?? "" : nil)
    }
}

/// Choose a scope (vial, lot, donor, patient, period), see its events, download CSV, JSON or PDF (the same writer
/// as `cryoledger audit export`), and run verification.
struct AuditPage: PageView {
    static let template = "audit"
    struct Kind: Sendable { let value: String; let selected: Bool }
    struct Event: Sendable {
        let id: Int64, subject: String, seq: Int64, when: String, who: String, action: String, fromTo: String, reason: String, signature: String, hash: String
    }
    struct Download: Sendable { let format: String; let href: String }
    let title = "Audit"
    let query: AuditQuery
    let kinds: [Kind]
    let scope: String?
    let events: [Event]
    let count: Int
    let downloads: [Download]
    /// The transparency log's latest signed head and its witnesses (issue 27); nil before the first head.
    struct TLogHead: Sendable { let size: Int64, root: String, signedAt: String, keyId: String, witnesses: [String] }
    let tlogHead: TLogHead?
}

struct AuditVerifyPage: PageView {
    static let template = "audit-verify"
    struct Problem: Sendable { let kind: String, event: String, subject: String, detail: String }
    let title = "Audit trail verification"
    let intact: Bool, events: Int, subjects: Int, checkpoints: Int, head: String, sealsChecked: Bool
    let problems: [Problem]
}

extension Console {
    /// Auditors' reads of patient-linked records are logged by the Store, as for the API.
    func auditPage(_ q: AuditQuery, refusal: Refusal? = nil) async throws -> Response {
        let user = try signedIn()
        var events: [AuditPage.Event] = []
        var total = 0
        let scope = try q.scope()
        if let scope {
            total = try await store.exportCustody(scope: scope, actor: user, logger: logger, limit: 1000) { e in
                events.append(.init(id: e.id, subject: "\(e.subjectType) \(e.subjectId)", seq: e.seq, when: "\(e.occurredAt)",
                                    who: "\(e.actorName) (\(e.actorRole))", action: e.action,
                                    fromTo: "\(e.fromState) \(e.fromLocation) → \(e.toState) \(e.toLocation)", reason: e.reason,
                                    signature: SignatureManifestation(json: e.signature).map { "signed by \($0.printedName) at \($0.signedAt), meaning: \($0.meaning)" } ?? "",
                                    hash: String(e.hash.prefix(12))))
            }
        }
        let head = try await store.tlogHead(logger: logger).map {
            AuditPage.TLogHead(size: Int64($0.size), root: $0.rootHash.base64EncodedString(),
                               signedAt: ISO8601DateFormatter().string(from: $0.signedAt), keyId: $0.keyId, witnesses: $0.witnesses)
        }
        return try render(AuditPage(
            query: q, kinds: ["vial", "lot", "donor", "patient", "period"].map { .init(value: $0, selected: $0 == q.kind) },
            scope: scope?.description, events: events, count: total,
            downloads: scope == nil ? [] : ReportFormat.allCases.map { .init(format: $0.rawValue, href: "/console/audit/export.\($0.rawValue)?\(q.encoded)") },
            tlogHead: head), status: refusal?.status ?? .ok, refusal: refusal)
    }

    func auditExport(_ format: String, _ q: AuditQuery) async throws -> Response {
        let user = try signedIn()
        guard let format = ReportFormat(rawValue: format), let scope = try q.scope() else {
            throw DomainError.invalid(field: "scope", rule: "choose a scope and a format (csv, json or pdf)")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-console-\(UUID().uuidString).\(format.rawValue)").path
        defer { unlink(path) }
        _ = try await ReportWriter.write(store: store, scope: scope, format: format, to: path, actor: user, key: auditKey, signer: logSigner, logger: logger)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var headers = HTTPFields()
        headers[.contentType] = ["csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"][format.rawValue]
        headers[.contentDisposition] = "attachment; filename=\"\(scope.fileName(format: format.rawValue))\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Recomputes every hash, chain, head, checkpoint fold and seal: intact, or what is edited, missing or forged.
    func auditVerify() async throws -> Response {
        let user = try signedIn()
        let report = try await store.verifyAuditTrail(key: auditKey, actor: user, logger: logger)
        return try render(AuditVerifyPage(
            intact: report.intact, events: report.eventsChecked, subjects: report.subjectsChecked, checkpoints: report.checkpointsChecked,
            head: report.chainHead, sealsChecked: auditKey != nil,
            problems: report.problems.map { .init(kind: $0.kind, event: $0.eventId.map(String.init) ?? "—", subject: $0.subject ?? "—", detail: $0.detail) }))
    }
}

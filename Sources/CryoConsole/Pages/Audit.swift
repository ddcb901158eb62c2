import CryoDomain
import CryoReports
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Choose a scope (vial, lot, donor, patient, period), see its events, download CSV, JSON or PDF (the same
    /// writer as `cryoledger audit export`), and run verification. Auditors' reads of patient-linked records are
    /// logged by the Store, as for the API.
    func auditPage(_ request: Request) async throws -> Response {
        let user = try signedIn()
        let q = Self.scopeQuery(request)
        var content: [String: Any] = ["query": q.mapValues { $0 }, "kinds": Self.scopeKinds(selected: q["kind"])]
        if let head = try await store.tlogHead(logger: logger) {
            content["tlogHead"] = ["size": head.size, "root": head.rootHash.base64EncodedString(), "signedAt": ISO8601DateFormatter().string(from: head.signedAt),
                                   "keyId": head.keyId, "witnesses": head.witnesses]
        }
        if let scope = try Self.scope(from: q) {
            var events: [[String: Any]] = []
            let total = try await store.exportCustody(scope: scope, actor: user, logger: logger, limit: 1000) { e in
                events.append(["id": e.id, "subject": "\(e.subjectType) \(e.subjectId)", "seq": e.seq, "when": e.occurredAt,
                               "who": "\(e.actorName) (\(e.actorRole))", "action": e.action,
                               "fromTo": "\(e.fromState) \(e.fromLocation) → \(e.toState) \(e.toLocation)",
                               "reason": e.reason, "signature": SignatureManifestation(json: e.signature).map { "signed by \($0.printedName) at \($0.signedAt), meaning: \($0.meaning)" } ?? "",
                               "hash": String(e.hash.prefix(12))])
            }
            let query = q.filter { !$0.value.isEmpty }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .sorted().joined(separator: "&")
            content["scope"] = scope.description
            content["events"] = events
            content["count"] = total
            content["downloads"] = ReportFormat.allCases.map { ["format": $0.rawValue, "href": "/console/audit/export.\($0.rawValue)?\(query)"] }
        }
        return try page("audit", title: "Audit", content)
    }

    func auditExport(_ format: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        guard let format = ReportFormat(rawValue: format), let scope = try Self.scope(from: Self.scopeQuery(request)) else {
            throw DomainError.invalid(field: "scope", rule: "choose a scope and a format (csv, json or pdf)")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-console-\(UUID().uuidString).\(format.rawValue)").path
        defer { unlink(path) }
        _ = try await ReportWriter.write(store: store, scope: scope, format: format, to: path, actor: user, key: auditKey, signer: logSigner, logger: logger)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var headers = HTTPFields()
        headers[.contentType] = ["csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf"][format.rawValue]
        headers[.contentDisposition] = "attachment; filename=\"custody-report.\(format.rawValue)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Recomputes every hash, chain, head, checkpoint fold and seal: intact, or what is edited, missing or forged.
    func auditVerify() async throws -> Response {
        let user = try signedIn()
        let report = try await store.verifyAuditTrail(key: auditKey, actor: user, logger: logger)
        return try page("audit-verify", title: "Audit trail verification", [
            "intact": report.intact, "events": report.eventsChecked, "subjects": report.subjectsChecked,
            "checkpoints": report.checkpointsChecked, "head": report.chainHead, "sealsChecked": auditKey != nil,
            "problems": report.problems.map { ["kind": $0.kind, "event": $0.eventId.map(String.init) ?? "—", "subject": $0.subject ?? "—", "detail": $0.detail] },
        ])
    }

    static func scopeQuery(_ request: Request) -> [String: String] {
        var q: [String: String] = [:]
        for key in ["kind", "id", "from", "to"] { q[key] = request.uri.queryParameters[Substring(key)].map(String.init) ?? "" }
        return q
    }

    static func scopeKinds(selected: String?) -> [[String: Any]] {
        ["vial", "lot", "donor", "patient", "period"].map { ["value": $0, "selected": $0 == selected] }
    }

    /// The form's kind + id (or from–to) as the Store's scope; nil before anything is chosen.
    static func scope(from q: [String: String]) throws -> ExportScope? {
        guard let kind = q["kind"], !kind.isEmpty else { return nil }
        let id = q["id"].flatMap { $0.isEmpty ? nil : $0 }
        func ifKind(_ k: String) -> String? { kind == k ? (id ?? "") : nil }
        return try ExportScope.parse(vial: ifKind("vial"), lot: ifKind("lot"), donor: ifKind("donor"), patient: ifKind("patient"),
                                     from: kind == "period" ? q["from"] : nil, to: kind == "period" ? q["to"] : nil)
    }
}

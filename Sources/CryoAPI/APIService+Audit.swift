import CryoAPIGenerated
import CryoDomain
import CryoReports
import CryoStore
import Foundation
import OpenAPIRuntime

extension APIService {
    func verifyAuditTrail(_ input: Operations.VerifyAuditTrail.Input) async throws -> Operations.VerifyAuditTrail.Output {
        let r = try await store.verifyAuditTrail(key: auditKey, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(
            intact: r.intact, eventsChecked: r.eventsChecked, subjectsChecked: r.subjectsChecked, checkpointsChecked: r.checkpointsChecked,
            chainHead: r.chainHead,
            problems: r.problems.map { .init(kind: .init(rawValue: $0.kind) ?? .edited, eventId: $0.eventId, subject: $0.subject, detail: $0.detail) }))))
    }

    // MARK: Custody exports, one operation per format

    func exportCustodyCSV(_ input: Operations.ExportCustodyCSV.Input) async throws -> Operations.ExportCustodyCSV.Output {
        let q = input.query
        let (actor, scope) = try await checkedExport(vial: q.vial, lot: q.lot, donor: q.donor, patient: q.patient, from: q.from, to: q.to)
        let store = self.store, logger = self.logger
        let body = stream { send in
            _ = try await store.exportCustodyCSV(scope: scope, actor: actor, logger: logger, chunkSize: Self.exportChunk) { try await send($0) }
        }
        return .ok(.init(body: .textCsvCharsetUtf8(body)))
    }

    func exportCustodyNDJSON(_ input: Operations.ExportCustodyNDJSON.Input) async throws -> Operations.ExportCustodyNDJSON.Output {
        let q = input.query
        let (actor, scope) = try await checkedExport(vial: q.vial, lot: q.lot, donor: q.donor, patient: q.patient, from: q.from, to: q.to)
        let store = self.store, logger = self.logger, signer = self.logSigner
        let body = stream { send in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let transparency = try await signer.asyncMap { try await store.tlogExportHead($0, logger: logger) } ?? nil
            var header: [String: AnyJSONValue] = ["format": .string("cryoledger.custody-export/v1+ndjson"), "scope": .string(scope.description),
                                                  "generatedAt": .string(ISO8601DateFormatter().string(from: Date())), "generatedBy": .string(actor.name)]
            if let transparency { header["transparency"] = .object(Self.transparencyJSON(transparency)) }
            var chunk = Array(try encoder.encode(header)) + [UInt8(ascii: "\n")]
            _ = try await store.exportCustody(scope: scope, actor: actor, logger: logger, head: transparency?.head) { event in
                chunk += try encoder.encode(event) + [UInt8(ascii: "\n")]
                if chunk.count >= Self.exportChunk {
                    try await send(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try await send(chunk)
        }
        return .ok(.init(body: .applicationXNdjson(body)))
    }

    func exportCustodyJSON(_ input: Operations.ExportCustodyJSON.Input) async throws -> Operations.ExportCustodyJSON.Output {
        let q = input.query
        let (actor, scope) = try await checkedExport(vial: q.vial, lot: q.lot, donor: q.donor, patient: q.patient, from: q.from, to: q.to)
        var events: [Components.Schemas.CustodyExportEvent] = []
        let transparency = try await logSigner.asyncMap { try await store.tlogExportHead($0, logger: logger) } ?? nil
        _ = try await store.exportCustody(scope: scope, actor: actor, logger: logger, head: transparency?.head) { events.append(try Mapping.exportedEvent($0)) }
        return .ok(.init(body: .json(.init(format: .cryoledger_custodyExportV1, scope: scope.description, generatedAt: Date(),
                                           generatedBy: actor.name, events: events, transparency: transparency.map(Self.transparency)))))
    }

    func exportCustodyPDF(_ input: Operations.ExportCustodyPDF.Input) async throws -> Operations.ExportCustodyPDF.Output {
        let q = input.query
        let (actor, scope) = try await checkedExport(vial: q.vial, lot: q.lot, donor: q.donor, patient: q.patient, from: q.from, to: q.to)
        // libharu assembles the document in memory; write it to a temporary file and send that.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-report-\(UUID().uuidString).pdf").path
        defer { unlink(path) }
        try await ReportWriter.write(store: store, scope: scope, format: .pdf, to: path, actor: actor, key: auditKey, signer: logSigner, logger: logger)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return .ok(.init(body: .pdf(HTTPBody(data))))
    }

    static let exportChunk = 64 * 1024

    /// The caller may read custody, and the scope is one of the five and names something that exists (unknown ids are
    /// a 404 before a 200 starts streaming).
    private func checkedExport(vial: String?, lot: String?, donor: String?, patient: String?, from: String?, to: String?) async throws -> (Principal, ExportScope) {
        let actor = try caller()
        try actor.require(.readCustody)
        let scope = try Self.scope(vial: vial, lot: lot, donor: donor, patient: patient, from: from, to: to)
        _ = try await store.exportCustody(scope: scope, actor: actor, logger: logger, limit: 0) { _ in }
        return (actor, scope)
    }

    /// A streamed body whose producer holds a database connection only while the body is read (see `ExportStream`).
    private func stream(_ produce: @escaping ExportStream.Producer) -> HTTPBody {
        HTTPBody(ExportStream(logger: logger, produce: produce), length: .unknown, iterationBehavior: .single)
    }

    static func scope(vial: String?, lot: String?, donor: String?, patient: String?, from: String?, to: String?) throws -> ExportScope {
        try ExportScope.parse(vial: vial, lot: lot, donor: donor, patient: patient, from: from, to: to)
    }
}

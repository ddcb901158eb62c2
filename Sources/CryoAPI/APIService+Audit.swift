import AsyncAlgorithms
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

    func exportCustodyReport(_ input: Operations.ExportCustodyReport.Input) async throws -> Operations.ExportCustodyReport.Output {
        let q = input.query
        let actor = try caller()
        try actor.require(.readCustody)
        let scope = try Self.scope(vial: q.vial, lot: q.lot, donor: q.donor, patient: q.patient, from: q.from, to: q.to)
        switch q.format {
        case .pdf:
            // libharu assembles the document in memory; write it to a temporary file and stream that.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-report-\(UUID().uuidString).pdf").path
            defer { unlink(path) }
            try await ReportWriter.write(store: store, scope: scope, format: .pdf, to: path, actor: actor, key: auditKey, logger: logger)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return .ok(.init(body: .pdf(HTTPBody(data))))
        case .csv, .ndjson:
            // Validate the scope (unknown ids → 404) before the 200 starts streaming.
            _ = try await store.exportCustody(scope: scope, actor: actor, logger: logger, limit: 0) { _ in }
            let channel = AsyncThrowingChannel<ArraySlice<UInt8>, any Error>()
            let format = q.format
            let store = self.store, logger = self.logger
            Task {
                do {
                    if format == .csv {
                        _ = try await store.exportCustodyCSV(scope: scope, actor: actor, logger: logger, chunkSize: 64 * 1024) { chunk in
                            if !chunk.isEmpty { await channel.send(chunk[...]) }
                        }
                        channel.finish()
                        return
                    }
                    var chunk: [UInt8] = []
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    let header = ["format": "cryoledger.custody-export/v1+ndjson", "scope": scope.description,
                                  "generatedAt": ISO8601DateFormatter().string(from: Date()), "generatedBy": actor.name]
                    chunk += try encoder.encode(header) + [UInt8(ascii: "\n")]
                    _ = try await store.exportCustody(scope: scope, actor: actor, logger: logger) { event in
                        chunk += try encoder.encode(event) + [UInt8(ascii: "\n")]
                        if chunk.count >= 64 * 1024 {
                            await channel.send(chunk[...])
                            chunk.removeAll(keepingCapacity: true)
                        }
                    }
                    if !chunk.isEmpty { await channel.send(chunk[...]) }
                    channel.finish()
                } catch {
                    logger.error("custody export failed", metadata: ["error": "\(LogSafe.describe(error))"])
                    channel.fail(error)
                }
            }
            let body = HTTPBody(channel, length: .unknown, iterationBehavior: .single)
            return .ok(.init(body: format == .csv ? .csv(body) : .applicationXNdjson(body)))
        }
    }

    static func scope(vial: String?, lot: String?, donor: String?, patient: String?, from: String?, to: String?) throws -> ExportScope {
        try ExportScope.parse(vial: vial, lot: lot, donor: donor, patient: patient, from: from, to: to)
    }
}

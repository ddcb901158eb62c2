import CryoDomain
import CryoStore
import Foundation
import Logging

public enum ReportFormat: String, Sendable, CaseIterable {
    case csv, json, pdf
}

/// The JSON export: scope, provenance, and the events with what is needed to re-verify them offline.
public struct CustodyExportDocument: Codable, Sendable {
    public var format: String
    public var scope: String
    public var generatedAt: String
    public var generatedBy: String
    public var events: [ExportedEvent]
    /// The signed head the export was cut against, with the witnesses' heads (absent in exports made without a log key).
    public var transparency: ExportTransparency.Document?
}

/// Writes custody reports. CSV and JSON are streamed event by event to the file, so memory stays flat.
public enum ReportWriter {
    @discardableResult
    public static func write(store: Store, scope: ExportScope, format: ReportFormat, to path: String, actor: Principal,
                             key: AuditKey?, signer: LogSigner? = nil, logger: Logger) async throws -> Int {
        let now = Date()
        let stamp = ISO8601DateFormatter().string(from: now)
        switch format {
        case .csv:
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw ReportError.file("cannot write \(path)")
            }
            defer { try? handle.close() }
            return try await store.exportCustodyCSV(scope: scope, actor: actor, logger: logger) { try handle.write(contentsOf: $0) }
        case .json:
            guard FileManager.default.createFile(atPath: path, contents: nil) , let handle = FileHandle(forWritingAtPath: path) else {
                throw ReportError.file("cannot write \(path)")
            }
            defer { try? handle.close() }
            var buffer = [UInt8]()
            buffer.reserveCapacity(1 << 20 + 4096)
            func flush(force: Bool = false) throws {
                if force || buffer.count > 1 << 20 { try handle.write(contentsOf: buffer); buffer.removeAll(keepingCapacity: true) }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let head = "{\"format\":\"cryoledger.custody-export/v1\",\"scope\":\(String(decoding: try encoder.encode(scope.description), as: UTF8.self)),\"generatedAt\":\"\(stamp)\",\"generatedBy\":\(String(decoding: try encoder.encode(actor.name), as: UTF8.self)),\"events\":["
            buffer.append(contentsOf: head.utf8)
            var first = true
            var transparency: ExportTransparency?
            if let signer {
                transparency = try await store.tlogExportHead(signer, logger: logger)
            }
            let count = try await store.exportCustody(scope: scope, actor: actor, logger: logger, head: transparency?.head) { e in
                if !first { buffer.append(UInt8(ascii: ",")) }
                buffer.append(contentsOf: try encoder.encode(e))
                first = false
                try flush()
            }
            buffer.append(contentsOf: "]".utf8)
            if let transparency {
                buffer.append(contentsOf: ",\"transparency\":".utf8)
                buffer.append(contentsOf: try encoder.encode(transparency.document))
            }
            buffer.append(contentsOf: "}\n".utf8)
            try flush(force: true)
            return count
        case .pdf:
            let verification = try await store.verifyAuditTrail(key: key, actor: actor, logger: logger)
            var treeHead: TreeHead?
            if let signer {
                treeHead = try await store.tlogExportHead(signer, logger: logger)?.head
            }
            let pdf = try CustodyPDF(title: "Chain-of-custody report", scope: scope.description, generatedBy: "\(actor.name) (\(actor.role.rawValue))",
                                     generatedAt: now, verification: verification, treeHead: treeHead)
            let count = try await store.exportCustody(scope: scope, actor: actor, logger: logger) { pdf.add($0) }
            try pdf.write(to: path)
            return count
        }
    }
}

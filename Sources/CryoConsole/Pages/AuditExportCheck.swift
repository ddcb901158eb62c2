import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The "verify this export" form: the export file, and the witnesses' public keys (one per line, optional).
struct ExportUpload: Sendable {
    var fileName: String?
    var file: Data?
    var witnessKeys: [String]

    init(parts: [Multipart.Part]) {
        let upload = parts.first { $0.name == "file" && $0.fileName != nil }
        fileName = upload?.fileName
        file = upload?.data
        witnessKeys = parts.first { $0.name == "witnessKeys" && $0.fileName == nil }
            .map { String(decoding: $0.data, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? []
    }
}

/// What the server found about an uploaded export, in sentences: verified, or the first reason it is not.
struct AuditExportCheckPage: PageView {
    static let template = "audit-export-check"
    let title = "Export verification"
    let file: String
    let verified: Bool
    let reason: String?
    let findings: [String]
}

extension Console {
    func auditCheckExport(_ upload: ExportUpload) async throws -> Response {
        _ = try signedIn()
        guard let file = upload.file, !file.isEmpty else {
            return try await auditPage(AuditQuery(), refusal: Refusal(.invalid(field: "file", rule: "choose the export file (JSON or NDJSON) to verify"),
                                                                    fields: ["file": "export-file"]))
        }
        let name = upload.fileName ?? "the export"
        do {
            let report = try await store.tlogVerifyExport(file, witnessKeys: upload.witnessKeys, logger: logger)
            return try render(AuditExportCheckPage(file: name, verified: true, reason: nil, findings: Self.findings(report)))
        } catch let failure as ExportVerificationFailure {
            return try render(AuditExportCheckPage(file: name, verified: false, reason: Self.sentence(failure.reason), findings: []))
        }
    }

    static func findings(_ report: ExportCheckReport) -> [String] {
        let v = report.verification
        var out = ["Each of its \(v.events) events (of \(v.subjects) subjects) matches its hash and its history, and its inclusion proof leads to the signed head's root hash.",
                   "The head (\(v.size) events, root hash \(v.rootHash.base64EncodedString())) is signed by this log's key \(v.signedBy)."]
        if !v.witnesses.isEmpty {
            out.append("Co-signed by \(v.witnesses.joined(separator: ", ")): each witness's signature checks, on this head or on an earlier head this one extends.")
        }
        if !v.uncheckedCosigners.isEmpty {
            out.append("Also co-signed by \(v.uncheckedCosigners.joined(separator: ", ")), not checked: give the witness's public key to check it.")
        }
        if let latest = report.latestSize {
            out.append(latest == v.size ? "The head is this log's latest head."
                                        : "This log's latest head (\(latest) events) extends the export's head: nothing in it was rewritten since.")
        }
        return out
    }

    /// The reason as a sentence: capitalised, ending with a full stop.
    static func sentence(_ reason: String) -> String {
        (reason.prefix(1).uppercased() + reason.dropFirst()) + (reason.hasSuffix(".") ? "" : ".")
    }
}

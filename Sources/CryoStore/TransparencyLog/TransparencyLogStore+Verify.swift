import Foundation
import Logging
import PostgresNIO

/// What the server found about an uploaded export: the export's own checks, then whether its head is part of this
/// log's history as it stands now (a consistency proof from the export's head to the latest head).
public struct ExportCheckReport: Sendable {
    public var verification: ExportVerification
    /// The latest head the export's head was checked against (nil: this log has no head yet).
    public var latestSize: Int64?
}

extension Store {
    /// Runs the independent verifier's checks on an export with every key this log has signed with, then checks
    /// that the export's head is consistent with the latest head. Throws `ExportVerificationFailure` with the reason.
    public func tlogVerifyExport(_ data: Data, witnessKeys: [String], logger: Logger) async throws -> ExportCheckReport {
        let keys = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT vkey FROM tlog_key ORDER BY first_used", logger: logger).decode(String.self).all()
        }
        let verification = try TLogExportVerifier.verify(data, logKeys: keys, witnessKeys: witnessKeys)
        return try await read(logger) { conn in
            guard let latest = try await Self.tlogHead(size: nil, conn, logger: logger) else {
                return ExportCheckReport(verification: verification, latestSize: nil)
            }
            let size = verification.size
            guard size <= latest.size else {
                throw ExportVerificationFailure("the export's head has \(size) entries but this log's latest head only \(latest.size): the log was truncated after the export was cut")
            }
            let proof = try await Self.tlogConsistencyProof(from: size, to: latest.size, conn, logger: logger)
            guard MerkleTree.verifyConsistency(from: size, verification.rootHash, to: latest.size, latest.rootHash, proof: proof) else {
                throw ExportVerificationFailure("split view: the export's head (\(size) entries, root \(verification.rootHash.base64EncodedString())) is not part of this log's history up to its latest head (\(latest.size) entries): the log was rewritten after the export was cut")
            }
            return ExportCheckReport(verification: verification, latestSize: latest.size)
        }
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func verifyChain(subjectType: String, subjectId: String, actor: Principal, logger: Logger) async throws -> SubjectChainReport {
        try actor.require(.readCustody)
        return try await read(logger) { conn in
            var verifier = AuditVerifier(key: nil, checkpoints: [])
            var count = 0
            let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: "SELECT \(StoredEvent.selectList) FROM custody_event WHERE subject_type = $1 AND subject_id = $2 ORDER BY id",
                                                          binds: { var b = PostgresBindings(); b.append(subjectType); b.append(subjectId); return b }()),
                                            logger: logger)
            for try await row in rows {
                verifier.add(try StoredEvent(NamedColumns(row)))
                count += 1
            }
            var heads: [String: (Int64, Data)] = [:]
            for try await (seq, hash) in try await conn.guardedQuery("""
                SELECT seq, hash FROM custody_head WHERE subject_type = \(subjectType) AND subject_id = \(subjectId)
                """, logger: logger).decode((Int64, ByteBuffer?).self) {
                heads["\(subjectType)/\(subjectId)"] = (seq, hash.map { Data(buffer: $0) } ?? Data())
            }
            _ = verifier.finish(heads: heads)
            return SubjectChainReport(intact: verifier.problems.isEmpty, events: count,
                                      problems: verifier.problems.map { "\($0.kind): \($0.detail)" })
        }
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Records a correction: a new event on the same subject that names the corrected event and says why
    /// (EU GMP Annex 11 §9). The corrected event itself is never changed.
    public func correctCustodyEvent(eventId: Int64, reason: String, corrected: [String: String], actor: Principal, logger: Logger) async throws -> CustodyEventRecord {
        try actor.require(.correctRecords)
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!trimmed.isEmpty && trimmed.count <= 1000, "reason", "a correction needs a reason (1 to 1000 characters)")
        try Validator().require(!corrected.isEmpty, "corrected", "name at least one corrected field and its right value")
        let (type, subject): (String, String) = try await transaction(logger) { conn in
            guard let row = try await conn.guardedQuery("SELECT subject_type, subject_id FROM custody_event WHERE id = \(eventId)", logger: logger)
                .decode((String, String).self).all().first else {
                throw DomainError.notFound(kind: "custody event", id: String(eventId))
            }
            let details = String(decoding: try JSONSerialization.data(withJSONObject: corrected, options: [.sortedKeys]), as: UTF8.self)
            try await conn.guardedQuery("""
                INSERT INTO custody_event (subject_type, subject_id, action, actor_id, actor_name, actor_role, reason, details, corrects_event, prev_hash, hash)
                VALUES (\(row.0), \(row.1), 'correction', \(actor.id), \(actor.name), \(actor.role.rawValue), \(trimmed), \(details)::jsonb, \(eventId), '\\x', '\\x')
                """, logger: logger)
            CustodyTally.current?.add(1)
            return row
        }
        return try await custodyEvents(subjectType: type, subjectId: subject, actor: actor, logger: logger).last!
    }
}

import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// The one path of every vial status change: `VialStatus.canMove` decides (its database twin is the
    /// `vial_transition` table behind the `check_status_transition()` trigger). The caller has checked what its
    /// verb needs and writes the custody events in the same transaction. Returns each vial's status before.
    @discardableResult
    static func changeVialStatus(_ ids: [String], to next: VialStatus, on conn: PostgresConnection, logger: Logger) async throws -> [String: VialStatus] {
        var before: [String: VialStatus] = [:]
        for try await (id, text) in try await conn.guardedQuery("SELECT id, status FROM vial WHERE id = ANY(\(ids)) ORDER BY id FOR UPDATE", logger: logger)
            .decode((String, String).self) {
            let current = try VialStatus(stored: text)
            guard current.canMove(to: next) else {
                throw DomainError.illegalTransition("vial", from: current.rawValue, to: next.rawValue, allowed: current.successors.map(\.rawValue))
            }
            before[id] = current
        }
        if let missing = ids.first(where: { before[$0] == nil }) { throw DomainError.notFound(kind: "vial", id: missing) }
        try await conn.guardedQuery("""
            UPDATE vial SET status = \(next.rawValue), status_changed_at = now(),
                            thawed_at = CASE WHEN \(next.rawValue) = 'thawed' THEN now() ELSE thawed_at END
            WHERE id = ANY(\(ids))
            """, logger: logger)
        return before
    }
}

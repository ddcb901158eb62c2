import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// The one path of every lot status change: `LotStatus.canMove` decides (its database twin is the `lot_transition`
    /// table behind the `check_status_transition()` trigger). Going on hold remembers the status it was held from;
    /// coming off hold returns there and nowhere else. The caller writes the custody events in the same transaction.
    /// Returns each lot's status before.
    @discardableResult
    static func changeLotStatus(_ numbers: [String], to next: LotStatus, on conn: PostgresConnection, logger: Logger) async throws -> [String: LotStatus] {
        var before: [String: LotStatus] = [:]
        for try await (number, text, heldFrom) in try await conn.guardedQuery("""
            SELECT lot_number, status, held_from FROM lot WHERE lot_number = ANY(\(numbers)) ORDER BY lot_number FOR UPDATE
            """, logger: logger).decode((String, String, String?).self) {
            let current = try LotStatus(stored: text)
            guard current.canMove(to: next) else {
                throw DomainError.illegalTransition("lot", from: current.rawValue, to: next.rawValue, allowed: current.successors.map(\.rawValue))
            }
            if current == .onHold, [.inProcess, .quarantine, .released].contains(next), heldFrom != next.rawValue {
                throw DomainError.conflict(field: "status", rule: "lifting a hold returns the lot to \(heldFrom ?? "?"), the state it was held from")
            }
            before[number] = current
        }
        if let missing = numbers.first(where: { before[$0] == nil }) { throw DomainError.notFound(kind: "lot", id: missing) }
        try await conn.guardedQuery("""
            UPDATE lot SET held_from = CASE WHEN \(next.rawValue) = 'on-hold' THEN status END, status = \(next.rawValue), status_changed_at = now()
            WHERE lot_number = ANY(\(numbers))
            """, logger: logger)
        return before
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Lots past their expiry date become expired, with a custody event by the system, and their vials'
    /// open reservations are cancelled. Reservation and shipping refuse expired vials in the database
    /// already (vial_blockers); this makes the status say so. The server runs it on a timer.
    @discardableResult
    public func expireDueLots(logger: Logger) async throws -> [String] {
        try await transaction(logger) { conn in
            let due = try await conn.guardedQuery("""
                SELECT lot_number, status FROM lot
                WHERE expires_on < current_date AND status IN ('quarantine', 'released', 'on-hold')
                ORDER BY lot_number FOR UPDATE SKIP LOCKED
                """, logger: logger).decode((String, String).self).all()
            guard !due.isEmpty else { return [] }
            let lots = due.map(\.0)
            try await Self.changeLotStatus(lots, to: .expired, on: conn, logger: logger)
            try await Custody.append(due.map {
                CustodyEntry(subjectType: "lot", subjectId: $0.0, action: "lot.expired", fromState: $0.1, toState: "expired",
                             reason: "past its expiry date")
            }, by: .system, on: conn, logger: logger)
            for lot in lots {
                _ = try await Self.cancelReservations(ofVials: "SELECT id FROM vial WHERE lot_number = $1 AND status = 'reserved'", bind: lot,
                                                      reason: "lot \(lot) expired", actor: .system, on: conn, logger: logger)
            }
            logger.notice("lots expired", metadata: ["lots": "\(lots.joined(separator: ","))"])
            return lots
        }
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// A donor found ineligible after the fact: in one transaction the donor, every lot made from it and
    /// every vial of those lots go on hold, open reservations are cancelled, and the patients already
    /// dosed are listed, each step in the custody log.
    public func recordDonorIneligible(code: String, reason: String, actor: Principal, logger: Logger) async throws -> LookBackReport {
        try actor.require(.lookBack)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "say why the donor is ineligible (at most 500 characters)")
        return try await transaction(logger) { conn in
            guard let eligibility = try await conn.guardedQuery("SELECT eligibility FROM donor WHERE code = \(code) FOR UPDATE", logger: logger)
                .decode(String.self).all().first else {
                throw DomainError.notFound(kind: "donor", id: code)
            }
            if eligibility == DonorEligibility.ineligible.rawValue {
                throw DomainError.conflict(field: "code", rule: "donor \(code) is already ineligible")
            }
            try await conn.guardedQuery("""
                UPDATE donor SET eligibility = 'ineligible', eligibility_decided_at = now() WHERE code = \(code)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "donor", subjectId: code, action: "donor.found-ineligible",
                                                  fromState: eligibility, toState: "ineligible", reason: reason),
                                     by: actor, on: conn, logger: logger)
            let why = "look-back: donor \(code) found ineligible (\(reason))"
            let lots = try await conn.guardedQuery("""
                SELECT lot_number FROM lot WHERE donor_code = \(code) AND status IN ('in-process', 'quarantine', 'released', 'on-hold')
                ORDER BY lot_number FOR UPDATE
                """, logger: logger).decode(String.self).all()
            let vials = try await conn.guardedQuery("""
                SELECT v.id FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                WHERE l.donor_code = \(code) AND v.status NOT IN ('administered', 'destroyed') ORDER BY v.id FOR UPDATE OF v
                """, logger: logger).decode(String.self).all()
            var holds = [NewHold(subject: .donor, id: code, reason: why, source: "look-back", sourceRef: code)]
            holds += lots.map { NewHold(subject: .lot, id: $0, reason: why, source: "look-back", sourceRef: code) }
            holds += vials.map { NewHold(subject: .vial, id: $0, reason: why, source: "look-back", sourceRef: code) }
            try await Self.insertHolds(holds, actor: actor, on: conn, logger: logger)
            let cancelled = try await Self.cancelReservations(
                ofVials: "SELECT v.id FROM vial v JOIN lot l ON l.lot_number = v.lot_number WHERE l.donor_code = $1 AND v.status = 'reserved'",
                bind: code, reason: why, actor: actor, on: conn, logger: logger)
            let outside = try await conn.guardedQuery("""
                SELECT v.id FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                WHERE l.donor_code = \(code) AND v.status IN ('shipped', 'received', 'thawed') ORDER BY v.id
                """, logger: logger).decode(String.self).all()
            let dosed = try await Self.dosedPatients(donorCode: code, on: conn, logger: logger)
            try await Custody.append(dosed.map {
                CustodyEntry(subjectType: "patient", subjectId: $0.subjectId, action: "patient.donor-look-back", reason: why,
                             details: ["donor": code, "lot": $0.lotNumber, "vial": $0.vialId])
            }, by: actor, on: conn, logger: logger)
            logger.notice("donor look-back", metadata: ["donor": "\(code)", "lots": "\(lots.count)", "vials": "\(vials.count)",
                                                        "cancelled": "\(cancelled.count)", "dosed": "\(dosed.count)"])
            return LookBackReport(donorCode: code, lotsHeld: lots, vialsHeld: vials, reservationsCancelled: cancelled,
                                  vialsOutsideStorage: outside, dosedPatients: dosed)
        }
    }

    /// The patients dosed from a donor's lots, by patient and vial.
    static func dosedPatients(donorCode code: String, on conn: PostgresConnection, logger: Logger) async throws -> [DosedPatient] {
        try await conn.guardedQuery("""
            SELECT a.subject_id, a.vial_id, v.lot_number, a.administered_at
            FROM administration a JOIN vial v ON v.id = a.vial_id JOIN lot l ON l.lot_number = v.lot_number
            WHERE l.donor_code = \(code) ORDER BY a.subject_id, a.vial_id
            """, logger: logger).named { c in
            DosedPatient(subjectId: try c("subject_id"), vialId: try c("vial_id"), lotNumber: try c("lot_number"), administeredAt: try c("administered_at"))
        }
    }

    /// Cancels the live reservations of still-reserved vials chosen by `sql` (one text bind), returning
    /// the vials to stored; an allocation with no live reservation left is cancelled too.
    static func cancelReservations(ofVials sql: String, bind: String, reason: String, actor: Principal,
                                   on conn: PostgresConnection, logger: Logger) async throws -> [String] {
        var binds = PostgresBindings()
        binds.append(bind)
        let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: """
            UPDATE reservation r SET cancelled_at = now(), cancel_reason = $2
            WHERE r.cancelled_at IS NULL AND r.vial_id IN (\(sql))
            RETURNING r.vial_id, r.subject_id, r.allocation_id
            """, binds: { binds.append(reason); return binds }()), logger: logger)
            .decode((String, String, Int64).self).all()
        guard !rows.isEmpty else { return [] }
        let vials = rows.map(\.0)
        try await Self.changeVialStatus(vials, to: .stored, on: conn, logger: logger)
        let allocations = Array(Set(rows.map(\.2))).sorted()
        try await conn.guardedQuery("""
            UPDATE allocation a SET status = 'cancelled', cancelled_at = now(), cancel_reason = \(reason)
            WHERE a.id = ANY(\(allocations)) AND a.status = 'reserved'
              AND NOT EXISTS (SELECT 1 FROM reservation r WHERE r.allocation_id = a.id AND r.cancelled_at IS NULL)
            """, logger: logger)
        var entries = rows.map {
            CustodyEntry(subjectType: "vial", subjectId: $0.0, action: "vial.reservation-cancelled", fromState: "reserved", toState: "stored",
                         reason: reason, details: ["patient": $0.1, "allocation": String($0.2)])
        }
        entries += allocations.map {
            CustodyEntry(subjectType: "allocation", subjectId: String($0), action: "allocation.reservations-cancelled", reason: reason)
        }
        try await Custody.append(entries, by: actor, on: conn, logger: logger)
        return vials
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Bedside administration, an electronic signature: `Administration.check` decides (chain of identity, thawed,
    /// thaw-to-infusion limit, rule 3, conditional release); the database's `check_administration()` decides again.
    /// Every refusal is logged as `vial.administration-refused`, whichever of the two refuses.
    public func administerVial(id text: String, scannedSubjectId: String, signature: SignatureInput?, actor: Principal, logger: Logger) async throws -> VialRecord {
        let id = try await checkAdministration(vialId: text, scannedSubjectId: scannedSubjectId, actor: actor, logger: logger).vialId
        let signed = try await verifySignature(signature, actor: actor, logger: logger)
        try await transaction(logger, refusal: { conn, refusal in
            try await Self.logAdministrationRefusal(refusal, vialId: id, scanned: scannedSubjectId, actor: actor, on: conn, logger: logger)
        }) { conn in
            _ = try await Self.lockVial(id, on: conn, logger: logger)
            try await conn.guardedQuery("INSERT INTO administration (vial_id, subject_id, administered_by) VALUES (\(id), \(scannedSubjectId), \(actor.id))", logger: logger)
            try await Self.changeVialStatus([id], to: .administered, on: conn, logger: logger)
            try await conn.guardedQuery("""
                UPDATE patient SET status = 'dosed', dosed_at = now() WHERE subject_id = \(scannedSubjectId) AND status = 'enrolled'
                """, logger: logger)
            try await conn.guardedQuery("""
                UPDATE allocation a SET status = 'administered' FROM reservation r
                WHERE r.vial_id = \(id) AND r.cancelled_at IS NULL AND a.id = r.allocation_id AND a.status = 'reserved'
                  AND NOT EXISTS (SELECT 1 FROM reservation o JOIN vial ov ON ov.id = o.vial_id
                                  WHERE o.allocation_id = a.id AND o.cancelled_at IS NULL AND ov.status <> 'administered')
                """, logger: logger)
            try await Custody.append([
                CustodyEntry(subjectType: "vial", subjectId: id, action: "vial.administered", fromState: "thawed", toState: "administered",
                             toLocation: "patient \(scannedSubjectId)", details: ["patient": scannedSubjectId, "scannedVial": id], signature: signed),
                CustodyEntry(subjectType: "patient", subjectId: scannedSubjectId, action: "patient.dosed", toState: "dosed", details: ["vial": id]),
            ], by: actor, on: conn, logger: logger)
        }
        return try await vial(id: id, actor: actor, logger: logger)
    }

    /// The bedside check before signing: the scanned patient and vial against `Administration.check`. A refusal is
    /// logged as `vial.administration-refused`, as at administration itself (which runs this check again).
    public func checkAdministration(vialId text: String, scannedSubjectId: String, actor: Principal, logger: Logger) async throws -> AdministrationFacts {
        try actor.require(.dispense)
        let id = try VialID(parsing: text)
        let facts = try await read(logger) { conn in try await Self.administrationFacts(id.value, scanned: scannedSubjectId, on: conn, logger: logger) }
        do {
            try Administration.check(facts)
        } catch {
            try await transaction(logger) { conn in
                try await Self.logAdministrationRefusal(error, vialId: id.value, scanned: scannedSubjectId, actor: actor, on: conn, logger: logger)
            }
            throw error
        }
        return facts
    }

    static func administrationFacts(_ vialId: String, scanned: String, on conn: PostgresConnection, logger: Logger) async throws -> AdministrationFacts {
        let rows = try await conn.guardedQuery("""
            SELECT v.status, r.subject_id, thaw_window_closes_at(v.id) AS closes_at, now() AS now, pr.thaw_to_infusion_minutes,
                   vial_blockers(v.id) AS blockers, v.lot_number, coalesce(conditional_release_pending(v.lot_number), '{}') AS pending
            FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product pr ON pr.code = l.product_code
            LEFT JOIN reservation r ON r.vial_id = v.id AND r.cancelled_at IS NULL WHERE v.id = \(vialId)
            """, logger: logger).named { c in
            (status: try c("status", as: String.self), subject: try c("subject_id", as: String?.self), closesAt: try c("closes_at", as: Date?.self),
             now: try c("now", as: Date.self), limit: try c("thaw_to_infusion_minutes", as: Int.self), blockers: try c("blockers", as: String?.self),
             lot: try c("lot_number", as: String.self), pending: try c("pending", as: [String].self))
        }
        guard let r = rows.first else { throw DomainError.notFound(kind: "vial", id: vialId) }
        let readiness = if let subject = r.subject { try await readinessFacts(subject, lock: false, on: conn, logger: logger) } else { ReadinessFacts?.none }
        return AdministrationFacts(vialId: vialId, status: try VialStatus(stored: r.status), reservedFor: r.subject, scannedSubjectId: scanned,
                                   thawLimitMinutes: r.limit, thawWindowClosesAt: r.closesAt, now: r.now, readiness: readiness,
                                   blockers: r.blockers, lotNumber: r.lot, pendingTests: r.pending)
    }

    /// Logs a refused administration on the vial and on the patients concerned (the one it is reserved for and the one scanned).
    static func logAdministrationRefusal(_ error: DomainError, vialId: String, scanned: String, actor: Principal,
                                         on conn: PostgresConnection, logger: Logger) async throws {
        let reserved = try await conn.guardedQuery("SELECT subject_id FROM reservation WHERE vial_id = \(vialId) AND cancelled_at IS NULL", logger: logger)
            .decode(String.self).all()
        let known = try await conn.guardedQuery("SELECT subject_id FROM patient WHERE subject_id = \(scanned)", logger: logger).decode(String.self).all()
        try await logRefusal(.administer, error, vials: [vialId], patients: reserved + known, scanned: ["scannedPatient": scanned, "scannedVial": vialId],
                             actor: actor, on: conn, logger: logger)
    }
}

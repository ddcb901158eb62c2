import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// Issue 28: conditions the system finds on a timer (the expiry sweep's `ExpiryService`), each announced once by a
/// custody event of the system: a lot entering its last 30 / 7 days (`ExpiryWarning`), a dry shipper running out of
/// its validated hold (`DryShipperHold`), an infusion day near with no vial reserved (`InfusionDoseWarning`).
/// Each sweep claims its conditions in `notified_condition` (unique indexes `lot_expiry_warning_once`,
/// `shipment_hold_warning_once`, `infusion_without_dose_once`) and appends events only for the claims it won, in the
/// same transaction: two sweeps that race say each thing once.
extension Store {
    public struct ConditionWarnings: Sendable, Equatable {
        public var expiringLots: [String] = []
        public var shipments: [String] = []
        public var patients: [String] = []
        public var isEmpty: Bool { expiringLots.isEmpty && shipments.isEmpty && patients.isEmpty }
    }

    @discardableResult
    public func warnOfConditions(logger: Logger) async throws -> ConditionWarnings {
        var found = ConditionWarnings()
        found.expiringLots = try await warnOfExpiringLots(logger: logger)
        found.shipments = try await warnOfShipperHolds(logger: logger)
        found.patients = try await warnOfInfusionsWithoutDose(logger: logger)
        return found
    }

    /// Lots still usable whose expiry date is within the widest warning, and the warnings they have had.
    func warnOfExpiringLots(logger: Logger) async throws -> [String] {
        try await transaction(logger) { conn in
            let candidates = try await conn.guardedQuery("""
                SELECT l.lot_number, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, to_char(current_date, 'YYYY-MM-DD') AS today,
                       array(SELECT n.kind FROM notified_condition n WHERE n.subject_id = l.lot_number
                             AND n.kind IN ('lot.expiring-30-days', 'lot.expiring-7-days')) AS warned
                FROM lot l
                WHERE l.status IN ('quarantine', 'released', 'on-hold')
                  AND l.expires_on BETWEEN current_date AND current_date + \(Int32(ExpiryWarning.horizon))
                ORDER BY l.lot_number
                """, logger: logger).named { c in
                (lot: try c("lot_number", as: String.self), expires: try c("expires_on", as: String.self),
                 today: try c("today", as: String.self), warned: try c("warned", as: [String].self))
            }
            var due: [Condition] = []
            for c in candidates {
                guard let expiry = CalendarDay(c.expires), let today = CalendarDay(c.today),
                      let warning = ExpiryWarning.threshold(expiry: expiry, today: today),
                      !c.warned.contains(warning.action) else { continue }
                due.append(Condition(kind: warning.action, subjectType: "lot", subjectId: c.lot, occasion: "",
                                     entry: CustodyEntry(subjectType: "lot", subjectId: c.lot, action: warning.action,
                                                         reason: "expires on \(c.expires), within \(warning.rawValue) days",
                                                         details: ["expiresOn": c.expires, "days": String(warning.rawValue)])))
            }
            return try await Self.announceOnce(due, on: conn, logger: logger)
        }
    }

    /// Shipments not yet received and not yet warned of; `DryShipperHold.isRunningOut` decides.
    func warnOfShipperHolds(logger: Logger) async throws -> [String] {
        try await transaction(logger) { conn in
            let candidates = try await conn.guardedQuery("""
                SELECT s.id, s.dry_shipper_id, s.shipped_at, s.validated_hold_hours, now() AS now FROM shipment s
                WHERE s.received_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM notified_condition n WHERE n.kind = 'shipment.hold-running-out' AND n.subject_id = s.id)
                ORDER BY s.id
                """, logger: logger).named { c in
                (id: try c("id", as: String.self), shipper: try c("dry_shipper_id", as: String.self), shippedAt: try c("shipped_at", as: Date.self),
                 hours: Int(try c("validated_hold_hours", as: Int32.self)), now: try c("now", as: Date.self))
            }
            let due = candidates.filter { DryShipperHold.isRunningOut(shippedAt: $0.shippedAt, validatedHoldHours: $0.hours, now: $0.now) }.map { s in
                let ends = DryShipperHold.holdEnds(shippedAt: s.shippedAt, validatedHoldHours: s.hours)
                let endsText = ends.formatted(.iso8601)
                return Condition(kind: "shipment.hold-running-out", subjectType: "shipment", subjectId: s.id, occasion: "",
                                 entry: CustodyEntry(subjectType: "shipment", subjectId: s.id, action: "shipment.hold-running-out",
                                                     reason: "the dry shipper's validated hold of \(s.hours) hours ends at \(endsText)",
                                                     details: ["holdEndsAt": endsText, "dryShipper": s.shipper, "validatedHoldHours": String(s.hours)]))
            }
            return try await Self.announceOnce(due, on: conn, logger: logger)
        }
    }

    /// Enrolled patients whose infusion day is within the rule's days ahead, not yet warned of for that day.
    func warnOfInfusionsWithoutDose(logger: Logger) async throws -> [String] {
        try await transaction(logger) { conn in
            let candidates = try await conn.guardedQuery("""
                SELECT p.subject_id, to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on, to_char(current_date, 'YYYY-MM-DD') AS today,
                       EXISTS (SELECT 1 FROM reservation r WHERE r.subject_id = p.subject_id AND r.cancelled_at IS NULL) AS reserved
                FROM patient p
                WHERE p.status = 'enrolled' AND p.infusion_on BETWEEN current_date AND current_date + \(Int32(InfusionDoseWarning.daysAhead))
                  AND NOT EXISTS (SELECT 1 FROM notified_condition n WHERE n.kind = 'patient.infusion-without-dose'
                                  AND n.subject_id = p.subject_id AND n.occasion = to_char(p.infusion_on, 'YYYY-MM-DD'))
                ORDER BY p.subject_id
                """, logger: logger).named { c in
                (patient: try c("subject_id", as: String.self), infusion: try c("infusion_on", as: String.self),
                 today: try c("today", as: String.self), reserved: try c("reserved", as: Bool.self))
            }
            var due: [Condition] = []
            for p in candidates {
                guard let infusion = CalendarDay(p.infusion), let today = CalendarDay(p.today),
                      InfusionDoseWarning.isDue(infusionOn: infusion, today: today, hasReservedDose: p.reserved) else { continue }
                due.append(Condition(kind: "patient.infusion-without-dose", subjectType: "patient", subjectId: p.patient, occasion: p.infusion,
                                     entry: CustodyEntry(subjectType: "patient", subjectId: p.patient, action: "patient.infusion-without-dose",
                                                         reason: "infusion planned on \(p.infusion), no vial reserved",
                                                         details: ["infusionOn": p.infusion])))
            }
            return try await Self.announceOnce(due, on: conn, logger: logger)
        }
    }

    /// A condition to announce once: its claim in `notified_condition` and the event appended if the claim is won.
    struct Condition: Sendable {
        var kind: String
        var subjectType: String
        var subjectId: String
        var occasion: String
        var entry: CustodyEntry
    }

    /// Claims the conditions (a claim another transaction holds waits for it, then loses) and appends, by the system,
    /// the events of the claims won. Returns the subjects announced.
    static func announceOnce(_ conditions: [Condition], on conn: PostgresConnection, logger: Logger) async throws -> [String] {
        guard !conditions.isEmpty else { return [] }
        let won = try await conn.guardedQuery("""
            INSERT INTO notified_condition (kind, subject_type, subject_id, occasion)
            SELECT * FROM unnest(\(conditions.map(\.kind))::text[], \(conditions.map(\.subjectType))::text[],
                                 \(conditions.map(\.subjectId))::text[], \(conditions.map(\.occasion))::text[])
            ON CONFLICT DO NOTHING
            RETURNING kind, subject_id, occasion
            """, logger: logger).named { c in
            "\(try c("kind", as: String.self))|\(try c("subject_id", as: String.self))|\(try c("occasion", as: String.self))"
        }
        let claimed = Set(won)
        let announced = conditions.filter { claimed.contains("\($0.kind)|\($0.subjectId)|\($0.occasion)") }
        try await Custody.append(announced.map(\.entry), by: .system, on: conn, logger: logger)
        if !announced.isEmpty {
            logger.notice("conditions announced", metadata: ["kind": "\(Set(announced.map(\.kind)).sorted().joined(separator: ","))",
                                                            "count": "\(announced.count)"])
        }
        return announced.map(\.subjectId)
    }
}

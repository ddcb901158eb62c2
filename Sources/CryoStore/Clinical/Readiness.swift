import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// Rule 8, infusion readiness: lymphodepletion as given, the signed pre-infusion clearance, rescheduling. The decision is
/// `InfusionReadiness` (CryoDomain); its database twin `infusion_readiness()` decides again at thaw and administration.
extension Store {
    /// Clinical staff record one agent of the arm's lymphodepletion as given on a planned day.
    public func recordLymphodepletion(subjectId: String, agent text: String, givenOn: CalendarDay, actor: Principal, logger: Logger) async throws -> InfusionReadinessRecord {
        try actor.require(.prepareInfusion)
        guard let agent = LymphodepletionAgent(rawValue: text) else {
            throw DomainError.invalid(field: "agent", rule: "one of \(LymphodepletionAgent.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try await transaction(logger) { conn in
            let facts = try await Self.readinessFacts(subjectId, lock: true, on: conn, logger: logger)
            try InfusionReadiness.checkDose(facts.lymphodepletion, startOn: facts.ldStartOn, dose: LymphodepletionDose(agent: agent, givenOn: givenOn), today: facts.today)
            do {
                try await conn.guardedQuery("""
                    INSERT INTO lymphodepletion_dose (subject_id, agent, given_on, recorded_by) VALUES (\(subjectId), \(agent.rawValue), \(givenOn.description)::date, \(actor.id))
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw DomainError.conflict(field: "givenOn", rule: "\(agent.rawValue) on \(givenOn) is already recorded for \(subjectId)")
            }
            try await Custody.append(CustodyEntry(subjectType: "patient", subjectId: subjectId, action: "patient.lymphodepletion-given",
                                                  details: ["agent": agent.rawValue, "givenOn": givenOn.description]), by: actor, on: conn, logger: logger)
        }
        return try await infusionReadiness(subjectId: subjectId, actor: actor, logger: logger)
    }

    /// Clinical staff sign "patient cleared for infusion" for today, confirming every item of the arm's checklist.
    /// Refused while the arm's lymphodepletion is not recorded as given as planned.
    public func clearForInfusion(subjectId: String, items: [String], signature: SignatureInput?, actor: Principal, logger: Logger) async throws -> InfusionReadinessRecord {
        try actor.require(.prepareInfusion)
        let signed = try await verifySignature(signature, actor: actor, logger: logger)
        try await transaction(logger) { conn in
            let facts = try await Self.readinessFacts(subjectId, lock: true, on: conn, logger: logger)
            let required = try await Self.clearanceItems(subjectId, on: conn, logger: logger)
            try InfusionReadiness.checkClearance(required: required, confirmed: items)
            let missing = InfusionReadiness.missingDoses(facts)
            if !missing.isEmpty {
                throw DomainError.conflict(field: "items", rule: "lymphodepletion is not recorded as completed as planned: missing \(missing.map { "\($0.agent.rawValue) on \($0.givenOn)" }.joined(separator: ", "))")
            }
            do {
                try await conn.guardedQuery("""
                    INSERT INTO infusion_clearance (subject_id, cleared_on, items, signed_by) VALUES (\(subjectId), \(facts.today.description)::date, \(required)::text[], \(actor.id))
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw DomainError.conflict(field: "subjectId", rule: "\(subjectId) is already cleared for infusion today (\(facts.today))")
            }
            try await Custody.append(CustodyEntry(subjectType: "patient", subjectId: subjectId, action: "patient.cleared-for-infusion", toState: "cleared",
                                                  reason: "patient cleared for infusion",
                                                  details: ["clearedOn": facts.today.description, "items": required.joined(separator: "; ")], signature: signed),
                                     by: actor, on: conn, logger: logger)
        }
        return try await infusionReadiness(subjectId: subjectId, actor: actor, logger: logger)
    }

    /// A new infusion day with its reason. The reserved vials follow the patient: each gets a custody event naming the new day.
    public func rescheduleInfusion(subjectId: String, to day: CalendarDay, reason: String, actor: Principal, logger: Logger) async throws -> InfusionReadinessRecord {
        try actor.require(.prepareInfusion)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try await transaction(logger) { conn in
            // The patient's row lock orders this against a thaw (which holds it shared until it commits).
            let facts = try await Self.readinessFacts(subjectId, lock: true, on: conn, logger: logger)
            let vials = try await conn.guardedQuery("""
                SELECT r.vial_id, v.status FROM reservation r JOIN vial v ON v.id = r.vial_id
                WHERE r.subject_id = \(subjectId) AND r.cancelled_at IS NULL ORDER BY r.vial_id
                """, logger: logger).named { c in (try c("vial_id", as: String.self), try c("status", as: String.self)) }
            let from = InfusionReadiness.infusionDay(planned: facts.plannedInfusionOn, rescheduledTo: facts.rescheduledTo)
            try InfusionReadiness.checkReschedule(to: day, reason: reason, ldStartOn: facts.ldStartOn, today: facts.today,
                                                  thawedVial: vials.first { ["thawed", "administered"].contains($0.1) }?.0)
            try await conn.guardedQuery("""
                INSERT INTO infusion_reschedule (subject_id, from_on, to_on, reason, recorded_by)
                VALUES (\(subjectId), \(from.description)::date, \(day.description)::date, \(reason), \(actor.id))
                """, logger: logger)
            var entries = [CustodyEntry(subjectType: "patient", subjectId: subjectId, action: "patient.infusion-rescheduled", reason: reason,
                                        details: ["from": from.description, "to": day.description])]
            entries += vials.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.0, action: "vial.infusion-rescheduled", reason: reason,
                             details: ["patient": subjectId, "from": from.description, "to": day.description])
            }
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
        }
        return try await infusionReadiness(subjectId: subjectId, actor: actor, logger: logger)
    }

    /// The readiness record: what was planned, given, signed and rescheduled, and whether the patient is ready today.
    public func infusionReadiness(subjectId: String, actor: Principal, logger: Logger) async throws -> InfusionReadinessRecord {
        try actor.require(.readInventory)
        let record = try await read(logger) { conn in try await Self.readinessRecord(subjectId, on: conn, logger: logger) }
        try await logAuditorRead(of: [subjectId], what: "infusion readiness", actor: actor, logger: logger)
        return record
    }

    static func readinessRecord(_ subjectId: String, on conn: PostgresConnection, logger: Logger) async throws -> InfusionReadinessRecord {
        let facts = try await readinessFacts(subjectId, lock: false, on: conn, logger: logger)
        let doses = try await conn.guardedQuery("""
            SELECT d.agent, to_char(d.given_on, 'YYYY-MM-DD') AS given_on, u.name, d.recorded_at
            FROM lymphodepletion_dose d JOIN app_user u ON u.id = d.recorded_by WHERE d.subject_id = \(subjectId) ORDER BY d.given_on, d.agent DESC
            """, logger: logger).named { c in
            InfusionReadinessRecord.Dose(agent: try c("agent"), givenOn: try c("given_on"), recordedBy: try c("name"), recordedAt: try c("recorded_at"))
        }
        let clearances = try await conn.guardedQuery("""
            SELECT to_char(c.cleared_on, 'YYYY-MM-DD') AS cleared_on, c.items, u.name, c.signed_at
            FROM infusion_clearance c JOIN app_user u ON u.id = c.signed_by WHERE c.subject_id = \(subjectId) ORDER BY c.cleared_on
            """, logger: logger).named { c in
            InfusionReadinessRecord.Clearance(clearedOn: try c("cleared_on"), items: try c("items"), signedBy: try c("name"), signedAt: try c("signed_at"))
        }
        let reschedules = try await conn.guardedQuery("""
            SELECT to_char(r.from_on, 'YYYY-MM-DD') AS from_on, to_char(r.to_on, 'YYYY-MM-DD') AS to_on, r.reason, u.name, r.recorded_at
            FROM infusion_reschedule r JOIN app_user u ON u.id = r.recorded_by WHERE r.subject_id = \(subjectId) ORDER BY r.id
            """, logger: logger).named { c in
            InfusionReadinessRecord.Reschedule(fromOn: try c("from_on"), toOn: try c("to_on"), reason: try c("reason"), recordedBy: try c("name"),
                                               recordedAt: try c("recorded_at"))
        }
        return InfusionReadinessRecord(
            subjectId: subjectId, lymphodepletion: facts.lymphodepletion, ldStartOn: facts.ldStartOn?.description,
            plannedInfusionOn: facts.plannedInfusionOn.description,
            infusionOn: InfusionReadiness.infusionDay(planned: facts.plannedInfusionOn, rescheduledTo: facts.rescheduledTo).description,
            today: facts.today.description, plannedDoses: InfusionReadiness.plannedDoses(facts.lymphodepletion, startOn: facts.ldStartOn)
                .map { .init(agent: $0.agent.rawValue, givenOn: $0.givenOn.description) },
            dosesGiven: doses, clearanceItems: try await clearanceItems(subjectId, on: conn, logger: logger), clearances: clearances,
            reschedules: reschedules, notReady: InfusionReadiness.refusal(facts))
    }

    /// What `InfusionReadiness` decides on, read at one moment; `lock` locks the patient's row for update.
    static func readinessFacts(_ subjectId: String, lock: Bool, on conn: PostgresConnection, logger: Logger) async throws -> ReadinessFacts {
        let query: PostgresQuery = """
            SELECT a.lymphodepletion, to_char(p.ld_start_on, 'YYYY-MM-DD') AS ld_start_on, to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on,
                   (SELECT to_char(r.to_on, 'YYYY-MM-DD') FROM infusion_reschedule r WHERE r.subject_id = p.subject_id ORDER BY r.id DESC LIMIT 1) AS rescheduled_to,
                   to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS today,
                   coalesce((SELECT array_agg(d.agent ORDER BY d.given_on) FROM lymphodepletion_dose d WHERE d.subject_id = p.subject_id), '{}') AS agents,
                   coalesce((SELECT array_agg(to_char(d.given_on, 'YYYY-MM-DD') ORDER BY d.given_on) FROM lymphodepletion_dose d WHERE d.subject_id = p.subject_id), '{}') AS given_on,
                   coalesce((SELECT array_agg(to_char(c.cleared_on, 'YYYY-MM-DD')) FROM infusion_clearance c WHERE c.subject_id = p.subject_id), '{}') AS cleared_on
            FROM patient p JOIN cohort c ON c.id = p.cohort_id JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code
            WHERE p.subject_id = \(subjectId) \(unescaped: lock ? "FOR UPDATE OF p" : "")
            """
        let rows = try await conn.guardedQuery(query, logger: logger).named { c in
            func day(_ name: String) throws -> CalendarDay? { try (c(name, as: String?.self)).flatMap(CalendarDay.init) }
            let agents: [String] = try c("agents"), given: [String] = try c("given_on"), cleared: [String] = try c("cleared_on")
            return ReadinessFacts(
                subjectId: subjectId, lymphodepletion: Lymphodepletion(rawValue: try c("lymphodepletion")) ?? .none, ldStartOn: try day("ld_start_on"),
                plannedInfusionOn: try day("infusion_on")!, rescheduledTo: try day("rescheduled_to"),
                dosesGiven: zip(agents, given).compactMap { a, g in LymphodepletionAgent(rawValue: a).flatMap { ag in CalendarDay(g).map { LymphodepletionDose(agent: ag, givenOn: $0) } } },
                clearedOn: cleared.compactMap(CalendarDay.init), today: try day("today")!)
        }
        guard let facts = rows.first else { throw DomainError.notFound(kind: "patient", id: subjectId) }
        return facts
    }

    static func clearanceItems(_ subjectId: String, on conn: PostgresConnection, logger: Logger) async throws -> [String] {
        try await conn.guardedQuery("""
            SELECT a.clearance_items FROM patient p JOIN cohort c ON c.id = p.cohort_id JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code
            WHERE p.subject_id = \(subjectId)
            """, logger: logger).decode([String].self).all().first ?? InfusionReadiness.minimumClearanceItems
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func cohortDecision(cohortId: String, actor: Principal, logger: Logger) async throws -> CohortDecisionRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in try await Self.cohortDecision(cohortId, today: today(), on: conn, logger: logger) }
    }

    static func cohortDecision(_ cohortId: String, today: CalendarDay, on conn: PostgresConnection, logger: Logger) async throws -> CohortDecisionRecord {
        guard let cohort = try await cohorts(where: "c.id = $1", bind: cohortId, on: conn, logger: logger).first else {
            throw DomainError.notFound(kind: "cohort", id: cohortId)
        }
        // The dose below and above among the cohorts of the same study, indication and arm.
        let neighbours = try await conn.guardedQuery("""
            WITH me AS (SELECT c.*, d.ordinal FROM cohort c JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code WHERE c.id = \(cohortId)),
            sibling AS (SELECT c.id, d.ordinal FROM cohort c JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code, me
                        WHERE c.study_code = me.study_code AND c.indication_code = me.indication_code AND c.arm_code = me.arm_code),
            lower AS (SELECT sibling.id FROM sibling, me WHERE sibling.ordinal < me.ordinal ORDER BY sibling.ordinal DESC LIMIT 1),
            lower_dosed AS (SELECT EXISTS (SELECT 1 FROM dlt WHERE dlt.subject_id = p.subject_id) AS had_dlt
                            FROM patient p WHERE p.cohort_id = (SELECT id FROM lower) AND p.status <> 'withdrawn' AND p.dosed_at IS NOT NULL)
            SELECT (SELECT dlt_window_days FROM study WHERE code = me.study_code) AS window_days,
                   EXISTS (SELECT 1 FROM lower) AS has_lower,
                   (SELECT count(*) FROM lower_dosed)::int AS lower_treated,
                   (SELECT count(*) FILTER (WHERE had_dlt) FROM lower_dosed)::int AS lower_with_dlt,
                   EXISTS (SELECT 1 FROM sibling WHERE sibling.ordinal > me.ordinal) AS has_higher
            FROM me
            """, logger: logger).named { c in
                (windowDays: try c("window_days", as: Int.self), hasLower: try c("has_lower", as: Bool.self), lowerTreated: try c("lower_treated", as: Int.self),
                 lowerWithDlt: try c("lower_with_dlt", as: Int.self), hasHigher: try c("has_higher", as: Bool.self))
            }[0]
        let dosed = try await conn.guardedQuery("""
            SELECT p.subject_id, to_char((p.dosed_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS dosed_on,
                   EXISTS (SELECT 1 FROM dlt WHERE dlt.subject_id = p.subject_id) AS had_dlt
            FROM patient p WHERE p.cohort_id = \(cohortId) AND p.status <> 'withdrawn' AND p.dosed_at IS NOT NULL ORDER BY p.subject_id
            """, logger: logger).named { c in
                TreatedPatient(subjectId: try c("subject_id"), dosedOn: try CalendarDay(parsing: try c("dosed_on", as: String.self), field: "dosedAt"),
                               hadDlt: try c("had_dlt"))
            }
        let f = CohortFacts(capacity: cohort.capacity, enrolled: cohort.enrolled, dosed: dosed, windowDays: neighbours.windowDays, today: today,
                            hasLowerDose: neighbours.hasLower, lowerDoseTreated: neighbours.lowerTreated, lowerDoseWithDlt: neighbours.lowerWithDlt,
                            hasHigherDose: neighbours.hasHigher)
        var rec = ThreePlusThree.recommend(f)
        if cohort.state == "closed" || cohort.state == "planned" {
            rec = CohortRecommendation(decision: .observe, rationale: "the cohort is \(cohort.state)\(cohort.outcome.map { " (\($0))" } ?? "")", lowerDoseIsMTD: false)
        }
        let history = try await conn.guardedQuery("""
            SELECT d.decision || ' by ' || u.name || ' at ' || to_char(d.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ': ' || d.rationale
            FROM cohort_decision d JOIN app_user u ON u.id = d.decided_by WHERE d.cohort_id = \(cohortId) ORDER BY d.id
            """, logger: logger).decode(String.self).all()
        return CohortDecisionRecord(cohort: cohort, treated: f.treated, evaluable: f.evaluable, patientsWithDlt: f.patientsWithDlt,
                                    decision: rec.decision, actionable: rec.decision.isActionable, rationale: rec.rationale,
                                    lowerDoseIsMTD: rec.lowerDoseIsMTD, history: history,
                                    awaiting: cohort.state == "closed" || cohort.state == "planned" ? []
                                        : f.awaiting.map { AwaitedDltWindow(subjectId: $0.subjectId, windowEnds: $0.windowEnds.description) })
    }

    /// A clinician confirms what the rules recommend, with an electronic signature; the cohorts change accordingly.
    public func confirmCohortDecision(cohortId: String, decision: CohortDecision, signature: SignatureInput?,
                                      actor: Principal, logger: Logger) async throws -> CohortDecisionRecord {
        try actor.require(.decideCohort)
        let before = try await cohortDecision(cohortId: cohortId, actor: actor, logger: logger)
        guard before.actionable, before.decision == decision else {
            throw DomainError.conflict(field: "decision", rule: "the 3+3 rules say '\(before.decision)' for \(cohortId) (\(before.rationale)), not '\(decision.rawValue)'")
        }
        let signed = try await verifySignature(signature, actor: actor, logger: logger)
        try await transaction(logger) { conn in
            // Lock first, then decide: a second confirmation waits here and then reads the cohort the first one left,
            // so two people confirming at once record one decision.
            _ = try await conn.guardedQuery("SELECT 1 FROM cohort WHERE id = \(cohortId) FOR UPDATE", logger: logger).decode(Int.self).all()
            let now = try await Self.cohortDecision(cohortId, today: today(), on: conn, logger: logger)
            guard now.decision == decision else {
                throw DomainError.conflict(field: "decision", rule: "the cohort changed meanwhile; the rules now say '\(now.decision)'")
            }
            let siblings = """
                SELECT c.id FROM cohort c JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code
                JOIN cohort me ON me.id = $1 AND c.study_code = me.study_code AND c.indication_code = me.indication_code AND c.arm_code = me.arm_code
                JOIN dose_level md ON md.study_code = me.study_code AND md.code = me.dose_code
                """
            var entries: [CustodyEntry] = []
            func neighbour(_ cmp: String, _ order: String) async throws -> String? {
                var b = PostgresBindings(); b.append(cohortId)
                return try await conn.guardedQuery(PostgresQuery(unsafeSQL: siblings + " WHERE d.ordinal \(cmp) md.ordinal ORDER BY d.ordinal \(order) LIMIT 1", binds: b),
                                            logger: logger).decode(String.self).all().first
            }
            switch decision {
            case .expand:
                try await conn.guardedQuery("UPDATE cohort SET state = 'expanded', capacity = 6 WHERE id = \(cohortId)", logger: logger)
                entries.append(CustodyEntry(subjectType: "study", subjectId: cohortId, action: "cohort.expanded", fromState: "open", toState: "expanded"))
            case .escalate:
                try await conn.guardedQuery("UPDATE cohort SET state = 'closed', outcome = 'escalated' WHERE id = \(cohortId)", logger: logger)
                if let next = try await neighbour(">", "ASC") {
                    try await conn.guardedQuery("UPDATE cohort SET state = 'open', capacity = 3 WHERE id = \(next) AND state = 'planned'", logger: logger)
                    entries.append(CustodyEntry(subjectType: "study", subjectId: next, action: "cohort.opened", fromState: "planned", toState: "open"))
                }
            case .stop:
                try await conn.guardedQuery("UPDATE cohort SET state = 'closed', outcome = 'stopped' WHERE id = \(cohortId)", logger: logger)
                if now.lowerDoseIsMTD, let lower = try await neighbour("<", "DESC") {
                    try await conn.guardedQuery("UPDATE cohort SET state = 'closed', outcome = 'maximum-tolerated-dose' WHERE id = \(lower)", logger: logger)
                    entries.append(CustodyEntry(subjectType: "study", subjectId: lower, action: "cohort.declared-mtd", toState: "maximum-tolerated-dose"))
                }
            case .deEscalate:
                try await conn.guardedQuery("UPDATE cohort SET state = 'closed', outcome = 'de-escalated' WHERE id = \(cohortId)", logger: logger)
                if let lower = try await neighbour("<", "DESC") {
                    try await conn.guardedQuery("UPDATE cohort SET state = 'expanded', capacity = 6, outcome = NULL WHERE id = \(lower)", logger: logger)
                    entries.append(CustodyEntry(subjectType: "study", subjectId: lower, action: "cohort.expanded", toState: "expanded",
                                                reason: "de-escalation from \(cohortId)"))
                }
            case .enrol, .observe:
                throw DomainError.invalid(field: "decision", rule: "only escalate, expand, stop or de-escalate are decided")
            }
            try await conn.guardedQuery("""
                INSERT INTO cohort_decision (cohort_id, decision, treated, dlts, rationale, decided_by)
                VALUES (\(cohortId), \(decision.rawValue), \(now.treated), \(now.patientsWithDlt), \(now.rationale), \(actor.id))
                """, logger: logger)
            entries.insert(CustodyEntry(subjectType: "study", subjectId: cohortId, action: "cohort.decided", toState: decision.rawValue,
                                        reason: now.rationale, details: ["treated": String(now.treated), "dlts": String(now.patientsWithDlt)],
                                        signature: signed), at: 0)
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
        }
        return try await cohortDecision(cohortId: cohortId, actor: actor, logger: logger)
    }
}

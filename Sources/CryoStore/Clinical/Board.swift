import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension StudyRecord {
    /// The checklist of one indication: the study's criteria for every indication and those for this one
    /// (the criteria `enrollPatient` requires), inclusion first.
    public func criteria(for indication: String) -> [StudyDefinition.Criterion] {
        criteria.filter { $0.indication == nil || $0.indication == indication }
    }
}

extension Store {
    public func studies(actor: Principal, logger: Logger) async throws -> [StudySummary] {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            try await conn.guardedQuery("SELECT code, name, product_code, dlt_window_days FROM study ORDER BY code", logger: logger)
                .named { c in
                    StudySummary(code: try c("code"), name: try c("name"), productCode: try c("product_code"), dltWindowDays: try c("dlt_window_days"))
                }
        }
    }

    /// What the 3+3 rules say for every cohort of a study, in the board's order, read on one connection.
    public func cohortDecisions(studyCode: String, actor: Principal, logger: Logger) async throws -> [CohortDecisionRecord] {
        try actor.require(.readInventory)
        let ids = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT c.id FROM cohort c JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code
                WHERE c.study_code = \(studyCode) ORDER BY c.indication_code, c.arm_code, d.ordinal
                """, logger: logger).decode(String.self).all()
        }
        // Each cohort's three reads on a connection of its own, all cohorts at once: the board waits for about
        // three round trips instead of three per cohort (a study has a dozen cohorts).
        let day = today()
        return try await withThrowingTaskGroup(of: (Int, CohortDecisionRecord).self) { group in
            for (index, id) in ids.enumerated() {
                group.addTask { (index, try await self.read(logger) { conn in try await Self.cohortDecision(id, today: day, on: conn, logger: logger) }) }
            }
            var out = [CohortDecisionRecord?](repeating: nil, count: ids.count)
            for try await (index, record) in group { out[index] = record }
            return out.compactMap { $0 }
        }
    }

    /// The cohort's patients, withdrawn ones included; an auditor's read is logged as for a patient record.
    public func cohortPatients(cohortId: String, actor: Principal, logger: Logger) async throws -> [CohortPatient] {
        try actor.require(.readInventory)
        let patients = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT p.subject_id, p.site_code, p.status, to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on,
                       to_char((p.dosed_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS dosed_on,
                       (SELECT count(*)::int FROM dlt WHERE dlt.subject_id = p.subject_id) AS dlts
                FROM patient p WHERE p.cohort_id = \(cohortId) ORDER BY p.subject_id
                """, logger: logger).named { c in
                CohortPatient(subjectId: try c("subject_id"), siteCode: try c("site_code"), status: try c("status"), infusionOn: try c("infusion_on"),
                              dosedOn: try c("dosed_on"), dlts: try c("dlts"))
            }
        }
        try await logAuditorRead(of: patients.map(\.subjectId), what: "cohort board", actor: actor, logger: logger)
        return patients
    }
}

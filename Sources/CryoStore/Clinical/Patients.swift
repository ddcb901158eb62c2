import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Clinical enrols a patient: every criterion of the checklist answered and satisfied, a place free in an open cohort.
    public func enrollPatient(_ e: Enrolment, actor: Principal, logger: Logger) async throws -> PatientRecord {
        try actor.require(.enrollPatient)
        try e.validate()
        try await transaction(logger) { conn in
            guard let (cohortStudy, indication, lymphodepletion, dose, basis, state) = try await conn.guardedQuery("""
                SELECT c.study_code, c.indication_code, a.lymphodepletion, d.target_cells, d.basis, c.state
                FROM cohort c JOIN study_arm a ON a.study_code = c.study_code AND a.code = c.arm_code
                JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code WHERE c.id = \(e.cohortId)
                """, logger: logger).named({ c in
                (try c("study_code", as: String.self), try c("indication_code", as: String.self), try c("lymphodepletion", as: String.self),
                 try c("target_cells", as: Int64.self), try c("basis", as: String.self), try c("state", as: String.self))
            }).first else {
                throw DomainError.invalid(field: "cohortId", rule: "no cohort '\(e.cohortId)'")
            }
            try Validator().require(cohortStudy == e.studyCode, "cohortId", "cohort \(e.cohortId) is not in study \(e.studyCode)")
            if lymphodepletion == Lymphodepletion.none.rawValue {
                try Validator().require(e.ldStartOn == nil, "ldStartOn", "the arm has no lymphodepletion")
            } else {
                try Validator().require(e.ldStartOn != nil, "ldStartOn", "the arm's lymphodepletion (\(lymphodepletion)) needs a planned start date")
            }
            guard try await conn.guardedQuery("SELECT 1 FROM study_site WHERE study_code = \(e.studyCode) AND site_code = \(e.siteCode)", logger: logger)
                .decode(Int.self).all().first != nil else {
                throw DomainError.invalid(field: "siteCode", rule: "'\(e.siteCode)' is not a site of study \(e.studyCode)")
            }
            let criteria = try await conn.guardedQuery("""
                SELECT code, text FROM eligibility_criterion WHERE study_code = \(e.studyCode) AND (indication IS NULL OR indication = \(indication))
                ORDER BY kind DESC, code
                """, logger: logger).decode((String, String).self).all()
            let known = Set(criteria.map(\.0))
            if let stray = e.eligibility.firstIndex(where: { !known.contains($0.criterion) }) {
                throw DomainError.invalid(field: "eligibility[\(stray)].criterion", rule: "'\(e.eligibility[stray].criterion)' is not a criterion of this study and indication")
            }
            let failing = Eligibility.failing(required: criteria.map(\.0), answers: e.eligibility)
            if !failing.isEmpty {
                let texts = Dictionary(uniqueKeysWithValues: criteria)
                throw DomainError.conflict(field: "eligibility", rule: "not eligible: " + failing.map { "\($0) (\(texts[$0]!))" }.joined(separator: "; "))
            }
            guard ["open", "expanded"].contains(state) else {
                throw DomainError.conflict(field: "cohortId", rule: "cohort \(e.cohortId) is \(state) and takes no patients")
            }
            let target = DoseBasis(rawValue: basis)!.targetCells(doseCells: dose, weightKg: e.weightKg)
            do {
                try await conn.guardedQuery("""
                    INSERT INTO patient (subject_id, study_code, site_code, cohort_id, weight_kg, target_cells, ld_start_on, infusion_on, anti_hla, enrolled_by)
                    VALUES (\(e.subjectId), \(e.studyCode), \(e.siteCode), \(e.cohortId), \(e.weightKg)::numeric(5,1), \(target),
                            \(e.ldStartOn?.description)::date, \(e.infusionOn.description)::date, \(e.antiHla)::text[], \(actor.id))
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw DomainError.conflict(field: "subjectId", rule: "subject \(e.subjectId) is already enrolled")
            }
            try await conn.guardedQuery("""
                INSERT INTO patient_eligibility (subject_id, study_code, criterion_code, satisfied)
                SELECT \(e.subjectId), \(e.studyCode), c, s FROM unnest(\(e.eligibility.map(\.criterion))::text[], \(e.eligibility.map(\.satisfied))::bool[]) AS u(c, s)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "patient", subjectId: e.subjectId, action: "patient.enrolled", toState: "enrolled",
                                                  toLocation: e.siteCode,
                                                  details: ["study": e.studyCode, "cohort": e.cohortId, "targetCells": String(target),
                                                            "infusionOn": e.infusionOn.description, "criteriaSatisfied": String(e.eligibility.count)]),
                                     by: actor, on: conn, logger: logger)
        }
        return try await patient(subjectId: e.subjectId, actor: actor, logger: logger)
    }

    /// A patient's record. Patient-linked records read by an auditor are logged (who read what, when).
    public func patient(subjectId: String, actor: Principal, logger: Logger) async throws -> PatientRecord {
        try actor.require(.readInventory)
        let record: PatientRecord = try await read(logger) { conn in
            guard let p = try await conn.guardedQuery("""
                SELECT study_code, site_code, cohort_id, weight_kg::float8 AS weight_kg, target_cells, to_char(ld_start_on, 'YYYY-MM-DD') AS ld_start_on,
                       to_char(infusion_on, 'YYYY-MM-DD') AS infusion_on, anti_hla, status, enrolled_at, dosed_at
                FROM patient WHERE subject_id = \(subjectId)
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "patient", id: subjectId)
            }
            let answers = try await conn.guardedQuery("SELECT criterion_code, satisfied FROM patient_eligibility WHERE subject_id = \(subjectId)", logger: logger)
                .decode((String, Bool).self).all()
            let vials = try await conn.guardedQuery("""
                SELECT vial_id FROM reservation WHERE subject_id = \(subjectId) AND cancelled_at IS NULL ORDER BY vial_id
                """, logger: logger).decode(String.self).all()
            let dlts = try await conn.guardedQuery("""
                SELECT d.id, d.description, d.grade::int AS grade, to_char(d.onset_on, 'YYYY-MM-DD') AS onset_on, u.name AS recorded_by, d.recorded_at
                FROM dlt d JOIN app_user u ON u.id = d.recorded_by WHERE d.subject_id = \(subjectId) ORDER BY d.id
                """, logger: logger).named { c in
                DltRecord(id: try c("id"), description: try c("description"), grade: try c("grade"), onsetOn: try c("onset_on"),
                          recordedBy: try c("recorded_by"), recordedAt: try c("recorded_at"))
            }
            return PatientRecord(subjectId: subjectId, studyCode: try p("study_code"), siteCode: try p("site_code"), cohortId: try p("cohort_id"),
                                 weightKg: try p("weight_kg"), targetCells: try p("target_cells"), ldStartOn: try p("ld_start_on"),
                                 infusionOn: try p("infusion_on"), antiHla: try p("anti_hla"), status: try p("status"), enrolledAt: try p("enrolled_at"),
                                 dosedAt: try p("dosed_at"),
                                 eligibility: Dictionary(answers, uniquingKeysWith: { a, _ in a }), reservedVials: vials, dlts: dlts)
        }
        try await logAuditorRead(of: [subjectId], what: "patient record", actor: actor, logger: logger)
        return record
    }

    /// Issue: reads of patient-linked records by auditors are themselves logged, in the patient's custody log.
    public func logAuditorRead(of subjects: [String], what: String, actor: Principal, logger: Logger) async throws {
        guard actor.role == .auditor, !subjects.isEmpty else { return }
        try await transaction(logger) { conn in
            try await Custody.append(subjects.map {
                CustodyEntry(subjectType: "patient", subjectId: $0, action: "record.read-by-auditor", reason: what)
            }, by: actor, on: conn, logger: logger)
        }
    }

    /// Clinical records a dose-limiting toxicity of a dosed patient, within the study's DLT window.
    public func recordDlt(subjectId: String, description: String, grade: Int, onsetOn: CalendarDay, actor: Principal, logger: Logger) async throws -> PatientRecord {
        try actor.require(.recordDlt)
        let v = Validator()
        try v.require(!description.trimmingCharacters(in: .whitespaces).isEmpty && description.count <= 500, "description", "1 to 500 characters")
        try v.require((3...5).contains(grade), "grade", "a DLT is CTCAE grade 3, 4 or 5")
        try await transaction(logger) { conn in
            guard let cohort = try await conn.guardedQuery("SELECT cohort_id FROM patient WHERE subject_id = \(subjectId) FOR UPDATE", logger: logger)
                .decode(String.self).all().first else {
                throw DomainError.notFound(kind: "patient", id: subjectId)
            }
            let id = try await conn.guardedQuery("""
                INSERT INTO dlt (subject_id, description, grade, onset_on, recorded_by) VALUES (\(subjectId), \(description), \(grade), \(onsetOn.description)::date, \(actor.id))
                RETURNING id
                """, logger: logger).decode(Int64.self).all()[0]
            try await Custody.append([
                CustodyEntry(subjectType: "patient", subjectId: subjectId, action: "patient.dlt-recorded", reason: description,
                             details: ["dlt": String(id), "grade": String(grade), "onsetOn": onsetOn.description]),
                CustodyEntry(subjectType: "study", subjectId: cohort, action: "cohort.dlt-recorded", details: ["patient": subjectId, "dlt": String(id)]),
            ], by: actor, on: conn, logger: logger)
        }
        return try await patient(subjectId: subjectId, actor: actor, logger: logger)
    }
}

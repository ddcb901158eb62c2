import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

extension APIService {
    func createStudy(_ input: Operations.CreateStudy.Input) async throws -> Operations.CreateStudy.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let definition = StudyDefinition(
            code: b.code, name: b.name, productCode: b.productCode, dltWindowDays: b.dltWindowDays, slotLeadDays: b.slotLeadDays ?? 21,
            indications: b.indications.map { .init(code: $0.code, name: $0.name) },
            arms: b.arms.map { .init(code: $0.code, lymphodepletion: Lymphodepletion(rawValue: $0.lymphodepletion.rawValue)!, name: $0.name) },
            doseLevels: b.doseLevels.map { .init(code: $0.code, ordinal: $0.ordinal, targetCells: $0.targetCells, basis: DoseBasis(rawValue: $0.basis.rawValue)!) },
            sites: b.sites,
            criteria: b.criteria.map { .init(code: $0.code, kind: $0.kind.rawValue, text: $0.text, indication: $0.indication) })
        let study = try await store.createStudy(definition, actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.study(study))))
    }

    func getStudy(_ input: Operations.GetStudy.Input) async throws -> Operations.GetStudy.Output {
        .ok(.init(body: .json(Mapping.study(try await store.study(code: input.path.studyCode, actor: caller(), logger: logger)))))
    }

    func createRoute(_ input: Operations.CreateRoute.Input) async throws -> Operations.CreateRoute.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        try await store.createRoute(from: b.from, to: b.to, days: b.transitDays, actor: caller(), logger: logger)
        return .ok(.init(body: .json(b)))
    }

    func enrollPatient(_ input: Operations.EnrollPatient.Input) async throws -> Operations.EnrollPatient.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let enrolment = Enrolment(
            subjectId: b.subjectId, studyCode: b.studyCode, siteCode: b.siteCode, cohortId: b.cohortId, weightKg: b.weightKg,
            ldStartOn: try b.ldStartOn.map { try CalendarDay(parsing: $0, field: "ldStartOn") },
            infusionOn: try CalendarDay(parsing: b.infusionOn, field: "infusionOn"), antiHla: b.antiHla ?? [],
            eligibility: b.eligibility.map { EligibilityAnswer(criterion: $0.criterion, satisfied: $0.satisfied) })
        let patient = try await store.enrollPatient(enrolment, actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.patient(patient))))
    }

    func getPatient(_ input: Operations.GetPatient.Input) async throws -> Operations.GetPatient.Output {
        .ok(.init(body: .json(Mapping.patient(try await store.patient(subjectId: input.path.subjectId, actor: caller(), logger: logger)))))
    }

    func recordDlt(_ input: Operations.RecordDlt.Input) async throws -> Operations.RecordDlt.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let patient = try await store.recordDlt(subjectId: input.path.subjectId, description: b.description, grade: b.grade,
                                                onsetOn: try CalendarDay(parsing: b.onsetOn, field: "onsetOn"), actor: caller(), logger: logger)
        return .created(.init(body: .json(Mapping.patient(patient))))
    }

    func getCohortDecision(_ input: Operations.GetCohortDecision.Input) async throws -> Operations.GetCohortDecision.Output {
        .ok(.init(body: .json(Mapping.cohortDecision(try await store.cohortDecision(cohortId: input.query.cohortId, actor: caller(), logger: logger)))))
    }

    func confirmCohortDecision(_ input: Operations.ConfirmCohortDecision.Input) async throws -> Operations.ConfirmCohortDecision.Output {
        guard case .json(let b) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let record = try await store.confirmCohortDecision(cohortId: b.cohortId, decision: CohortDecision(rawValue: b.decision.rawValue)!,
                                                           signature: Mapping.signature(b.signature), actor: caller(), logger: logger)
        return .ok(.init(body: .json(Mapping.cohortDecision(record))))
    }
}

extension Mapping {
    static func cohort(_ c: CohortRecord) -> Components.Schemas.Cohort {
        .init(id: c.id, indication: c.indication, arm: c.arm, lymphodepletion: c.lymphodepletion, doseLevel: c.doseLevel, targetCells: c.targetCells,
              basis: c.basis, state: .init(rawValue: c.state)!, capacity: c.capacity, outcome: c.outcome, enrolled: c.enrolled)
    }

    static func study(_ s: StudyRecord) -> Components.Schemas.Study {
        .init(code: s.code, name: s.name, productCode: s.productCode, dltWindowDays: s.dltWindowDays, slotLeadDays: s.slotLeadDays, sites: s.sites,
              criteria: s.criteria.map { .init(code: $0.code, kind: .init(rawValue: $0.kind)!, text: $0.text, indication: $0.indication) },
              cohorts: s.cohorts.map(cohort))
    }

    static func patient(_ p: PatientRecord) -> Components.Schemas.Patient {
        .init(subjectId: p.subjectId, studyCode: p.studyCode, siteCode: p.siteCode, cohortId: p.cohortId, weightKg: p.weightKg, targetCells: p.targetCells,
              ldStartOn: p.ldStartOn, infusionOn: p.infusionOn, antiHla: p.antiHla, status: .init(rawValue: p.status)!, enrolledAt: p.enrolledAt,
              dosedAt: p.dosedAt, eligibility: .init(additionalProperties: p.eligibility), reservedVials: p.reservedVials,
              dlts: p.dlts.map { .init(id: $0.id, description: $0.description, grade: $0.grade, onsetOn: $0.onsetOn, recordedBy: $0.recordedBy, recordedAt: $0.recordedAt) })
    }

    static func cohortDecision(_ d: CohortDecisionRecord) -> Components.Schemas.CohortDecision {
        .init(cohort: cohort(d.cohort), treated: d.treated, evaluable: d.evaluable, patientsWithDlt: d.patientsWithDlt,
              decision: contract(d.decision), actionable: d.actionable, rationale: d.rationale, lowerDoseIsMTD: d.lowerDoseIsMTD, history: d.history)
    }
}

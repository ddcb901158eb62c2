import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The clinic's cohort board: where each cohort stands and what the 3+3 rules say next (CONSOLE.md).
extension Console {
    func studyList() async throws -> Response {
        let user = try signedIn()
        let studies = try await store.studies(actor: user, logger: logger)
        return try page("studies", title: "Studies", [
            "studies": studies.map { ["code": $0.code, "name": $0.name, "product": $0.productCode, "window": $0.dltWindowDays] as [String: Any] },
            "empty": studies.isEmpty,
        ])
    }

    /// Every cohort of a study with places, enrolled, treated, evaluable and DLTs, the engine's recommendation
    /// and its rationale; for a cohort that waits, whose DLT window closes when.
    func cohortBoard(_ code: String) async throws -> Response {
        let user = try signedIn()
        let study = try await store.study(code: code, actor: user, logger: logger)
        let decisions = try await store.cohortDecisions(studyCode: study.code, actor: user, logger: logger)
        return try page("cohort-board", title: "Cohort board: \(study.code)", [
            "study": Self.studyFacts(study), "cohorts": decisions.map { Self.cohortRow($0, role: user.role) },
        ])
    }

    /// One cohort: the board's row in full, its patients, recording a DLT and confirming a decision (signed).
    func cohortPage(_ id: String, notice: CohortNotice? = nil, content extra: [String: Any] = [:], refusal: Refusal? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let decision = try await store.cohortDecision(cohortId: id, actor: user, logger: logger)
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        let patients = try await store.cohortPatients(cohortId: id, actor: user, logger: logger)
        let rows: [[String: Any]] = patients.map { p in
            let ends = p.dosedOn.flatMap(CalendarDay.init).map {
                TreatedPatient(subjectId: p.subjectId, dosedOn: $0, hadDlt: p.dlts > 0).windowEnds(windowDays: study.dltWindowDays).description
            }
            return ["subject": p.subjectId, "site": p.siteCode, "status": p.status, "infusionOn": p.infusionOn,
                    "dosedOn": p.dosedOn ?? "—", "windowEnds": ends ?? "—", "dlts": p.dlts]
        }
        let dosed = patients.filter { $0.dosedOn != nil && $0.status != "withdrawn" }.map(\.subjectId)
        let canDecide = decision.actionable && user.role.may(.decideCohort)
        var content: [String: Any] = [
            "study": Self.studyFacts(study), "cohort": Self.cohortRow(decision, role: user.role), "patients": rows,
            "history": decision.history,
            "canRecordDlt": user.role.may(.recordDlt) && !dosed.isEmpty,
            "dosed": dosed.map { ["subject": $0, "selected": $0 == (extra["dltSubject"] as? String)] },
            "today": CalendarDay.today().description, "canDecide": canDecide,
            "awaitsClinician": decision.actionable && !canDecide,
        ]
        if canDecide {
            content["decide"] = Signing.context(meaning: Self.decisionMeaning(decision.decision, cohort: id), id: "confirm-decision",
                                                action: "confirm \(decision.decision.rawValue)")
                .merging(["decision": decision.decision.rawValue]) { a, _ in a }
        }
        content.merge(extra) { _, new in new }
        return try page("cohort", title: "Cohort \(id)", content, status: status, refusal: refusal,
                        confirmation: notice.flatMap { $0.text(patients: patients, history: decision.history) })
    }

    func recordDltForm(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = form["subjectId"] ?? ""
        do {
            let onset = try CalendarDay(parsing: form["onsetOn"] ?? "", field: "onsetOn")
            // A grade that is not a number goes to the Store as 0, which names the rule (CTCAE grade 3, 4 or 5).
            _ = try await store.recordDlt(subjectId: subject, description: form["description"] ?? "", grade: Int(form["grade"] ?? "") ?? 0,
                                          onsetOn: onset, actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?dlt=\(Self.queryValue(subject))", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            let refusal = Refusal(error, fields: ["subjectId": "dlt-subject", "description": "dlt-description", "grade": "dlt-grade", "onsetOn": "dlt-onset"])
            var extra: [String: Any] = refusal.byField.messages.isEmpty ? ["dltError": error.description] : [:]
            extra["dltSubject"] = subject
            extra["dltDescription"] = form["description"] ?? ""
            extra["dltOnset"] = form["onsetOn"] ?? ""
            return try await cohortPage(id, content: extra, refusal: refusal, status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    /// The clinician confirms what the rules recommend, signing it; the meaning is fixed by the page, not typed.
    func confirmDecisionForm(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            guard let decision = CohortDecision(rawValue: form["decision"] ?? "") else {
                throw DomainError.invalid(field: "decision", rule: "one of escalate, expand, stop or de-escalate")
            }
            _ = try await store.confirmCohortDecision(cohortId: id, decision: decision,
                                                      signature: Signing.input(form, meaning: Self.decisionMeaning(decision, cohort: id)),
                                                      actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?confirmed=\(decision.rawValue)", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await cohortPage(id, content: ["decisionError": error.description],
                                        refusal: Refusal(error, fields: [Signing.passwordField: "confirm-decision-password"]),
                                        status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    static func decisionMeaning(_ decision: CohortDecision, cohort: String) -> String {
        "I confirm the 3+3 decision '\(decision.rawValue)' for cohort \(cohort)"
    }

    static func cohortRow(_ d: CohortDecisionRecord, role: Role) -> [String: Any] {
        let c = d.cohort
        return ["id": c.id, "slug": c.id.replacingOccurrences(of: "/", with: "-"), "indication": c.indication, "arm": c.arm,
                "lymphodepletion": c.lymphodepletion, "dose": c.doseLevel, "targetCells": c.targetCells, "basis": c.basis,
                "state": c.state, "outcome": c.outcome as Any, "places": c.capacity, "enrolled": c.enrolled,
                "treated": d.treated, "evaluable": d.evaluable, "dlts": d.patientsWithDlt,
                "decision": d.decision.rawValue, "actionable": d.actionable, "rationale": d.rationale,
                "awaiting": d.awaiting.map { ["subject": $0.subjectId, "ends": $0.windowEnds] }, 
                // Once the rules decide, the windows still running no longer change the answer.
                "hasAwaiting": !d.actionable && !d.awaiting.isEmpty,
                // The engine says "enrol" exactly while the cohort has places open.
                "canEnrol": role.may(.enrollPatient) && d.decision == .enrol]
    }

    static func studyFacts(_ s: StudyRecord) -> [String: Any] {
        ["code": s.code, "name": s.name, "product": s.productCode, "window": s.dltWindowDays, "sites": s.sites.joined(separator: ", ")]
    }

    /// Cohort ids are `study/indication/dose/arm`.
    static func studyCode(of cohortId: String) -> String { String(cohortId.prefix { $0 != "/" }) }

    static func queryValue(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
}

/// What a change on the cohort page did, named in the redirect back to it.
enum CohortNotice {
    case enrolled(String), dlt(String), confirmed(CohortDecision)

    /// The text, when the cohort's records show it: the patient is in the cohort (with a DLT), the decision in its history.
    func text(patients: [CohortPatient], history: [String]) -> String? {
        switch self {
        case .enrolled(let s): patients.contains { $0.subjectId == s } ? "✓ \(s) enrolled" : nil
        case .dlt(let s): patients.contains { $0.subjectId == s && $0.dlts > 0 } ? "✓ DLT recorded for \(s)" : nil
        case .confirmed(let d): history.contains { $0.hasPrefix("\(d.rawValue) by ") } ? "✓ decision '\(d.rawValue)' confirmed and signed" : nil
        }
    }
}

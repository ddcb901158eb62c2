import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The DLT form and the signed confirmation of a 3+3 decision.
struct DltForm: Decodable, Sendable {
    var subjectId: String?
    var description: String?
    var grade: String?
    var onsetOn: String?
}

struct DecisionForm: Decodable, Sendable {
    var decision: String?
    var signaturePassword: String?
}

/// A study as the cohort pages show it.
struct StudyFacts: Sendable {
    let code: String, name: String, product: String, window: Int, sites: String
    init(_ s: StudyRecord) {
        code = s.code; name = s.name; product = s.productCode; window = s.dltWindowDays; sites = s.sites.joined(separator: ", ")
    }
}

/// One cohort on the board: places, enrolled, treated, evaluable and DLTs, the engine's recommendation and its
/// rationale; for a cohort that waits, whose DLT window closes when.
struct CohortRow: Sendable {
    struct Awaiting: Sendable { let subject: String, ends: String }
    let id: String, slug: String, indication: String, arm: String, lymphodepletion: String, dose: String, targetCells: Int64, basis: String
    let state: String, outcome: String?, places: Int, enrolled: Int, treated: Int, evaluable: Int, dlts: Int
    let decision: String, actionable: Bool, rationale: String, awaiting: [Awaiting]
    /// Once the rules decide, the windows still running no longer change the answer.
    let hasAwaiting: Bool
    /// The engine says "enrol" exactly while the cohort has places open.
    let canEnrol: Bool

    init(_ d: CohortDecisionRecord, role: Role) {
        let c = d.cohort
        id = c.id; slug = c.id.replacingOccurrences(of: "/", with: "-"); indication = c.indication; arm = c.arm
        lymphodepletion = c.lymphodepletion; dose = c.doseLevel; targetCells = c.targetCells; basis = c.basis
        state = c.state; outcome = c.outcome; places = c.capacity; enrolled = c.enrolled
        treated = d.treated; evaluable = d.evaluable; dlts = d.patientsWithDlt
        decision = d.decision.rawValue; actionable = d.actionable; rationale = d.rationale
        awaiting = d.awaiting.map { .init(subject: $0.subjectId, ends: $0.windowEnds) }
        hasAwaiting = !d.actionable && !d.awaiting.isEmpty
        canEnrol = role.may(.enrollPatient) && d.decision == .enrol
    }
}

struct StudiesPage: PageView {
    static let template = "studies"
    struct Study: Sendable { let code: String, name: String, product: String, window: Int }
    let title = "Studies"
    let studies: [Study]
    let empty: Bool
}

struct CohortBoardPage: PageView {
    static let template = "cohort-board"
    var title: String { "Cohort board: \(study.code)" }
    let study: StudyFacts
    let cohorts: [CohortRow]
}

/// One cohort: the board's row in full, its patients, recording a DLT and confirming a decision (signed).
struct CohortPage: PageView {
    static let template = "cohort"
    struct Patient: Sendable { let subject: String, site: String, status: String, infusionOn: String, dosedOn: String, windowEnds: String, dlts: Int }
    struct Dosed: Sendable { let subject: String; let selected: Bool }
    struct Decide: Sendable { let signMeaning: String, signId: String, signAction: String, decision: String }
    var title: String { "Cohort \(cohort.id)" }
    let study: StudyFacts
    let cohort: CohortRow
    let patients: [Patient]
    let history: [String]
    let canRecordDlt: Bool
    let dosed: [Dosed]
    let today: String
    let canDecide: Bool
    let awaitsClinician: Bool
    let decide: Decide?
    /// A refused form's message where the field-less refusal belongs, and the DLT form's values, kept.
    let dltError: String?
    let decisionError: String?
    let dltDescription: String?
    let dltOnset: String?
}

extension Console {
    func studyList() async throws -> Response {
        let user = try signedIn()
        let studies = try await store.studies(actor: user, logger: logger)
        return try render(StudiesPage(studies: studies.map { .init(code: $0.code, name: $0.name, product: $0.productCode, window: $0.dltWindowDays) },
                                      empty: studies.isEmpty))
    }

    func cohortBoard(_ code: String) async throws -> Response {
        let user = try signedIn()
        let study = try await store.study(code: code, actor: user, logger: logger)
        let decisions = try await store.cohortDecisions(studyCode: study.code, actor: user, logger: logger)
        return try render(CohortBoardPage(study: StudyFacts(study), cohorts: decisions.map { CohortRow($0, role: user.role) }))
    }

    /// `dlt`: a refused DLT form; `decisionRefused`: a refused confirmation.
    func cohortPage(_ id: String, notice: CohortNotice? = nil, dlt: (form: DltForm, refusal: Refusal)? = nil, decisionRefused: Refusal? = nil,
                    status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let decision = try await store.cohortDecision(cohortId: id, actor: user, logger: logger)
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        let patients = try await store.cohortPatients(cohortId: id, actor: user, logger: logger)
        let rows: [CohortPage.Patient] = patients.map { p in
            let ends = p.dosedOn.flatMap(CalendarDay.init).map {
                TreatedPatient(subjectId: p.subjectId, dosedOn: $0, hadDlt: p.dlts > 0).windowEnds(windowDays: study.dltWindowDays).description
            }
            return .init(subject: p.subjectId, site: p.siteCode, status: p.status, infusionOn: p.infusionOn, dosedOn: p.dosedOn ?? "—",
                         windowEnds: ends ?? "—", dlts: p.dlts)
        }
        let dosed = patients.filter { $0.dosedOn != nil && $0.status != "withdrawn" }.map(\.subjectId)
        let canDecide = decision.actionable && user.role.may(.decideCohort)
        let dltRefusal = dlt?.refusal
        let view = CohortPage(
            study: StudyFacts(study), cohort: CohortRow(decision, role: user.role), patients: rows, history: decision.history,
            canRecordDlt: user.role.may(.recordDlt) && !dosed.isEmpty,
            dosed: dosed.map { .init(subject: $0, selected: $0 == dlt?.form.subjectId) }, today: CalendarDay.today().description,
            canDecide: canDecide, awaitsClinician: decision.actionable && !canDecide,
            decide: canDecide ? .init(signMeaning: Self.decisionMeaning(decision.decision, cohort: id), signId: "confirm-decision",
                                      signAction: "confirm \(decision.decision.rawValue)", decision: decision.decision.rawValue) : nil,
            dltError: dltRefusal.flatMap { $0.byField.messages.isEmpty ? $0.items.first?.message : nil },
            decisionError: decisionRefused?.items.first?.message,
            dltDescription: dlt?.form.description, dltOnset: dlt?.form.onsetOn)
        return try render(view, status: status, refusal: dltRefusal ?? decisionRefused,
                          confirmation: notice.flatMap { $0.text(patients: patients, history: decision.history) })
    }

    func recordDlt(_ id: String, _ form: DltForm) async throws -> Response {
        let user = try signedIn()
        let subject = form.subjectId ?? ""
        do {
            let onset = try CalendarDay(parsing: form.onsetOn ?? "", field: "onsetOn")
            // A grade that is not a number goes to the Store as 0, which names the rule (CTCAE grade 3, 4 or 5).
            _ = try await store.recordDlt(subjectId: subject, description: form.description ?? "", grade: Int(form.grade ?? "") ?? 0,
                                          onsetOn: onset, actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?\(Confirmation.dlt.query(about: subject))", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            let refusal = Refusal(error, fields: ["subjectId": "dlt-subject", "description": "dlt-description", "grade": "dlt-grade", "onsetOn": "dlt-onset"])
            return try await cohortPage(id, dlt: (form, refusal), status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    /// The clinician confirms what the rules recommend, signing it; the meaning is fixed by the page, not typed.
    func confirmDecision(_ id: String, _ form: DecisionForm) async throws -> Response {
        let user = try signedIn()
        do {
            guard let decision = CohortDecision(rawValue: form.decision ?? "") else {
                throw DomainError.invalid(field: "decision", rule: "one of escalate, expand, stop or de-escalate")
            }
            let signature = form.signaturePassword.flatMap { $0.isEmpty ? nil : SignatureInput(password: $0, meaning: Self.decisionMeaning(decision, cohort: id)) }
            _ = try await store.confirmCohortDecision(cohortId: id, decision: decision, signature: signature, actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?\(Confirmation.confirmed.query(about: decision.rawValue))", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await cohortPage(id, decisionRefused: Refusal(error, fields: [Signing.passwordField: "confirm-decision-password"]),
                                        status: HTTPResponse.Status(code: error.httpStatus))
        }
    }

    static func decisionMeaning(_ decision: CohortDecision, cohort: String) -> String {
        "I confirm the 3+3 decision '\(decision.rawValue)' for cohort \(cohort)"
    }

    /// Cohort ids are `study/indication/dose/arm`.
    static func studyCode(of cohortId: String) -> String { String(cohortId.prefix { $0 != "/" }) }

    static func queryValue(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
}

/// What a change on the cohort page did, named in the redirect back to it.
enum CohortNotice {
    case enrolled(String), dlt(String), confirmed(CohortDecision)

    init?(_ request: Request) {
        let about = Confirmation.subject(request) ?? ""
        switch Confirmation(request) {
        case .enrolled: self = .enrolled(about)
        case .dlt: self = .dlt(about)
        case .confirmed: guard let d = CohortDecision(rawValue: about) else { return nil }; self = .confirmed(d)
        default: return nil
        }
    }

    /// The text, when the cohort's records show it: the patient is in the cohort (with a DLT), the decision in its history.
    func text(patients: [CohortPatient], history: [String]) -> String? {
        switch self {
        case .enrolled(let s): patients.contains { $0.subjectId == s } ? "✓ \(s) enrolled" : nil
        case .dlt(let s): patients.contains { $0.subjectId == s && $0.dlts > 0 } ? "✓ DLT recorded for \(s)" : nil
        case .confirmed(let d): history.contains { $0.hasPrefix("\(d.rawValue) by ") } ? "✓ decision '\(d.rawValue)' confirmed and signed" : nil
        }
    }
}

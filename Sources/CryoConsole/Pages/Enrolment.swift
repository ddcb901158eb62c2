import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The enrolment form's fixed fields; the checklist's answers (`criterion.CODE`: yes or no) come beside them,
/// one field per criterion of the study.
struct EnrolForm: Decodable, Sendable {
    var subjectId: String?
    var siteCode: String?
    var weightKg: String?
    var ldStartOn: String?
    var infusionOn: String?
    var antiHla: String?
    var answers: [String: String] = [:]

    enum CodingKeys: String, CodingKey { case subjectId, siteCode, weightKg, ldStartOn, infusionOn, antiHla }
}

/// Enrolling a patient into a cohort with the study's eligibility checklist, one question per criterion, each
/// worded so that the answer which excludes the patient is stated (exclusion criteria ask whether the patient
/// has the condition: "yes" excludes).
struct EnrolPage: PageView {
    static let template = "enrol"
    struct Criterion: Sendable { let code: String, text: String, exclusion: Bool, yes: Bool, no: Bool, failing: Bool, unanswered: Bool }
    struct Site: Sendable { let code: String; let selected: Bool }
    var title: String { "Enrol a patient: \(cohort.id)" }
    let study: StudyFacts
    let cohort: CohortRow
    let criteria: [Criterion]
    let hasLymphodepletion: Bool
    let sites: [Site]
    let form: EnrolForm
    let failingCount: Int
    /// A refusal that names no field of the form, said above it.
    let formError: String?
}

extension Console {
    /// The form's fields, with the id of each input (eligibility: the checklist).
    static let enrolmentFields = ["subjectId": "subjectId", "siteCode": "siteCode", "weightKg": "weightKg", "ldStartOn": "ldStartOn",
                                  "infusionOn": "infusionOn", "antiHla": "antiHla", "eligibility": "checklist", "cohortId": "subjectId"]

    func enrolPage(_ id: String, form: EnrolForm = EnrolForm(), failing: Set<String> = [], refusal: Refusal? = nil,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        try user.require(.enrollPatient)
        let decision = try await store.cohortDecision(cohortId: id, actor: user, logger: logger)
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        let cohort = decision.cohort
        let items: [EnrolPage.Criterion] = study.criteria(for: cohort.indication).map { c in
            let answer = form.answers[c.code]
            return .init(code: c.code, text: c.text, exclusion: c.kind == "exclusion", yes: answer == "yes", no: answer == "no",
                         failing: failing.contains(c.code), unanswered: failing.contains(c.code) && answer == nil)
        }
        let view = EnrolPage(study: StudyFacts(study), cohort: CohortRow(decision, role: user.role), criteria: items,
                             hasLymphodepletion: cohort.lymphodepletion != Lymphodepletion.none.rawValue,
                             sites: study.sites.map { .init(code: $0, selected: $0 == form.siteCode) }, form: form, failingCount: failing.count,
                             formError: refusal.flatMap { $0.byField.messages.isEmpty ? $0.items.first?.message : nil })
        return try render(view, status: status, refusal: refusal)
    }

    func enrol(_ id: String, _ form: EnrolForm) async throws -> Response {
        let user = try signedIn()
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        guard let cohort = study.cohorts.first(where: { $0.id == id }) else { throw DomainError.notFound(kind: "cohort", id: id) }
        let criteria = study.criteria(for: cohort.indication)
        let answers: [EligibilityAnswer] = criteria.compactMap { c in
            switch form.answers[c.code] {
            case "yes": EligibilityAnswer(criterion: c.code, kind: c.kind, applies: true)
            case "no": EligibilityAnswer(criterion: c.code, kind: c.kind, applies: false)
            default: nil
            }
        }
        do {
            func day(_ text: String?, _ field: String) throws -> CalendarDay? {
                guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                return try CalendarDay(parsing: text, field: field)
            }
            guard let weight = Double((form.weightKg ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")) else {
                throw DomainError.invalid(field: "weightKg", rule: "a body weight in kilograms, e.g. 62.5")
            }
            guard let infusion = try day(form.infusionOn, "infusionOn") else {
                throw DomainError.invalid(field: "infusionOn", rule: "must be a calendar date YYYY-MM-DD")
            }
            let antiHla = (form.antiHla ?? "").split { $0 == "," || $0 == " " }.map(String.init)
            let enrolment = Enrolment(subjectId: (form.subjectId ?? "").trimmingCharacters(in: .whitespaces), studyCode: study.code,
                                      siteCode: form.siteCode ?? "", cohortId: id, weightKg: weight, ldStartOn: try day(form.ldStartOn, "ldStartOn"),
                                      infusionOn: infusion, antiHla: antiHla, eligibility: answers)
            let patient = try await store.enrollPatient(enrolment, actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?\(Confirmation.enrolled.query(about: patient.subjectId))", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            var failing: Set<String> = []
            if case .conflict(let field, _) = error, field == "eligibility" {
                failing = Set(Eligibility.failing(required: criteria.map(\.code), answers: answers))
            }
            return try await enrolPage(id, form: form, failing: failing, refusal: Refusal(error, fields: Self.enrolmentFields),
                                       status: HTTPResponse.Status(code: error.httpStatus))
        }
    }
}

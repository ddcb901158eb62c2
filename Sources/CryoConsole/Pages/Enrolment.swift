import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// Enrolling a patient into a cohort with the study's eligibility checklist, one question per criterion,
/// each worded so that the answer which excludes the patient is stated (exclusion criteria ask whether the
/// patient has the condition: "yes" excludes).
extension Console {
    /// The form's fields, with the id of each input (eligibility: the checklist).
    static let enrolmentFields = ["subjectId": "subjectId", "siteCode": "siteCode", "weightKg": "weightKg", "ldStartOn": "ldStartOn",
                                  "infusionOn": "infusionOn", "antiHla": "antiHla", "eligibility": "eligibility", "cohortId": "subjectId"]

    func enrolPage(_ id: String, form: [String: String] = [:], failing: Set<String> = [], refusal: Refusal? = nil,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        try user.require(.enrollPatient)
        let decision = try await store.cohortDecision(cohortId: id, actor: user, logger: logger)
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        let cohort = decision.cohort
        let items: [[String: Any]] = study.criteria(for: cohort.indication).map { c in
            let answer = form["criterion.\(c.code)"]
            return ["code": c.code, "text": c.text, "exclusion": c.kind == "exclusion", "yes": answer == "yes", "no": answer == "no",
                    "failing": failing.contains(c.code), "unanswered": failing.contains(c.code) && answer == nil]
        }
        var content: [String: Any] = [
            "study": Self.studyFacts(study), "cohort": Self.cohortRow(decision, role: user.role), "criteria": items,
            "hasLymphodepletion": cohort.lymphodepletion != Lymphodepletion.none.rawValue,
            "sites": study.sites.map { ["code": $0, "selected": $0 == form["siteCode"]] },
            "form": ["subjectId": form["subjectId"] ?? "", "weightKg": form["weightKg"] ?? "", "infusionOn": form["infusionOn"] ?? "",
                     "ldStartOn": form["ldStartOn"] ?? "", "antiHla": form["antiHla"] ?? ""],
            "failingCount": failing.count,
        ]
        if let refusal, refusal.byField.messages.isEmpty { content["formError"] = refusal.items.first?.message }
        return try page("enrol", title: "Enrol a patient: \(id)", content, status: status, refusal: refusal)
    }

    func enrolForm(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let study = try await store.study(code: Self.studyCode(of: id), actor: user, logger: logger)
        guard let cohort = study.cohorts.first(where: { $0.id == id }) else { throw DomainError.notFound(kind: "cohort", id: id) }
        let criteria = study.criteria(for: cohort.indication)
        let answers: [EligibilityAnswer] = criteria.compactMap { c in
            switch form["criterion.\(c.code)"] {
            case "yes": EligibilityAnswer(criterion: c.code, kind: c.kind, applies: true)
            case "no": EligibilityAnswer(criterion: c.code, kind: c.kind, applies: false)
            default: nil
            }
        }
        do {
            func day(_ field: String) throws -> CalendarDay? {
                guard let text = form[field]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
                return try CalendarDay(parsing: text, field: field)
            }
            guard let weight = Double((form["weightKg"] ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: ".")) else {
                throw DomainError.invalid(field: "weightKg", rule: "a body weight in kilograms, e.g. 62.5")
            }
            guard let infusion = try day("infusionOn") else { throw DomainError.invalid(field: "infusionOn", rule: "must be a calendar date YYYY-MM-DD") }
            let antiHla = (form["antiHla"] ?? "").split { $0 == "," || $0 == " " }.map(String.init)
            let enrolment = Enrolment(subjectId: (form["subjectId"] ?? "").trimmingCharacters(in: .whitespaces), studyCode: study.code,
                                      siteCode: form["siteCode"] ?? "", cohortId: id, weightKg: weight, ldStartOn: try day("ldStartOn"),
                                      infusionOn: infusion, antiHla: antiHla, eligibility: answers)
            let patient = try await store.enrollPatient(enrolment, actor: user, logger: logger)
            return Response.redirect(to: "/console/cohorts/\(id)?enrolled=\(Self.queryValue(patient.subjectId))", type: .normal)
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

import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The patient list: every enrolled patient with where they stand and what comes next (`PatientNextStep`).
struct PatientListPage: Sendable {
    struct Row: Sendable {
        let subjectId: String, study: String, site: String, cohort: String, cohortHref: String, status: String
        let ldStartOn: String, infusionOn: String, dosedOn: String, nextStep: String, due: Bool
    }
    let rows: [Row]
    let isEmpty: Bool
    let today: String
}

extension Console {
    func patientList() async throws -> Response {
        let user = try signedIn()
        let today = CalendarDay.today()
        let patients = try await store.patientOverview(actor: user, logger: logger)
        let rows = patients.map { p in
            let step = p.nextStep(today: today)
            return PatientListPage.Row(
                subjectId: p.subjectId, study: p.studyCode, site: p.siteCode, cohort: p.cohortId, cohortHref: "/console/cohorts/\(p.cohortId)",
                status: p.status, ldStartOn: p.ldStartOn?.description ?? "none (arm without lymphodepletion)", infusionOn: p.infusionOn.description,
                dosedOn: p.dosedOn?.description ?? "—", nextStep: step.sentence, due: step.queue != nil)
        }
        return try render("patients", title: "Patients", PatientListPage(rows: rows, isEmpty: rows.isEmpty, today: today.description))
    }
}

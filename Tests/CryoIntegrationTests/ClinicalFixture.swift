import CryoDomain
import CryoStore
import Foundation
import PostgresNIO

/// A RESOLUTION-like study over the fixture's product, a clinical site two days from the depot,
/// and released lots whose vials sit in BOX-1.
extension Fixture {
    static let cohort = "RES/SLE/DL1/no-LD"
    static let criteria: [StudyDefinition.Criterion] = [
        .init(code: "age-18-to-under-70", kind: "inclusion", text: "Age 18 to under 70 years"),
        .init(code: "active-disease", kind: "inclusion", text: "Active disease despite at least 3 months of standard of care"),
        .init(code: "no-prior-cd19-cd70-or-engineered-cell-therapy", kind: "exclusion", text: "Prior CD19- or CD70-targeted or engineered cell therapy"),
        .init(code: "no-cns-lupus", kind: "exclusion", text: "Any CNS disease or severe renal chronicity", indication: "SLE"),
    ]

    func clinical(lots: [(String, Int)] = [("LOT-A1", 12)]) async throws {
        let clin = user(.clinical)
        try await store.createSite(code: "S01", name: "Site 01", kind: .clinical, actor: user(.manufacturing), logger: Self.logger)
        try await store.createRoute(from: "SSF", to: "S01", days: 2, actor: clin, logger: Self.logger)
        _ = try await store.createStudy(StudyDefinition(
            code: "RES", name: "RESOLUTION-like", productCode: "ALLO-501", dltWindowDays: 28,
            indications: [.init(code: "SLE", name: "Systemic lupus erythematosus")],
            arms: [.init(code: "no-LD", lymphodepletion: .none, name: "No lymphodepletion"), .init(code: "LD", lymphodepletion: .cy, name: "Cyclophosphamide"),
                   .init(code: "FC", lymphodepletion: .fluCy, name: "Fludarabine and cyclophosphamide")],
            doseLevels: [.init(code: "DL1", ordinal: 1, targetCells: 40_000_000, basis: .flat), .init(code: "DL2", ordinal: 2, targetCells: 120_000_000, basis: .flat)],
            sites: ["S01"], criteria: Self.criteria), actor: clin, logger: Self.logger)
        for (lot, vials) in lots { try await releasedLot(lot, vials: vials) }
    }

    func releasedLot(_ number: String, vials: Int, box: String = "BOX-1") async throws {
        try await lot(number, vials: vials, box: box)
        _ = try await store.transitionLot(number: number, to: .quarantine, reason: "run complete", actor: user(.manufacturing), logger: Self.logger)
        _ = try await store.recordQcResult(lotNumber: number, QcResultInput(testCode: "viability", numericValue: 92, unit: "%", method: "7-AAD", analyst: "A"),
                                           actor: user(.qc), logger: Self.logger)
        _ = try await store.releaseLot(number: number, kind: .standard, justification: nil, pendingTests: [], restrictedTo: [], reason: nil,
                                       signature: SignatureInput(password: Self.qaPassword, meaning: "approved for release"), actor: user(.qa), logger: Self.logger)
    }

    func allSatisfied() -> [EligibilityAnswer] { Self.criteria.map { EligibilityAnswer(criterion: $0.code, satisfied: true) } }

    @discardableResult
    func enrol(_ subject: String, cohort: String = Fixture.cohort, antiHla: [String] = [], answers: [EligibilityAnswer]? = nil,
               ldStartOn: CalendarDay? = nil) async throws -> PatientRecord {
        let infusion = CalendarDay.today(offset: 10)
        return try await store.enrollPatient(Enrolment(subjectId: subject, studyCode: "RES", siteCode: "S01", cohortId: cohort, weightKg: 70,
                                                       ldStartOn: ldStartOn ?? (cohort.hasSuffix("/no-LD") ? nil : CalendarDay.today(offset: 5)), infusionOn: infusion,
                                                       antiHla: antiHla, eligibility: answers ?? allSatisfied()),
                                             actor: user(.clinical), logger: Self.logger)
    }

    /// Plans for the patients, commits, picks, ships, receives and thaws: the vials end thawed at the site.
    func dispenseToThawed(_ subjects: [String]) async throws -> [CommittedAllocation] {
        let pharmacy = user(.pharmacy)
        let plan = try await store.planAllocation(PlanRequest(patients: subjects), actor: pharmacy, logger: Self.logger)
        let done = try await store.commitAllocation(planId: plan.id, patients: nil, actor: pharmacy, logger: Self.logger)
        let received = try await dispenseToReceived(done)
        for s in subjects { try await ready(s) }
        for a in received {
            for v in a.vialIds { _ = try await store.thawVial(id: v, scannedVialId: v, scannedSubjectId: a.subjectId, actor: pharmacy, logger: Self.logger) }
        }
        return done
    }

    /// Picks, ships and receives committed allocations, each vial scanned at each hand-off.
    @discardableResult
    func dispenseToReceived(_ done: [CommittedAllocation]) async throws -> [CommittedAllocation] {
        let pharmacy = user(.pharmacy)
        for a in done { _ = try await store.pickAllocation(allocationId: a.allocationId, scannedVialIds: a.vialIds, actor: pharmacy, logger: Self.logger) }
        let vials = done.flatMap(\.vialIds)
        let shipment = try await store.shipVials(ShipmentInput(vialIds: vials, toSite: "S01", dryShipperId: "DS-7", dataLoggerId: "LOG-9",
                                                               validatedHoldHours: 240, scannedVialIds: vials, scannedDryShipperId: "DS-7"),
                                                 actor: pharmacy, logger: Self.logger)
        _ = try await store.receiveShipment(id: shipment.id, loggerMaxCelsius: -170, scannedVialIds: vials, actor: pharmacy, logger: Self.logger)
        return done
    }

    /// Makes a patient of an arm without lymphodepletion ready today: the infusion rescheduled to today, cleared (signed).
    func ready(_ subject: String) async throws {
        let clin = user(.clinical)
        _ = try await store.rescheduleInfusion(subjectId: subject, to: .today(offset: 0), reason: "vials at the site; patient ready", actor: clin, logger: Self.logger)
        try await clear(subject)
    }

    func clear(_ subject: String) async throws {
        _ = try await store.clearForInfusion(subjectId: subject, items: InfusionReadiness.minimumClearanceItems,
                                             signature: SignatureInput(password: Self.pharmacyPassword, meaning: "patient cleared for infusion"),
                                             actor: user(.clinical), logger: Self.logger)
    }

    var nurseSignature: SignatureInput { SignatureInput(password: Self.pharmacyPassword, meaning: "administered after bedside identity check") }
    static let pharmacyPassword = "pharmacy-signing-password-1"
}

extension CalendarDay {
    static func today(offset: Int) -> CalendarDay {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return CalendarDay(f.string(from: Date()))!.adding(days: offset)
    }
}

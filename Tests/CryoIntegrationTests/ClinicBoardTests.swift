import CryoDomain
import CryoStore
import Foundation
import Testing

/// Issue 16: what the console's cohort board and temperature page read, through the Store.
@Suite("Cohort board and temperature history reads")
struct ClinicBoardTests {
    @Test("the board's reads: studies, a cohort's patients with dosing day and DLTs, and whose DLT window the engine awaits; an auditor's read is logged")
    func board() async throws {
        try await withFixture { f in
            try await f.clinical()
            let clin = f.user(.clinical)
            #expect(try await f.store.studies(actor: clin, logger: Fixture.logger).map(\.code) == ["RES"])
            for s in ["RES-001", "RES-002", "RES-003"] { try await f.enrol(s) }
            let done = try await f.dispenseToThawed(["RES-001", "RES-002", "RES-003"])
            for a in done {
                _ = try await f.store.administerVial(id: a.vialIds[0], scannedSubjectId: a.subjectId, signature: f.nurseSignature,
                                                     actor: f.user(.pharmacy), logger: Fixture.logger)
            }
            _ = try await f.store.recordDlt(subjectId: "RES-002", description: "grade 3 cytokine release syndrome", grade: 3,
                                            onsetOn: CalendarDay.today(offset: 0), actor: clin, logger: Fixture.logger)
            let patients = try await f.store.cohortPatients(cohortId: Fixture.cohort, actor: clin, logger: Fixture.logger)
            #expect(patients.map(\.subjectId) == ["RES-001", "RES-002", "RES-003"])
            #expect(patients.allSatisfy { $0.status == "dosed" && $0.dosedOn == CalendarDay.today(offset: 0).description })
            #expect(patients.map(\.dlts) == [0, 1, 0])
            let decision = try await f.store.cohortDecision(cohortId: Fixture.cohort, actor: clin, logger: Fixture.logger)
            let ends = CalendarDay.today(offset: 28).description
            #expect(decision.decision == .observe)
            #expect(decision.awaiting == [AwaitedDltWindow(subjectId: "RES-001", windowEnds: ends), AwaitedDltWindow(subjectId: "RES-003", windowEnds: ends)])
            // The board's read of every cohort agrees with the one-cohort read, in the study's order.
            let all = try await f.store.cohortDecisions(studyCode: "RES", actor: clin, logger: Fixture.logger)
            #expect(all.map(\.cohort.id) == (try await f.store.study(code: "RES", actor: clin, logger: Fixture.logger)).cohorts.map(\.id))
            #expect(all.first { $0.cohort.id == Fixture.cohort } == decision)
            // A planned cohort awaits nobody.
            #expect(try await f.store.cohortDecision(cohortId: "RES/SLE/DL2/no-LD", actor: clin, logger: Fixture.logger).awaiting.isEmpty)
            _ = try await f.store.cohortPatients(cohortId: Fixture.cohort, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'record.read-by-auditor' AND reason = 'cohort board'") == 3)
        }
    }

    @Test("a freezer's readings, newest first, each excursion with the vials it held; an unknown freezer is named")
    func temperatures() async throws {
        try await withFixture { f in
            let mfg = f.user(.manufacturing)
            let vials = try await f.lot("LOT-T1", vials: 2, box: "BOX-1").map(\.id)
            _ = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -185, measuredAt: Date().addingTimeInterval(-60), probe: "P1",
                                                    actor: mfg, logger: Fixture.logger)
            let warm = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -110, measuredAt: Date(), probe: "P1", actor: mfg, logger: Fixture.logger)
            let readings = try await f.store.temperatureReadings(freezerId: "FRZ-1", limit: 10, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(readings.map(\.celsius) == [-110, -185])
            #expect(readings.map(\.excursion) == [true, false])
            #expect(readings[0].id == warm.id && Set(readings[0].heldVials) == Set(vials) && readings[1].heldVials.isEmpty)
            await #expect { _ = try await f.store.temperatureReadings(freezerId: "FRZ-404", limit: 10, actor: mfg, logger: Fixture.logger) } throws: { error in
                (error as? DomainError) == .notFound(kind: "freezer", id: "FRZ-404")
            }
        }
    }
}

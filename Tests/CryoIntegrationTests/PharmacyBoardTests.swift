import CryoDomain
import CryoStore
import Foundation
import Testing

/// Issue 16: what the console's allocation board and bedside read, and the bedside check before signing.
@Suite("Pharmacy board and bedside reads")
struct PharmacyBoardTests {
    @Test("a stored plan reads back as made, with its explanations; the board lists exactly the patients the planner plans for")
    func storedPlanAndBoard() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-P1", 4), ("LOT-P2", 5)])
            for i in 1...2 { try await f.enrol("RES-00\(i)") }
            try await f.enrol("RES-010", cohort: "RES/SLE/DL1/LD", antiHla: ["A*02"])
            let pharmacy = f.user(.pharmacy)
            var board = try await f.store.pharmacyBoard(actor: f.user(.qa), logger: Fixture.logger)
            #expect(board.awaiting.map(\.subjectId) == ["RES-001", "RES-002", "RES-010"])
            #expect(board.allocations.isEmpty)
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001", "RES-002", "RES-010"]), actor: pharmacy, logger: Fixture.logger)
            let stored = try await f.store.allocationPlan(id: plan.id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(stored.plan.assignments == plan.assignments)
            #expect(stored.plan.unassigned == plan.unassigned)
            #expect(stored.plan.objective == plan.objective && stored.plan.provenOptimal == plan.provenOptimal)
            #expect(stored.levels.count == 5 && stored.committed.isEmpty && stored.createdBy == pharmacy.name)
            #expect(stored.plan.unassigned.contains { $0["demand"] == "RES-010" && ($0["reason"] ?? "").contains("A*02") })
            #expect(stored.plan.assignments.allSatisfy { !$0.explanation.isEmpty })
            // An auditor's read of the plan's patients is logged.
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'RES-010' AND action = 'record.read-by-auditor'") == 1)

            let done = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: pharmacy, logger: Fixture.logger)
            #expect(try await f.store.allocationPlan(id: plan.id, actor: pharmacy, logger: Fixture.logger).committed.count == done.count)
            board = try await f.store.pharmacyBoard(actor: pharmacy, logger: Fixture.logger)
            #expect(board.awaiting.map(\.subjectId) == ["RES-010"])
            #expect(Set(board.allocations.map(\.subjectId)) == ["RES-001", "RES-002"])
            #expect(board.allocations.allSatisfy { $0.planId == plan.id && $0.vials.allSatisfy { $0.status == .reserved && $0.inStorage } })
        }
    }

    @Test("the bedside check refuses and logs a mismatch before anything is signed; a match writes nothing")
    func bedsideCheck() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001"); try await f.enrol("RES-002")
            let done = try await f.dispenseToThawed(["RES-001", "RES-002"])
            let one = done.first { $0.subjectId == "RES-001" }!.vialIds[0]
            let pharmacy = f.user(.pharmacy)
            let events = try await f.count("SELECT count(*)::int FROM custody_event")
            let facts = try await f.store.checkAdministration(vialId: one, scannedSubjectId: "RES-001", actor: pharmacy, logger: Fixture.logger)
            #expect(facts.reservedFor == "RES-001" && facts.status == .thawed)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == events)
            await #expect { _ = try await f.store.checkAdministration(vialId: one, scannedSubjectId: "RES-002", actor: pharmacy, logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("chain of identity") == true
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = '\(one)' AND action = 'vial.administration-refused'") == 1)
            await #expect { _ = try await f.store.checkAdministration(vialId: one, scannedSubjectId: "RES-001", actor: f.user(.qa), logger: Fixture.logger) } throws: { error in
                if case .some(.forbidden) = error as? DomainError { return true } else { return false }
            }
            let bedside = try await f.store.bedsideVials(actor: pharmacy, logger: Fixture.logger)
            let vial = try #require(bedside.first { $0.vialId == one })
            #expect(vial.status == .thawed && vial.subjectId == "RES-001" && vial.thawLimitMinutes == 30)
            let thawedAt = try #require(vial.thawedAt), infuseBy = try #require(vial.infuseBy)
            #expect(abs(infuseBy.timeIntervalSince(thawedAt) - 30 * 60) < 0.001)
        }
    }
}

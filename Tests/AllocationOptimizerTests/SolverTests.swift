import AllocationOptimizer
import Foundation
import Testing

@Suite("Solver")
struct SolverTests {
    static var examplesDirectory: URL {
        // The test file may be reached through a symlink; the examples sit beside the real repository.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath()
            .appendingPathComponent("../../../shared/allocation/examples").standardized
    }

    @Test("the examples reproduce their stated optima, proven", arguments: ["s1-soft", "s2-hard", "s3-off-tight"])
    func examples(name: String) throws {
        let dir = Self.examplesDirectory
        let instanceData = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("\(name).json").path),
                                        "missing example \(dir.path)/\(name).json")
        let planData = try #require(FileManager.default.contents(atPath: dir.appendingPathComponent("\(name).optimal-plan.json").path))
        let stated = try #require(try JSONSerialization.jsonObject(with: planData) as? [String: Any])
        let objective = try #require(stated["objective"] as? [String: Int])
        let expected = AllocationResult.levelNames.map { objective[$0]! }

        let inst = try AllocationInstanceParser.parse(instanceData)
        let result = AllocationSolver.solve(inst, options: SolveOptions())
        #expect(result.objective == expected)
        #expect(independentObjective(inst, result) == expected)
        #expect(result.levels.allSatisfy { $0.provenOptimal })
    }

    @Test("under hard a cohort draws from one lot, even if that leaves a patient unserved")
    func hardCohortRule() {
        // Two patients of one cohort, 2 vials each; each lot holds 3 vials.
        let lots = [Fixture.lot("L1", expiry: "2026-06-20", vials: 3), Fixture.lot("L2", expiry: "2026-06-25", vials: 3)]
        let demands = [Fixture.demand("d1"), Fixture.demand("d2")]
        let hard = AllocationSolver.solve(Fixture.instance(lots: lots, demands: demands, cohortLots: .hard), options: SolveOptions())
        #expect(hard.objective == [1, 0, 0, 10, 0])
        #expect(Set(hard.assignments.map(\.lot)).count == 1)
        #expect(hard.unassigned.first?.reason.hasPrefix("cohortLots hard: cohort C draws from lot L1") == true)

        let soft = AllocationSolver.solve(Fixture.instance(lots: lots, demands: demands, cohortLots: .soft), options: SolveOptions())
        #expect(soft.objective == [0, 0, 2, 25, 0])

        // A lot that holds both doses serves the whole cohort under hard.
        let roomy = lots + [Fixture.lot("L3", expiry: "2026-07-01", vials: 4)]
        let both = AllocationSolver.solve(Fixture.instance(lots: roomy, demands: demands, cohortLots: .hard), options: SolveOptions())
        #expect(both.objective == [0, 0, 0, 42, 0])
        #expect(both.assignments.allSatisfy { $0.lot == "L3" })
    }

    @Test("patients come before slots, slots before fewer lots per cohort, that before expiry and overage")
    func levelOrder() {
        let lots = [Fixture.lot("L1", expiry: "2026-06-20", cellsPerVial: 50, vials: 2)]
        let demands = [Fixture.demand("slot", kind: .slot, cohort: "A"), Fixture.demand("patient", cohort: "B")]
        let result = AllocationSolver.solve(Fixture.instance(lots: lots, demands: demands), options: SolveOptions())
        #expect(result.assignments.map(\.demand) == ["patient"])
        #expect(result.objective == [0, 1, 1, 10, 0])
        #expect(result.unassigned.first?.reason.hasPrefix("capacity went to higher-ranked demands") == true)

        // Soft cohorts: one lot for the cohort beats the shorter-dated second lot.
        let two = [Fixture.lot("Early", expiry: "2026-06-15", vials: 2), Fixture.lot("Late", expiry: "2026-08-01", vials: 4)]
        let cohort = [Fixture.demand("a"), Fixture.demand("b")]
        let soft = AllocationSolver.solve(Fixture.instance(lots: two, demands: cohort), options: SolveOptions())
        #expect(soft.assignments.allSatisfy { $0.lot == "Late" })
        #expect(soft.objective[2] == 1)
        let off = AllocationSolver.solve(Fixture.instance(lots: two, demands: cohort, cohortLots: .off), options: SolveOptions())
        #expect(off.objective == [0, 0, 0, 5 + 52, 0])
    }

    @Test("a time limit still yields a valid plan with per-level status")
    func timeLimit() throws {
        let inst = RandomInstance.make(seed: 7)
        let result = AllocationSolver.solve(inst, options: SolveOptions(timeLimitSeconds: 0))
        #expect(independentObjective(inst, result) == result.objective)
        #expect(result.levels.count == 5)
        #expect(result.levels.map(\.name) == AllocationResult.levelNames)
        for level in result.levels where !level.provenOptimal {
            if let bound = level.bound { #expect(bound <= level.value) }
        }
    }
}

@Suite("Explanations and plan output")
struct ExplanationTests {
    @Test("a demand no lot may serve gets the excluding rules, grouped by lot count")
    func unservable() {
        let lots = [
            Fixture.lot("L1", hla: ["A*02:01"]), Fixture.lot("L2", hla: ["A*02:01"]), Fixture.lot("L3", hla: ["A*02:01"]),
            Fixture.lot("L4", expiry: "2026-06-05"), Fixture.lot("L5", product: "Q"),
        ]
        let d = Fixture.demand("d", infusion: "2026-06-10", anti: ["A*02"])
        let result = AllocationSolver.solve(Fixture.instance(lots: lots, demands: [d]), options: SolveOptions())
        let reason = result.unassigned.first?.reason ?? ""
        #expect(reason == "no P lot may serve it: 3 lots carry A*02:01, hit by donor-specific antibody A*02 (L1, L2, L3); "
            + "1 lot expires before 2026-06-11 (L4)")
    }

    @Test("an assignment says why not a lot that expires sooner")
    func whyThisLot() {
        let lots = [Fixture.lot("Soon", expiry: "2026-06-15", vials: 2), Fixture.lot("Later", expiry: "2026-06-30", vials: 2),
                    Fixture.lot("Sooner", expiry: "2026-06-12", vials: 2, hla: ["B*44:02"])]
        let demands = [Fixture.demand("first", cohort: "A"), Fixture.demand("second", cohort: "B", anti: ["B*44"]),
                       Fixture.demand("third", cohort: "C", anti: ["B*44"])]
        let result = AllocationSolver.solve(Fixture.instance(lots: lots, demands: demands, cohortLots: .off), options: SolveOptions())
        let later = result.assignments.first { $0.lot == "Later" }
        #expect(later != nil)
        #expect(later?.explanation.contains("too few vials left after serving other demands (Soon)") == true)
        #expect(later?.explanation.contains("hit by donor-specific antibody B*44 (Sooner)") == true)
        let first = result.assignments.first { $0.demand == "first" }
        #expect(first?.lot == "Sooner")
        #expect(first?.explanation == "Sooner (expires 2026-06-12) is the first-expiring P lot")
    }

    @Test("a plan from elsewhere (the database) is explained the same way, and a plan breaking a rule is refused")
    func explainGivenPlan() {
        let lots = [Fixture.lot("Soon", expiry: "2026-06-15", vials: 2), Fixture.lot("Later", expiry: "2026-06-30", vials: 4)]
        let demands = [Fixture.demand("a"), Fixture.demand("b"), Fixture.demand("c")]
        let inst = Fixture.instance(lots: lots, demands: demands, cohortLots: .off)
        let explained = AllocationExplanations.explain(inst, lotOfDemand: ["a": "Soon", "b": "Later"])
        #expect(explained?.assignments["b"]?.contains("too few vials left after serving other demands (Soon)") == true)
        #expect(explained?.unassigned["c"] == "not assigned in this plan, though 1 allowed lot still has room for its dose: Later")
        #expect(explained?.unassigned.keys.sorted() == ["c"])
        // Soon holds 2 vials, one dose.
        #expect(AllocationExplanations.explain(inst, lotOfDemand: ["a": "Soon", "b": "Soon"]) == nil)
        #expect(AllocationExplanations.explain(inst, lotOfDemand: ["a": "Nowhere"]) == nil)
    }

    @Test("the plan JSON has format v1, the objective by level, proof status and explanations")
    func planJSON() throws {
        let lots = [Fixture.lot("L1", vials: 2)]
        let demands = [Fixture.demand("d1"), Fixture.demand("d2", kind: .slot)]
        let result = AllocationSolver.solve(Fixture.instance(lots: lots, demands: demands), options: SolveOptions())
        let json = try #require(try JSONSerialization.jsonObject(with: result.planJSON()) as? [String: Any])
        #expect(json["format"] as? String == "cryoledger.allocation-plan/v1")
        let assignments = try #require(json["assignments"] as? [[String: Any]])
        #expect(assignments.count == 1)
        #expect(assignments[0]["demand"] as? String == "d1")
        #expect(assignments[0]["vials"] as? Int == 2)
        #expect(assignments[0]["explanation"] is String)
        let unassigned = try #require(json["unassigned"] as? [[String: Any]])
        #expect(unassigned.first?["demand"] as? String == "d2")
        #expect((unassigned.first?["reason"] as? String)?.isEmpty == false)
        #expect(json["objective"] as? [String: Int] == ["unassignedPatients": 0, "unassignedSlots": 1, "cohortSpread": 1,
                                                         "expirySlackDays": 204, "overageCells": 0])
        let levels = try #require(json["levels"] as? [[String: Any]])
        #expect(levels.count == 5)
        #expect(levels.allSatisfy { $0["provenOptimal"] as? Bool == true })
        #expect((json["solver"] as? [String: Any])?["seconds"] is Double)
    }
}

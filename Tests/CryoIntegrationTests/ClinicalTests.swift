import AllocationOptimizer
import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 6: enrolment with eligibility and cohort capacity, allocation from the live inventory, the dispense chain.
@Suite("Trials, patients and doses")
struct ClinicalTests {
    @Test("enrolment is refused naming the failing items; a full cohort takes nobody more, even under 10 concurrent enrolments")
    func enrolment() async throws {
        try await withFixture { f in
            try await f.clinical()
            var answers = f.allSatisfied()
            answers[2].satisfied = false
            answers.removeLast()
            await #expect { try await f.enrol("RES-001", answers: answers) } throws: { error in
                let text = (error as? DomainError)?.description ?? ""
                return text.contains("no-prior-cd19-cd70-or-engineered-cell-therapy") && text.contains("no-cns-lupus")
            }
            #expect(try await f.count("SELECT count(*)::int FROM patient") == 0)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 1...10 { group.addTask { (try? await f.enrol("RES-0\(10 + i)")) != nil } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 3)
            #expect(try await f.count("SELECT count(*)::int FROM patient WHERE cohort_id = 'RES/SLE/DL1/no-LD'") == 3)
            await #expect { try await f.enrol("RES-099", cohort: "RES/SLE/DL2/no-LD") } throws: { error in
                (error as? DomainError)?.description.contains("planned and takes no patients") == true
            }
        }
    }

    @Test("the demo story: enrol 3 into SLE DL1 without lymphodepletion, plan, commit, ship, receive, thaw, administer; one DLT: observe until the others' DLT windows close, then expand to six")
    func story() async throws {
        try await withFixture { f in
            try await f.clinical()
            for s in ["RES-001", "RES-002", "RES-003"] { try await f.enrol(s) }
            let done = try await f.dispenseToThawed(["RES-001", "RES-002", "RES-003"])
            #expect(done.count == 3 && done.allSatisfy { $0.vialIds.count == 1 })
            for a in done {
                let v = try await f.store.administerVial(id: a.vialIds[0], scannedSubjectId: a.subjectId, signature: f.nurseSignature,
                                                         actor: f.user(.pharmacy), logger: Fixture.logger)
                #expect(v.status == .administered)
            }
            var decision = try await f.store.cohortDecision(cohortId: Fixture.cohort, actor: f.user(.clinical), logger: Fixture.logger)
            #expect(decision.decision == .observe && decision.treated == 3)
            _ = try await f.store.recordDlt(subjectId: "RES-002", description: "grade 3 cytokine release syndrome", grade: 3,
                                            onsetOn: CalendarDay.today(offset: 0), actor: f.user(.clinical), logger: Fixture.logger)
            // The other two are still inside their 28-day DLT windows: a second DLT would stop, so no expansion yet.
            decision = try await f.store.cohortDecision(cohortId: Fixture.cohort, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(decision.decision == .observe && !decision.actionable && decision.patientsWithDlt == 1 && decision.evaluable == 1)
            #expect(decision.rationale.contains("waiting for the DLT windows of RES-001") && decision.rationale.contains("RES-003"))
            await #expect { try await f.store.confirmCohortDecision(cohortId: Fixture.cohort, decision: .expand, signature: f.nurseSignature,
                                                                    actor: f.user(.clinical), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("say 'observe'") == true
            }
            // 29 days later every window has closed: the store reads a later clock instead of the test waiting.
            let later = Store(client: f.client, clock: { Date().addingTimeInterval(29 * 86_400) })
            decision = try await later.cohortDecision(cohortId: Fixture.cohort, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(decision.decision == .expand && decision.actionable && decision.evaluable == 3)
            await #expect { try await later.confirmCohortDecision(cohortId: Fixture.cohort, decision: .escalate, signature: f.nurseSignature,
                                                                  actor: f.user(.clinical), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("say 'expand'") == true
            }
            decision = try await later.confirmCohortDecision(cohortId: Fixture.cohort, decision: .expand, signature: f.nurseSignature,
                                                               actor: f.user(.clinical), logger: Fixture.logger)
            #expect(decision.cohort.state == "expanded" && decision.cohort.capacity == 6)
            try await f.enrol("RES-004")
            // Every step is in the custody log: the vial's chain from creation to administration.
            let events = try await f.store.custodyEvents(subjectType: "vial", subjectId: done[0].vialIds[0], actor: f.user(.auditor), logger: Fixture.logger)
            #expect(events.map(\.action) == ["vial.created", "vial.reserved", "vial.picked", "vial.shipped", "vial.received", "vial.infusion-rescheduled",
                                            "vial.thawed", "vial.administered"])
            let signed = try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.administered' AND signature IS NOT NULL")
            #expect(signed == 3)
        }
    }

    @Test("50 concurrent commits of plans that share vials: no vial is reserved twice, each loser gets a conflict")
    func concurrentCommits() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-C1", 6)])
            let cohorts = ["RES/SLE/DL1/no-LD", "RES/SLE/DL1/LD"]
            var subjects: [String] = []
            for i in 0..<6 { let s = "RES-1\(i)"; try await f.enrol(s, cohort: cohorts[i % 2]); subjects.append(s) }
            // Each patient planned alone: every plan picks the same first vials of the lot.
            var plans: [UUID] = []
            for s in subjects { plans.append(try await f.store.planAllocation(PlanRequest(patients: [s]), actor: f.user(.pharmacy), logger: Fixture.logger).id) }
            let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for i in 0..<50 {
                    let plan = plans[i % plans.count]
                    group.addTask {
                        do { return .success(try await f.store.commitAllocation(planId: plan, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger).count) }
                        catch { return .failure(error) }
                    }
                }
                return await group.reduce(into: [Result<Int, any Error>]()) { $0.append($1) }
            }
            let wins = results.filter { if case .success = $0 { return true } else { return false } }.count
            #expect(wins == 1)
            for case .failure(let error) in results {
                guard case .conflict(_, let rule)? = error as? DomainError else { Issue.record("not a conflict: \(String(reflecting: error))"); continue }
                #expect(rule.contains("changed since planning"))
            }
            #expect(try await f.count("SELECT count(*)::int FROM (SELECT vial_id FROM reservation WHERE cancelled_at IS NULL GROUP BY vial_id HAVING count(*) > 1) d") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM reservation WHERE cancelled_at IS NULL") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE status = 'reserved'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'vial.reserved'") == 1)
        }
    }

    @Test("administering the wrong patient's vial, or after the thaw limit, is refused and logged")
    func bedsideChecks() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001"); try await f.enrol("RES-002")
            let done = try await f.dispenseToThawed(["RES-001", "RES-002"])
            let one = done.first { $0.subjectId == "RES-001" }!.vialIds[0]
            await #expect { try await f.store.administerVial(id: one, scannedSubjectId: "RES-002", signature: f.nurseSignature,
                                                             actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("chain of identity") == true
            }
            // The database refuses it too, whoever writes.
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "INSERT INTO administration (vial_id, subject_id, administered_by) VALUES ('\(one)', 'RES-002', \(f.user(.pharmacy).id))"), logger: Fixture.logger)
            }
            try await f.client.query(PostgresQuery(unsafeSQL: "UPDATE vial SET thawed_at = now() - interval '31 minutes' WHERE id = '\(one)'"), logger: Fixture.logger)
            await #expect { try await f.store.administerVial(id: one, scannedSubjectId: "RES-001", signature: f.nurseSignature,
                                                             actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("thaw-to-infusion limit") == true
            }
            let refusals = try await f.store.custodyEvents(subjectType: "vial", subjectId: one, actor: f.user(.auditor), logger: Fixture.logger)
                .filter { $0.action == "vial.administration-refused" }
            #expect(refusals.count == 2)
            #expect(try await f.count("SELECT count(*)::int FROM vial WHERE id = '\(one)' AND status = 'thawed'") == 1)
            let destroyed = try await f.store.destroyVial(id: one, reason: "thaw-to-infusion limit passed", actor: f.user(.pharmacy), logger: Fixture.logger)
            #expect(destroyed.status == .destroyed)
            // A thawed vial never goes back to storage.
            let other = done.first { $0.subjectId == "RES-002" }!.vialIds[0]
            await #expect(throws: (any Error).self) {
                try await f.client.query(PostgresQuery(unsafeSQL: "INSERT INTO vial_position (vial_id, box_id, row_no, column_no) VALUES ('\(other)', 'BOX-2', 9, 9)"), logger: Fixture.logger)
            }
        }
    }

    @Test("a dry shipper whose validated hold time runs out before arrival is refused")
    func holdTime() async throws {
        try await withFixture { f in
            try await f.clinical()
            try await f.enrol("RES-001")
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            let a = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)[0]
            await #expect { _ = try await f.store.shipVials(ShipmentInput(vialIds: a.vialIds, toSite: "S01", dryShipperId: "DS-1", dataLoggerId: "L-1", validatedHoldHours: 24,
                                                                                          scannedVialIds: a.vialIds, scannedDryShipperId: "DS-1"),
                                                            actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("validatedHoldHours: the dry shipper's validated hold time (24 h) runs out before arrival (48 h") == true
            }
            #expect(try await f.count("SELECT count(*)::int FROM shipment") == 0)
        }
    }

    @Test("planning over the live inventory agrees with `allocate solve` on the exported instance")
    func planAgreesWithSolve() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [("LOT-P1", 4), ("LOT-P2", 5)])
            for i in 1...3 { try await f.enrol("RES-00\(i)") }
            try await f.enrol("RES-010", cohort: "RES/SLE/DL1/LD", antiHla: ["A*02"])
            let plan = try await f.store.planAllocation(PlanRequest(), actor: f.user(.pharmacy), logger: Fixture.logger)
            let data = try await f.store.allocationPlanInstance(id: plan.id, actor: f.user(.auditor), logger: Fixture.logger)
            let solved = AllocationSolver.solve(try AllocationInstanceParser.parse(data), options: SolveOptions(timeLimitSeconds: 10))
            #expect(solved.objective == plan.objective)
            #expect(plan.assignments.filter { $0.kind == "patient" }.count == 3)
            // RES-010 has antibodies to the donor's A*02:01: no lot may serve it, and the plan says why.
            #expect(plan.unassigned.contains { $0["demand"] == "RES-010" && ($0["reason"] ?? "").contains("A*02") })
            // Slots: the cohorts' open places are planned too.
            #expect(plan.assignments.contains { $0.kind == "slot" } || plan.unassigned.contains { $0["kind"] == "slot" })
        }
    }
}

@Suite("Conditional release at the bedside")
struct ConditionalReleaseTests {
    @Test("a conditionally released lot ships, but its vials are administered only after the pending test passes; the refusal is logged")
    func pendingTestBlocksAdministration() async throws {
        try await withFixture { f in
            try await f.clinical(lots: [])
            try await f.lot("LOT-CR1", vials: 2, box: "BOX-1")
            _ = try await f.store.transitionLot(number: "LOT-CR1", to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.releaseLot(number: "LOT-CR1", kind: .conditional, justification: nil, pendingTests: ["viability"], restrictedTo: [],
                                             reason: "urgent patient need; viability pending", signature: SignatureInput(password: Fixture.qaPassword, meaning: "conditional release"),
                                             actor: f.user(.qa), logger: Fixture.logger)
            try await f.enrol("RES-001")
            let vial = try await f.dispenseToThawed(["RES-001"])[0].vialIds[0]
            await #expect { try await f.store.administerVial(id: vial, scannedSubjectId: "RES-001", signature: f.nurseSignature,
                                                             actor: f.user(.pharmacy), logger: Fixture.logger) } throws: { error in
                (error as? DomainError)?.description.contains("administration waits for: viability") == true
            }
            // The refusal is logged like every other bedside refusal (it was not when only the database checked it).
            let refused = try await f.store.custodyEvents(subjectType: "vial", subjectId: vial, actor: f.user(.auditor), logger: Fixture.logger)
                .filter { $0.action == "vial.administration-refused" }
            #expect(refused.count == 1 && refused.first?.reason?.contains("administration waits for: viability") == true)
            _ = try await f.store.recordQcResult(lotNumber: "LOT-CR1", QcResultInput(testCode: "viability", numericValue: 88, unit: "%", method: "7-AAD", analyst: "A"),
                                                 actor: f.user(.qc), logger: Fixture.logger)
            let v = try await f.store.administerVial(id: vial, scannedSubjectId: "RES-001", signature: f.nurseSignature, actor: f.user(.pharmacy), logger: Fixture.logger)
            #expect(v.status == .administered)
        }
    }
}

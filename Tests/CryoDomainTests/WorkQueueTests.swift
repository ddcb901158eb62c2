import CryoDomain
import Testing

/// Each role's work list comes from its permissions, and a patient's next step from the dates on record.
@Suite("Work lists")
struct WorkQueueTests {
    @Test("each role's queues are the work it may do; the auditor's are read-only; nobody sees work it may not do")
    func queuesByRole() {
        #expect(WorkQueue.queues(for: .manufacturing) == [.lotsInProcess, .vialsUnplaced, .boxesNearlyFull])
        #expect(WorkQueue.queues(for: .qc) == [.lotsAwaitingResults])
        #expect(WorkQueue.queues(for: .qa) == [.lotsReadyForDisposition, .holdsToReview])
        #expect(WorkQueue.queues(for: .pharmacy) == [.dosesSoon, .plansToCommit, .shipmentsInTransit])
        #expect(WorkQueue.queues(for: .clinical) == [.lymphodepletionDue, .clearanceDue, .infusionToday, .dltWindowOpen, .cohortDecisionsDue])
        #expect(WorkQueue.queues(for: .auditor) == [.recentSignedEvents, .auditVerification])
        #expect(WorkQueue.queues(for: .admin) == [.lockedUsers, .usersIdle])
        for role in Role.allCases {
            for queue in WorkQueue.queues(for: role) { #expect(role.may(queue.action)) }
        }
    }

    @Test("a patient's next step from lymphodepletion, clearance, infusion and the DLT window")
    func nextStep() {
        let today = CalendarDay("2026-12-07")!
        func step(ld: String? = nil, infusion: String, dosed: String? = nil, cleared: Bool = false, status: String = "enrolled") -> PatientNextStep {
            .decide(status: status, ldStartOn: ld.flatMap(CalendarDay.init), infusionOn: CalendarDay(infusion)!, dosedOn: dosed.flatMap(CalendarDay.init),
                    dltWindowDays: 28, clearedToday: cleared, today: today)
        }
        #expect(step(ld: "2026-12-08", infusion: "2026-12-13") == .lymphodepletionDue(CalendarDay("2026-12-08")!))
        #expect(step(ld: "2026-12-07", infusion: "2026-12-13") == .lymphodepletionDue(CalendarDay("2026-12-07")!))
        #expect(step(ld: "2026-12-10", infusion: "2026-12-15") == .awaitingLymphodepletion(CalendarDay("2026-12-10")!))
        #expect(step(ld: "2026-12-01", infusion: "2026-12-10") == .awaitingInfusion(CalendarDay("2026-12-10")!))
        #expect(step(infusion: "2026-12-08") == .clearanceDue(CalendarDay("2026-12-08")!))
        #expect(step(infusion: "2026-12-07") == .clearanceDue(CalendarDay("2026-12-07")!))
        #expect(step(infusion: "2026-12-07", cleared: true) == .infusionToday)
        #expect(step(infusion: "2026-12-05") == .infusionPassed(CalendarDay("2026-12-05")!))
        #expect(step(infusion: "2026-11-20", dosed: "2026-11-20", status: "dosed") == .dltWindowOpen(until: CalendarDay("2026-12-18")!))
        #expect(step(infusion: "2026-10-01", dosed: "2026-10-01", status: "dosed") == .followUp)
        #expect(step(infusion: "2026-12-07", status: "withdrawn") == .withdrawn)
        #expect(PatientNextStep.clearanceDue(today).queue == .clearanceDue)
        #expect(PatientNextStep.followUp.queue == nil)
    }
}

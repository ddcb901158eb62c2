import CryoDomain
import Testing

@Suite("3+3 rules")
struct ThreePlusThreeTests {
    func facts(capacity: Int = 3, enrolled: Int = 3, treated: Int = 3, evaluable: Int = 3, dlt: Int, lower: (Int, Int)? = nil, higher: Bool = true) -> CohortFacts {
        CohortFacts(capacity: capacity, enrolled: enrolled, treated: treated, evaluable: evaluable, patientsWithDlt: dlt,
                    hasLowerDose: lower != nil, lowerDoseTreated: lower?.0 ?? 0, lowerDoseWithDlt: lower?.1 ?? 0, hasHigherDose: higher)
    }

    @Test("0 of 3 escalate; 1 of 3 expand to 6; at most 1 of 6 escalate")
    func escalation() {
        #expect(ThreePlusThree.recommend(facts(dlt: 0)).decision == .escalate)
        #expect(ThreePlusThree.recommend(facts(treated: 1, evaluable: 1, dlt: 1)).decision == .expand)
        #expect(ThreePlusThree.recommend(facts(capacity: 6, enrolled: 6, treated: 6, evaluable: 6, dlt: 1)).decision == .escalate)
        #expect(ThreePlusThree.recommend(facts(dlt: 0, higher: false)).decision == .stop)
    }

    @Test("2 or more stop: the dose below is the MTD when 6 were treated there, else de-escalate; none below: stop without MTD")
    func stopping() {
        let mtd = ThreePlusThree.recommend(facts(dlt: 2, lower: (6, 1)))
        #expect(mtd.decision == .stop && mtd.lowerDoseIsMTD)
        #expect(ThreePlusThree.recommend(facts(dlt: 2, lower: (3, 0))).decision == .deEscalate)
        let none = ThreePlusThree.recommend(facts(dlt: 2))
        #expect(none.decision == .stop && !none.lowerDoseIsMTD)
    }

    @Test("undecided: places open, or DLT windows running")
    func waiting() {
        #expect(ThreePlusThree.recommend(facts(enrolled: 2, treated: 2, evaluable: 2, dlt: 0)).decision == .enrol)
        #expect(ThreePlusThree.recommend(facts(treated: 3, evaluable: 1, dlt: 0)).decision == .observe)
        #expect(!CohortDecision.observe.isActionable && CohortDecision.expand.isActionable)
    }

    @Test("eligibility names the unanswered and unsatisfied items; per-kg doses scale with weight")
    func eligibilityAndDose() {
        let failing = Eligibility.failing(required: ["a", "b", "c"], answers: [.init(criterion: "a", satisfied: true), .init(criterion: "b", satisfied: false)])
        #expect(failing == ["b", "c"])
        #expect(DoseBasis.perKg.targetCells(doseCells: 1_000_000, weightKg: 72.5) == 72_500_000)
        #expect(DoseBasis.flat.targetCells(doseCells: 40_000_000, weightKg: 72.5) == 40_000_000)
    }
}

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
        #expect(ThreePlusThree.recommend(facts(dlt: 1)).decision == .expand)
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

    static let day0 = CalendarDay("2026-12-01")!
    /// A cohort on `today`: three (or `n`) patients dosed on day 0 with a 28-day window, DLTs for the subjects named.
    func facts(on today: CalendarDay, dosed n: Int = 3, capacity: Int = 3, dlts: Set<String>, dosedOn: [String: CalendarDay] = [:]) -> CohortFacts {
        let patients = (1...n).map { i in
            let s = "P-\(i)"
            return TreatedPatient(subjectId: s, dosedOn: dosedOn[s] ?? Self.day0, hadDlt: dlts.contains(s))
        }
        return CohortFacts(capacity: capacity, enrolled: n, dosed: patients, windowDays: 28, today: today,
                           hasLowerDose: false, hasHigherDose: true)
    }

    @Test("one DLT among three dosed the same day: observe while two windows run, naming them; expand only when all three are evaluable")
    func expandWaitsForEvaluable() {
        let early = facts(on: Self.day0.adding(days: 2), dlts: ["P-2"])
        #expect(early.evaluable == 1 && early.awaiting.map(\.subjectId) == ["P-1", "P-3"])
        let rec = ThreePlusThree.recommend(early)
        #expect(rec.decision == .observe)
        #expect(rec.rationale.contains("P-1 (ends 2026-12-29)") && rec.rationale.contains("P-3") && rec.rationale.contains("a second DLT stops"))
        // The window's last day still counts as inside it; the day after, everyone is evaluable.
        #expect(ThreePlusThree.recommend(facts(on: Self.day0.adding(days: 28), dlts: ["P-2"])).decision == .observe)
        #expect(ThreePlusThree.recommend(facts(on: Self.day0.adding(days: 29), dlts: ["P-2"])).decision == .expand)
    }

    @Test("two DLTs decide at once, whatever windows still run")
    func twoDltsDecideAtOnce() {
        let rec = ThreePlusThree.recommend(facts(on: Self.day0.adding(days: 3), dlts: ["P-1", "P-3"]))
        #expect(rec.decision == .stop && !rec.lowerDoseIsMTD)
    }

    @Test("escalate needs every patient of the step evaluable: 3, or 6 once expanded")
    func escalateWaitsForEvaluable() {
        #expect(ThreePlusThree.recommend(facts(on: Self.day0.adding(days: 10), dlts: [])).decision == .observe)
        #expect(ThreePlusThree.recommend(facts(on: Self.day0.adding(days: 29), dlts: [])).decision == .escalate)
        let late = Self.day0.adding(days: 20)
        let six = facts(on: Self.day0.adding(days: 40), dosed: 6, capacity: 6, dlts: ["P-2"], dosedOn: ["P-6": late])
        let waiting = ThreePlusThree.recommend(six)
        #expect(waiting.decision == .observe && waiting.rationale.contains("P-6 (ends 2027-01-18)"))
        #expect(ThreePlusThree.recommend(facts(on: late.adding(days: 29), dosed: 6, capacity: 6, dlts: ["P-2"], dosedOn: ["P-6": late])).decision == .escalate)
    }

    @Test("a DLT while places are still open: enrol, not expand")
    func openPlaces() {
        var f = facts(on: Self.day0.adding(days: 40), dosed: 2, dlts: ["P-1"])
        f.capacity = 3
        let rec = ThreePlusThree.recommend(f)
        #expect(rec.decision == .enrol && rec.rationale.contains("1 of 3 places to fill"))
    }

    @Test("eligibility names the unanswered and unsatisfied items; per-kg doses scale with weight")
    func eligibilityAndDose() {
        let failing = Eligibility.failing(required: ["a", "b", "c"], answers: [.init(criterion: "a", satisfied: true), .init(criterion: "b", satisfied: false)])
        #expect(failing == ["b", "c"])
        #expect(DoseBasis.perKg.targetCells(doseCells: 1_000_000, weightKg: 72.5) == 72_500_000)
        #expect(DoseBasis.flat.targetCells(doseCells: 40_000_000, weightKg: 72.5) == 40_000_000)
    }

    @Test("a checklist answer says whether the criterion applies: an exclusion that applies is not satisfied, an inclusion that applies is")
    func answerDirection() {
        #expect(!EligibilityAnswer(criterion: "no-active-infection", kind: "exclusion", applies: true).satisfied)
        #expect(EligibilityAnswer(criterion: "no-active-infection", kind: "exclusion", applies: false).satisfied)
        #expect(EligibilityAnswer(criterion: "age-18-to-under-70", kind: "inclusion", applies: true).satisfied)
        #expect(!EligibilityAnswer(criterion: "age-18-to-under-70", kind: "inclusion", applies: false).satisfied)
    }
}

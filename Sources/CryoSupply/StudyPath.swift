import CryoDomain

/// One study's dose path during a replication: the project's 3+3 engine decides each cohort, with DLTs drawn
/// at the planner's probabilities. The DLT window is assumed to close before the next patient is cleared.
struct StudyPath {
    private(set) var current: Int
    private(set) var open = true
    private(set) var escalating = true
    private var capacity: [Int], treated: [Int], dlts: [Int], failed: [Bool]
    private var cohorts: Int
    private let maxCohorts: Int, expand: Bool

    init(_ s: Model.Study) {
        let n = s.levels.count
        current = s.startLevel
        capacity = Array(repeating: 3, count: n); treated = Array(repeating: 0, count: n)
        dlts = Array(repeating: 0, count: n); failed = Array(repeating: false, count: n)
        // Levels below the open one were tolerated by 3.
        for l in 0..<s.startLevel { treated[l] = 3 }
        treated[current] = s.startTreated; dlts[current] = s.startDlts
        if s.startTreated > 3 { capacity[current] = 6 }
        cohorts = s.startLevel + 1
        maxCohorts = s.maxCohorts; expand = s.expand
    }

    /// A patient dosed at local level `level`.
    mutating func dosed(level: Int, dlt: Bool) {
        treated[level] += 1
        if dlt { dlts[level] += 1 }
        if escalating && level == current { decide() }
    }

    private mutating func decide() {
        let c = current
        guard treated[c] >= capacity[c] || dlts[c] >= 2 else { return }
        if dlts[c] >= 2 { failed[c] = true }
        let facts = CohortFacts(capacity: capacity[c], enrolled: treated[c], treated: treated[c], evaluable: treated[c],
                                patientsWithDlt: dlts[c], hasLowerDose: c > 0,
                                lowerDoseTreated: c > 0 ? treated[c - 1] : 0, lowerDoseWithDlt: c > 0 ? dlts[c - 1] : 0,
                                hasHigherDose: c + 1 < treated.count)
        let r = ThreePlusThree.recommend(facts)
        switch r.decision {
        case .expand:
            capacity[c] = 6
        case .escalate:
            if failed[c + 1] { end(at: c) }            // the dose above already failed: this one is the MTD
            else if cohorts >= maxCohorts { end(at: c) }
            else { current = c + 1; capacity[current] = 3; cohorts += 1 }
        case .deEscalate:
            if cohorts >= maxCohorts { end(at: c - 1) }
            else { current = c - 1; capacity[current] = 6; cohorts += 1 }
        case .stop:
            if r.lowerDoseIsMTD { end(at: c - 1) } else if dlts[c] >= 2 { end(at: nil) } else { end(at: c) }
        case .enrol, .observe:
            break
        }
    }

    private mutating func end(at level: Int?) {
        escalating = false
        if expand, let level { current = level } else { open = false }
    }
}

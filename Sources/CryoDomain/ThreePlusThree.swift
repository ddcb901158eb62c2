/// What the 3+3 rules of PRODUCT.md say a cohort should do next.
public enum CohortDecision: String, Sendable, Codable, CaseIterable {
    /// 0 of 3, or at most 1 of 6, patients had a DLT: open the next dose level.
    case escalate
    /// 1 of the first 3 had a DLT: treat 3 more at this dose.
    case expand
    /// 2 or more had a DLT and the dose below was tolerated by 6 (it is the maximum tolerated dose),
    /// or there is no dose below, or the highest dose was tolerated.
    case stop
    /// 2 or more had a DLT and the dose below has only 3 treated: expand the dose below to 6.
    case deEscalate = "de-escalate"
    /// Not decidable yet: places are still open.
    case enrol
    /// Not decidable yet: every place is taken, DLT windows are still running.
    case observe

    /// Decisions a clinician confirms with a signature; the others only say what is awaited.
    public var isActionable: Bool { ![.enrol, .observe].contains(self) }
}

extension CohortDecision: CustomStringConvertible { public var description: String { rawValue } }

/// A dosed patient of a cohort, as the 3+3 rules see them.
public struct TreatedPatient: Sendable, Equatable {
    public var subjectId: String
    /// The calendar day (UTC) of the infusion.
    public var dosedOn: CalendarDay
    public var hadDlt: Bool

    public init(subjectId: String, dosedOn: CalendarDay, hadDlt: Bool) {
        self.subjectId = subjectId; self.dosedOn = dosedOn; self.hadDlt = hadDlt
    }

    /// The last day of the DLT window: the window is complete the day after.
    public func windowEnds(windowDays: Int) -> CalendarDay { dosedOn.adding(days: windowDays) }

    /// Evaluable: had a DLT, or the DLT window completed without one.
    public func isEvaluable(windowDays: Int, today: CalendarDay) -> Bool {
        hadDlt || windowEnds(windowDays: windowDays) < today
    }
}

/// A treated patient still inside the DLT window.
public struct AwaitedWindow: Sendable, Equatable {
    public var subjectId: String
    public var windowEnds: CalendarDay
    public init(subjectId: String, windowEnds: CalendarDay) { self.subjectId = subjectId; self.windowEnds = windowEnds }
}

/// The facts of one cohort the rules need.
public struct CohortFacts: Sendable, Equatable {
    /// Places in the cohort: 3, or 6 once expanded.
    public var capacity: Int
    /// Enrolled and not withdrawn.
    public var enrolled: Int
    /// Dosed patients.
    public var treated: Int
    /// Dosed patients whose DLT window has closed, or who had a DLT.
    public var evaluable: Int
    /// Patients with at least one DLT.
    public var patientsWithDlt: Int
    public var hasLowerDose: Bool
    /// Treated patients and those with a DLT at the dose below, when there is one.
    public var lowerDoseTreated: Int
    public var lowerDoseWithDlt: Int
    public var hasHigherDose: Bool
    /// Treated patients not yet evaluable, with the last day of their DLT window, earliest first.
    public var awaiting: [AwaitedWindow]

    public init(capacity: Int, enrolled: Int, treated: Int, evaluable: Int, patientsWithDlt: Int,
                hasLowerDose: Bool, lowerDoseTreated: Int = 0, lowerDoseWithDlt: Int = 0, hasHigherDose: Bool,
                awaiting: [AwaitedWindow] = []) {
        self.capacity = capacity; self.enrolled = enrolled; self.treated = treated; self.evaluable = evaluable
        self.patientsWithDlt = patientsWithDlt; self.hasLowerDose = hasLowerDose; self.lowerDoseTreated = lowerDoseTreated
        self.lowerDoseWithDlt = lowerDoseWithDlt; self.hasHigherDose = hasHigherDose; self.awaiting = awaiting
    }

    /// The facts on `today`, from the cohort's dosed patients and the study's DLT window.
    public init(capacity: Int, enrolled: Int, dosed: [TreatedPatient], windowDays: Int, today: CalendarDay,
                hasLowerDose: Bool, lowerDoseTreated: Int = 0, lowerDoseWithDlt: Int = 0, hasHigherDose: Bool) {
        let pending = dosed.filter { !$0.isEvaluable(windowDays: windowDays, today: today) }
            .map { AwaitedWindow(subjectId: $0.subjectId, windowEnds: $0.windowEnds(windowDays: windowDays)) }
            .sorted { ($0.windowEnds, $0.subjectId) < ($1.windowEnds, $1.subjectId) }
        self.init(capacity: capacity, enrolled: enrolled, treated: dosed.count, evaluable: dosed.count - pending.count,
                  patientsWithDlt: dosed.filter(\.hadDlt).count, hasLowerDose: hasLowerDose, lowerDoseTreated: lowerDoseTreated,
                  lowerDoseWithDlt: lowerDoseWithDlt, hasHigherDose: hasHigherDose, awaiting: pending)
    }

    /// Every patient of the current step (3, or 6) is evaluable.
    var stepEvaluable: Bool { capacity > 0 && treated >= capacity && evaluable >= capacity }

    /// What the engine waits for, in words.
    var waitingFor: String {
        var parts: [String] = []
        if enrolled < capacity { parts.append("\(capacity - enrolled) of \(capacity) places to fill") }
        let undosed = enrolled - treated
        if undosed > 0 { parts.append("\(undosed) enrolled patient\(undosed == 1 ? "" : "s") to be dosed") }
        if !awaiting.isEmpty {
            parts.append("the DLT window" + (awaiting.count == 1 ? " of " : "s of ")
                         + awaiting.map { "\($0.subjectId) (ends \($0.windowEnds))" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "the DLT windows to close" : parts.joined(separator: "; ")
    }
}

public struct CohortRecommendation: Sendable, Equatable {
    public var decision: CohortDecision
    public var rationale: String
    /// For `stop`: whether the dose below is declared the maximum tolerated dose.
    public var lowerDoseIsMTD: Bool

    public init(decision: CohortDecision, rationale: String, lowerDoseIsMTD: Bool) {
        self.decision = decision; self.rationale = rationale; self.lowerDoseIsMTD = lowerDoseIsMTD
    }
}

/// The modified 3+3 design: 3 patients; 0/3 with a DLT escalate, 1/3 expand to 6, at most 1/6 escalate,
/// 2 or more stop with the dose below as the maximum tolerated dose (de-escalating first when the dose
/// below has only 3 treated). It decides on evaluable patients only: 2 DLTs decide at once (nothing the
/// others show can undo them), but expand and escalate wait until every patient of the step is evaluable,
/// since a second DLT among those still inside their window would mean stop.
public enum ThreePlusThree {
    public static func recommend(_ f: CohortFacts) -> CohortRecommendation {
        let dlt = f.patientsWithDlt
        if dlt >= 2 {
            if !f.hasLowerDose {
                return .init(decision: .stop, rationale: "\(dlt) of \(f.treated) treated had a DLT at the lowest dose; no dose is tolerated", lowerDoseIsMTD: false)
            }
            if f.lowerDoseTreated >= 6 && f.lowerDoseWithDlt <= 1 {
                return .init(decision: .stop, rationale: "\(dlt) of \(f.treated) treated had a DLT; the dose below (\(f.lowerDoseWithDlt) of \(f.lowerDoseTreated)) is the maximum tolerated dose", lowerDoseIsMTD: true)
            }
            return .init(decision: .deEscalate, rationale: "\(dlt) of \(f.treated) treated had a DLT; the dose below has \(f.lowerDoseTreated) treated and is expanded to 6", lowerDoseIsMTD: false)
        }
        if f.stepEvaluable {
            if dlt == 1 && f.capacity == 3 {
                return .init(decision: .expand, rationale: "1 of the first 3 had a DLT: treat 3 more at this dose", lowerDoseIsMTD: false)
            }
            if f.hasHigherDose {
                return .init(decision: .escalate, rationale: "\(dlt) of \(f.evaluable) evaluable patients had a DLT: open the next dose level", lowerDoseIsMTD: false)
            }
            return .init(decision: .stop, rationale: "\(dlt) of \(f.evaluable) evaluable patients had a DLT at the highest dose; the maximum tolerated dose was not reached", lowerDoseIsMTD: false)
        }
        let next = switch (dlt, f.capacity) {
        case (1, 3): "a second DLT stops this dose; none expands it to 6"
        case (1, _): "a second DLT stops this dose; none escalates"
        case (_, 3): "no DLT escalates; one expands to 6"
        default: "at most one DLT escalates"
        }
        let status = "\(f.evaluable) of \(f.capacity) evaluable, \(dlt) DLT so far; waiting for \(f.waitingFor) (\(next))"
        return .init(decision: f.enrolled < f.capacity ? .enrol : .observe, rationale: status, lowerDoseIsMTD: false)
    }
}

/// One answer of a patient's eligibility checklist.
public struct EligibilityAnswer: Sendable, Equatable {
    public var criterion: String
    public var satisfied: Bool
    public init(criterion: String, satisfied: Bool) { self.criterion = criterion; self.satisfied = satisfied }

    /// An answer to "does what the criterion says apply to the patient?": an inclusion criterion is satisfied
    /// when it applies, an exclusion criterion when it does not.
    public init(criterion: String, kind: String, applies: Bool) {
        self.init(criterion: criterion, satisfied: kind == "exclusion" ? !applies : applies)
    }
}

public enum Eligibility {
    /// The criteria that block enrolment: unanswered or not satisfied, in the study's order.
    public static func failing(required: [String], answers: [EligibilityAnswer]) -> [String] {
        let byCode = Dictionary(answers.map { ($0.criterion, $0.satisfied) }, uniquingKeysWith: { a, _ in a })
        return required.filter { byCode[$0] != true }
    }
}

public enum DoseBasis: String, Sendable, Codable, CaseIterable {
    case flat, perKg = "per-kg"

    /// Target CAR+ cells for a patient: a flat dose, or cells per kg times the body weight.
    public func targetCells(doseCells: Int64, weightKg: Double) -> Int64 {
        switch self {
        case .flat: return doseCells
        case .perKg: return Int64((Double(doseCells) * weightKg).rounded())
        }
    }
}

public enum Lymphodepletion: String, Sendable, Codable, CaseIterable {
    case fluCy = "flu-cy", cy, none
}

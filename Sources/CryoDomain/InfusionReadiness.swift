/// The agents of an arm's lymphodepletion, each given on every day of the regimen.
public enum LymphodepletionAgent: String, Sendable, Codable, CaseIterable {
    case fludarabine, cyclophosphamide
}

extension Lymphodepletion {
    /// The agents the arm's regimen gives: Flu/Cy both, Cy alone cyclophosphamide, none nothing.
    public var agents: [LymphodepletionAgent] {
        switch self {
        case .fluCy: [.fludarabine, .cyclophosphamide]
        case .cy: [.cyclophosphamide]
        case .none: []
        }
    }

    /// Days of the regimen, from the patient's planned lymphodepletion start (days -5 to -3 of the seeds' protocols).
    public static let regimenDays = 3

    public var spoken: String {
        switch self {
        case .fluCy: "Flu/Cy"
        case .cy: "Cy alone"
        case .none: "none"
        }
    }
}

/// One agent given on one day, as clinical staff recorded it.
public struct LymphodepletionDose: Sendable, Hashable {
    public var agent: LymphodepletionAgent
    public var givenOn: CalendarDay
    public init(agent: LymphodepletionAgent, givenOn: CalendarDay) { self.agent = agent; self.givenOn = givenOn }
}

/// What the readiness decision needs to know about a patient, read at one moment (`today` from the database's clock, UTC).
public struct ReadinessFacts: Sendable, Equatable {
    public var subjectId: String
    public var lymphodepletion: Lymphodepletion
    public var ldStartOn: CalendarDay?
    public var plannedInfusionOn: CalendarDay
    /// The latest recorded reschedule, if any: it replaces the planned day.
    public var rescheduledTo: CalendarDay?
    public var dosesGiven: [LymphodepletionDose]
    /// Days with a signed pre-infusion clearance.
    public var clearedOn: [CalendarDay]
    public var today: CalendarDay

    public init(subjectId: String, lymphodepletion: Lymphodepletion, ldStartOn: CalendarDay?, plannedInfusionOn: CalendarDay,
                rescheduledTo: CalendarDay?, dosesGiven: [LymphodepletionDose], clearedOn: [CalendarDay], today: CalendarDay) {
        self.subjectId = subjectId; self.lymphodepletion = lymphodepletion; self.ldStartOn = ldStartOn
        self.plannedInfusionOn = plannedInfusionOn; self.rescheduledTo = rescheduledTo; self.dosesGiven = dosesGiven
        self.clearedOn = clearedOn; self.today = today
    }
}

/// Rule 8: a dose is thawed (and administered) only for a patient ready today: today is the planned or rescheduled
/// infusion day, the arm's lymphodepletion was given as planned, and a signed clearance exists for today.
/// Database twin: `infusion_readiness(subject)` (037), same checks in the same order, same sentences.
public enum InfusionReadiness {
    /// The day the infusion is due: the latest reschedule, else the day planned at enrolment.
    public static func infusionDay(planned: CalendarDay, rescheduledTo: CalendarDay?) -> CalendarDay { rescheduledTo ?? planned }

    /// The doses the arm plans: each agent on each regimen day from the planned start.
    public static func plannedDoses(_ arm: Lymphodepletion, startOn: CalendarDay?) -> [LymphodepletionDose] {
        guard let startOn else { return [] }
        return (0..<Lymphodepletion.regimenDays).flatMap { d in arm.agents.map { LymphodepletionDose(agent: $0, givenOn: startOn.adding(days: d)) } }
    }

    /// Planned doses not recorded as given, in day then agent order.
    public static func missingDoses(_ f: ReadinessFacts) -> [LymphodepletionDose] {
        let given = Set(f.dosesGiven)
        return plannedDoses(f.lymphodepletion, startOn: f.ldStartOn).filter { !given.contains($0) }
    }

    /// Why the patient is not ready today, or nil when ready.
    public static func refusal(_ f: ReadinessFacts) -> String? {
        let day = infusionDay(planned: f.plannedInfusionOn, rescheduledTo: f.rescheduledTo)
        if day != f.today {
            let which = f.rescheduledTo == nil ? "planned" : "rescheduled"
            return "patient \(f.subjectId)'s infusion is \(which) for \(day), not today (\(f.today)); thaw on that day or record a rescheduled day with its reason"
        }
        let missing = missingDoses(f)
        if !missing.isEmpty {
            let list = missing.map { "\($0.agent.rawValue) on \($0.givenOn)" }.joined(separator: ", ")
            return "patient \(f.subjectId)'s lymphodepletion (\(f.lymphodepletion.spoken)) is not recorded as given as planned: missing \(list)"
        }
        if !f.clearedOn.contains(f.today) {
            return "patient \(f.subjectId) has no signed pre-infusion clearance for today (\(f.today))"
        }
        return nil
    }

    public static func check(_ f: ReadinessFacts) throws(DomainError) {
        if let why = refusal(f) { throw .conflict(field: "subjectId", rule: why) }
    }

    /// The clearance checklist every arm has; an arm may add items of its own (`study_arm.clearance_items`).
    public static let minimumClearanceItems = [
        "lymphodepletion completed as planned", "no active infection", "vital signs within limits",
    ]

    /// A clearance confirms every item of the arm's checklist, and nothing else.
    public static func checkClearance(required: [String], confirmed: [String]) throws(DomainError) {
        if let stray = confirmed.first(where: { !required.contains($0) }) {
            throw .invalid(field: "items", rule: "'\(stray)' is not an item of this arm's pre-infusion checklist (\(required.joined(separator: "; ")))")
        }
        let missing = required.filter { !confirmed.contains($0) }
        if !missing.isEmpty {
            throw .conflict(field: "items", rule: "the patient is cleared for infusion only when every checklist item is confirmed; not confirmed: \(missing.joined(separator: "; "))")
        }
    }

    /// A lymphodepletion dose is recorded for an agent of the arm, on one of its planned days, not in the future.
    public static func checkDose(_ arm: Lymphodepletion, startOn: CalendarDay?, dose: LymphodepletionDose, today: CalendarDay) throws(DomainError) {
        guard arm != .none else { throw .conflict(field: "agent", rule: "the patient's arm has no lymphodepletion") }
        guard arm.agents.contains(dose.agent) else {
            throw .invalid(field: "agent", rule: "\(dose.agent.rawValue) is not part of this arm's lymphodepletion (\(arm.agents.map(\.rawValue).joined(separator: ", ")))")
        }
        let planned = plannedDoses(arm, startOn: startOn).map(\.givenOn)
        guard planned.contains(dose.givenOn) else {
            throw .invalid(field: "givenOn", rule: "\(dose.givenOn) is not a planned lymphodepletion day (\(Set(planned).sorted().map(\.description).joined(separator: ", ")))")
        }
        guard dose.givenOn <= today else { throw .invalid(field: "givenOn", rule: "a dose is recorded once given, not before (\(dose.givenOn) is after today)") }
    }

    /// A new infusion day: today or later, after the last lymphodepletion day, with a reason; not once a dose is thawed.
    public static func checkReschedule(to day: CalendarDay, reason: String, ldStartOn: CalendarDay?, today: CalendarDay, thawedVial: String?) throws(DomainError) {
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "a reschedule needs a reason (at most 500 characters)")
        guard day >= today else { throw .invalid(field: "infusionOn", rule: "the new infusion day \(day) is in the past") }
        if let start = ldStartOn, day <= start.adding(days: Lymphodepletion.regimenDays - 1) {
            throw .invalid(field: "infusionOn", rule: "the infusion follows lymphodepletion; the last planned lymphodepletion day is \(start.adding(days: Lymphodepletion.regimenDays - 1))")
        }
        if let thawedVial { throw .conflict(field: "infusionOn", rule: "vial \(thawedVial) is already thawed for this patient; a thawed dose cannot wait for another day") }
    }
}

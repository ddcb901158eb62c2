/// What comes next for an enrolled patient, from the dates on record: the clinic's work list and the patient
/// list both read it from here.
public enum PatientNextStep: Equatable, Sendable {
    case lymphodepletionDue(CalendarDay)
    case awaitingLymphodepletion(CalendarDay)
    case awaitingInfusion(CalendarDay)
    case clearanceDue(CalendarDay)
    case infusionToday
    case infusionPassed(CalendarDay)
    case dltWindowOpen(until: CalendarDay)
    case followUp
    case withdrawn

    /// Lymphodepletion and clearance are "due" on their day and the day before (time to prepare).
    public static func decide(status: String, ldStartOn: CalendarDay?, infusionOn: CalendarDay, dosedOn: CalendarDay?,
                              dltWindowDays: Int, clearedToday: Bool, today: CalendarDay) -> PatientNextStep {
        if status == "withdrawn" { return .withdrawn }
        if let dosedOn {
            let ends = dosedOn.adding(days: dltWindowDays)
            return ends >= today ? .dltWindowOpen(until: ends) : .followUp
        }
        if let ld = ldStartOn, ld >= today {
            return ld - today <= 1 ? .lymphodepletionDue(ld) : .awaitingLymphodepletion(ld)
        }
        if infusionOn < today { return .infusionPassed(infusionOn) }
        if infusionOn == today { return clearedToday ? .infusionToday : .clearanceDue(infusionOn) }
        return infusionOn - today <= 1 ? .clearanceDue(infusionOn) : .awaitingInfusion(infusionOn)
    }

    /// The step in words, for the patient list.
    public var sentence: String {
        switch self {
        case .lymphodepletionDue(let d): "Lymphodepletion due (starts \(d))"
        case .awaitingLymphodepletion(let d): "Lymphodepletion starts \(d)"
        case .awaitingInfusion(let d): "Infusion planned for \(d)"
        case .clearanceDue(let d): "Clearance due for infusion on \(d)"
        case .infusionToday: "Cleared: infusion today"
        case .infusionPassed(let d): "Infusion day \(d) has passed without a dose: reschedule"
        case .dltWindowOpen(let until): "Dosed; DLT window open until \(until)"
        case .followUp: "Dosed; in follow-up"
        case .withdrawn: "Withdrawn"
        }
    }

    /// The clinic's work queue for this step, if it is work today.
    public var queue: WorkQueue? {
        switch self {
        case .lymphodepletionDue: .lymphodepletionDue
        case .clearanceDue: .clearanceDue
        case .infusionToday: .infusionToday
        case .dltWindowOpen: .dltWindowOpen
        default: nil
        }
    }
}

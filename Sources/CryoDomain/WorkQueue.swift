/// The queues of the console's work list: each answers "what do I do today?" for the roles that may do the work,
/// decided by the same actions as the operation table (`OperationAccess`), so a role never sees work it may not do.
public enum WorkQueue: String, Sendable, CaseIterable {
    // manufacturing
    case lotsInProcess, vialsUnplaced, boxesNearlyFull
    // QC and QA
    case lotsAwaitingResults, lotsReadyForDisposition, holdsToReview
    // pharmacy
    case dosesSoon, plansToCommit, shipmentsInTransit
    // clinical
    case lymphodepletionDue, clearanceDue, infusionToday, dltWindowOpen, cohortDecisionsDue
    // auditor: read-only work
    case recentSignedEvents, auditVerification
    // admin
    case lockedUsers, usersIdle

    /// The action whose roles do this work.
    public var action: Action {
        switch self {
        case .lotsInProcess: .advanceLotManufacturing
        case .vialsUnplaced, .boxesNearlyFull: .placeVial
        case .lotsAwaitingResults: .recordQc
        case .lotsReadyForDisposition: .dispositionLot
        case .holdsToReview: .manageHolds
        case .dosesSoon, .shipmentsInTransit: .dispense
        case .plansToCommit: .allocate
        case .lymphodepletionDue, .clearanceDue, .infusionToday, .dltWindowOpen: .recordDlt
        case .cohortDecisionsDue: .decideCohort
        case .recentSignedEvents, .auditVerification: .readCustody
        case .lockedUsers, .usersIdle: .manageUsers
        }
    }

    /// Read-only queues are the work of roles that change nothing (the auditor); the others see their own work.
    var isReadOnly: Bool { [.recentSignedEvents, .auditVerification].contains(self) }

    /// The queues of `role`'s work list, in order.
    public static func queues(for role: Role) -> [WorkQueue] {
        let changesNothing = Action.allCases.allSatisfy { !role.may($0) || $0.isRead }
        return allCases.filter { role.may($0.action) && $0.isReadOnly == changesNothing }
    }

    /// Users who have not signed in for this many days are listed for the administrator to review.
    public static let idleDays = 90
    /// A box with this many free places or fewer is nearly full.
    public static let nearlyFullFreePlaces = 9
}

extension Action {
    /// Reading changes nothing (records and custody: every role; supply forecasts: their planners and the auditor).
    public var isRead: Bool { self == .readInventory || self == .readCustody || self == .readSupplyForecasts }
}

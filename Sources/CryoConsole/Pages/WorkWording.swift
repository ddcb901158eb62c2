import CryoDomain
import CryoStore
import Foundation

/// The work list in words: what each queue is, what to do about it, and each line as a sentence with its link.
enum WorkWording {
    static func heading(_ q: WorkQueue) -> String {
        switch q {
        case .lotsInProcess: "Lots in process"
        case .vialsUnplaced: "Vials not yet in storage"
        case .boxesNearlyFull: "Boxes nearly full"
        case .lotsAwaitingResults: "Lots awaiting QC results"
        case .lotsReadyForDisposition: "Lots ready for disposition"
        case .holdsToReview: "Holds to review"
        case .dosesSoon: "Doses today and tomorrow, by site"
        case .plansToCommit: "Plans to commit"
        case .shipmentsInTransit: "Shipments in transit"
        case .lymphodepletionDue: "Lymphodepletion due"
        case .clearanceDue: "Clearance due"
        case .infusionToday: "Infusion today"
        case .dltWindowOpen: "DLT window open"
        case .cohortDecisionsDue: "Cohort decisions due"
        case .recentSignedEvents: "Recent signed events"
        case .auditVerification: "Audit trail verification"
        case .lockedUsers: "Locked users"
        case .usersIdle: "No sign-in for \(WorkQueue.idleDays) days"
        }
    }

    static func explanation(_ q: WorkQueue) -> String {
        switch q {
        case .lotsInProcess: "Create the vials, then complete the run to send the lot to quarantine."
        case .vialsUnplaced: "Put these vials into a box position."
        case .boxesNearlyFull: "At most \(WorkQueue.nearlyFullFreePlaces) free places left: prepare the next box."
        case .lotsAwaitingResults: "Record the missing results against the specification."
        case .lotsReadyForDisposition: "Every specified test is recorded: release or reject."
        case .holdsToReview: "Active holds: lift (signed) once the cause is resolved."
        case .dosesSoon: "Patients whose infusion is today or tomorrow, with the vials reserved for them."
        case .plansToCommit: "Plans of the last 7 days from which nothing has been committed yet."
        case .shipmentsInTransit: "Dispatched and not yet received."
        case .lymphodepletionDue: "Lymphodepletion starts today or tomorrow."
        case .clearanceDue: "Infusion today or tomorrow: the patient needs a signed clearance on the day."
        case .infusionToday: "Cleared today: the dose may be thawed and given."
        case .dltWindowOpen: "Dosed patients still inside the dose-limiting toxicity window."
        case .cohortDecisionsDue: "The 3+3 rules call for a signed decision."
        case .recentSignedEvents: "The last 20 electronic signatures, with their meaning."
        case .auditVerification: "The latest sealed checkpoint. Verify the whole trail, or export a report from the Audit page."
        case .lockedUsers: "Locked after repeated wrong signature passwords: unlock once the user is identified."
        case .usersIdle: "Active accounts not used for a long time: deactivate those no longer needed."
        }
    }

    static func empty(_ q: WorkQueue) -> String {
        switch q {
        case .auditVerification: "No checkpoint has been sealed yet."
        default: "Nothing waiting."
        }
    }

    static func line(_ q: WorkQueue, _ i: WorkItem) -> WorkListPage.Line {
        let count = i.count ?? 0, total = i.total ?? 0
        switch q {
        case .lotsInProcess:
            return .init(text: i.subject, href: "/console/lots/\(i.subject)",
                         detail: "\(i.note ?? ""), made \(i.day ?? "—"): \(count) of \(total) vials created")
        case .vialsUnplaced:
            return .init(text: i.subject, href: "/console/lots/\(i.subject)", detail: "\(plural(count, "vial")) not in storage (first: \(i.note ?? "—"))")
        case .boxesNearlyFull:
            return .init(text: "Box \(i.note ?? i.subject)", href: i.site.map { "/console/freezers/\($0)" },
                         detail: "\(i.subject) in \(i.site ?? "—"): \(count) of \(total) places used, \(plural(total - count, "free place"))")
        case .lotsAwaitingResults:
            return .init(text: i.subject, href: "/console/lots/\(i.subject)/qc",
                         detail: "\(count) of \(total) tests recorded; missing: \(i.note ?? "—")")
        case .lotsReadyForDisposition:
            return .init(text: i.subject, href: "/console/release/\(i.subject)", detail: "all \(plural(total, "test")) recorded, made \(i.day ?? "—")")
        case .holdsToReview:
            let parts = i.subject.split(separator: " ", maxSplits: 1).map(String.init)
            let href: String? = switch parts.first {
            case "lot": "/console/lots/\(parts[1])"
            case "vial": "/console/vials/\(parts[1])"
            case "freezer": "/console/freezers/\(parts[1])"
            case "donor": "/console/donors/\(parts[1])"
            default: nil
            }
            return .init(text: i.subject.prefix(1).uppercased() + i.subject.dropFirst(), href: href, detail: "since \(i.day ?? "—"): \(i.note ?? "")")
        case .dosesSoon:
            return .init(text: i.subject, href: "/console/patients#\(i.subject)", detail: "\(i.site ?? "—"), infusion \(i.day ?? "—"): \(i.note ?? "")")
        case .plansToCommit:
            return .init(text: "Plan as of \(i.day ?? "—")", href: "/console/pharmacy/plans/\(i.subject)",
                         detail: "\(plural(count, "patient")) assigned, made by \(i.note ?? "—")")
        case .shipmentsInTransit:
            return .init(text: i.subject, href: "/console/pharmacy/shipments/\(i.subject)",
                         detail: "\(plural(count, "vial")) from \(i.note ?? "—") to \(i.site ?? "—"), expected \(i.day ?? "—") UTC")
        case .lymphodepletionDue, .clearanceDue, .infusionToday, .dltWindowOpen:
            return .init(text: i.subject, href: "/console/patients#\(i.subject)", detail: "\(i.site ?? "—"): \(i.note ?? "")")
        case .cohortDecisionsDue:
            return .init(text: i.subject, href: "/console/cohorts/\(i.subject)", detail: "\(count) of \(total) treated had a DLT; \(i.note ?? "")")
        case .recentSignedEvents:
            let parts = (i.note ?? "").split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let what = EventSentences.sentence(for: parts.first ?? "")
            let meaning = parts.count > 1 && !parts[1].isEmpty ? " (meaning: \(parts[1]))" : ""
            return .init(text: what, href: nil, detail: "\(i.subject), signed by \(i.site ?? "—") at \(i.day ?? "—") UTC\(meaning)")
        case .auditVerification:
            return .init(text: "Checkpoint sealed \(i.day ?? "—") UTC", href: "/console/audit/verify",
                         detail: "covers \(plural(count, "event")) of \(total) (key \(i.subject)); verify the trail now")
        case .lockedUsers:
            return .init(text: i.subject, href: "/console/users#user-\(i.note ?? "")", detail: "\(i.site ?? "—"), locked at \(i.day ?? "—") UTC")
        case .usersIdle:
            return .init(text: i.subject, href: "/console/users#user-\(i.note ?? "")",
                         detail: "\(i.site ?? "—"), " + (i.day.map { "last signed in \($0)" } ?? "never signed in to the console"))
        }
    }

    static func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
}

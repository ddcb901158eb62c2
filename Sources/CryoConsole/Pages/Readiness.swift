import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// Rule 8 on the bedside and pharmacy pages: the planned (or rescheduled) infusion day, the lymphodepletion planned and
/// given, the signed clearance, and whether the patient is ready today; clinical staff record each here.
extension Console {
    static let clearanceMeaning = "patient cleared for infusion"

    func registerReadiness<Context: RequestContext>(_ group: RouterGroup<Context>) {
        group.post("bedside/lymphodepletion") { request, _ in try await self.recordLymphodepletion(request) }
        group.post("bedside/clearance") { request, _ in try await self.clearForInfusion(request) }
        group.post("bedside/reschedule") { request, _ in try await self.rescheduleInfusion(request) }
    }

    /// What the `readiness` partial shows; `mayPrepare` adds clinical staff's forms.
    static func readinessView(_ r: InfusionReadinessRecord, mayPrepare: Bool = false) -> [String: Any] {
        let given = Set(r.dosesGiven.map { "\($0.agent)@\($0.givenOn)" })
        let today = r.clearances.first { $0.clearedOn == r.today }
        return [
            "subject": r.subjectId, "infusionOn": r.infusionOn, "plannedInfusionOn": r.plannedInfusionOn,
            "rescheduled": r.infusionOn != r.plannedInfusionOn || !r.reschedules.isEmpty, "today": r.today, "isToday": r.infusionOn == r.today,
            "arm": r.lymphodepletion.spoken, "hasLymphodepletion": !r.plannedDoses.isEmpty, "ldStartOn": r.ldStartOn ?? "",
            "doses": r.plannedDoses.map { d in
                let rec = r.dosesGiven.first { $0.agent == d.agent && $0.givenOn == d.givenOn }
                return ["agent": d.agent, "givenOn": d.givenOn, "given": given.contains("\(d.agent)@\(d.givenOn)"),
                        "recordedBy": rec?.recordedBy ?? "", "recordable": mayPrepare && rec == nil && d.givenOn <= r.today] as [String: Any]
            },
            "clearance": today.map { ["signedBy": $0.signedBy, "signedAt": timestamp($0.signedAt), "items": $0.items.joined(separator: "; ")] } as Any,
            "items": r.clearanceItems.enumerated().map { ["n": $0.offset, "text": $0.element] },
            "reschedules": r.reschedules.map { ["from": $0.fromOn, "to": $0.toOn, "reason": $0.reason, "by": $0.recordedBy] },
            "ready": r.ready, "notReady": r.notReady as Any, "mayPrepare": mayPrepare, "mayClear": mayPrepare && today == nil,
            "sign": Signing.context(meaning: clearanceMeaning, id: "clear-\(r.subjectId)", action: "clear \(r.subjectId) for infusion today"),
        ]
    }

    func recordLymphodepletion(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = form["subjectId"] ?? ""
        do {
            _ = try await store.recordLymphodepletion(subjectId: subject, agent: form["agent"] ?? "",
                                                      givenOn: try CalendarDay(parsing: form["givenOn"] ?? "", field: "givenOn"), actor: user, logger: logger)
            return try await bedsidePage(done: "recorded \(form["agent"] ?? "") given to \(subject) on \(form["givenOn"] ?? "")")
        } catch let error as DomainError {
            return try await bedsidePage(readinessMessage: (subject, error.description), status: Self.refusalStatus(error))
        }
    }

    func clearForInfusion(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = form["subjectId"] ?? ""
        let items = form.filter { $0.key.hasPrefix("item:") && $0.value == "yes" }.compactMap { Int($0.key.dropFirst(5)) }.sorted()
        do {
            let checklist = try await store.infusionReadiness(subjectId: subject, actor: user, logger: logger).clearanceItems
            let confirmed = items.filter { checklist.indices.contains($0) }.map { checklist[$0] }
            _ = try await store.clearForInfusion(subjectId: subject, items: confirmed, signature: Signing.input(form, meaning: Self.clearanceMeaning),
                                                 actor: user, logger: logger)
            return try await bedsidePage(done: "\(subject) cleared for infusion today; signed by \(user.name)")
        } catch let error as DomainError {
            return try await bedsidePage(readinessMessage: (subject, error.description), status: Self.refusalStatus(error))
        }
    }

    func rescheduleInfusion(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let subject = form["subjectId"] ?? ""
        do {
            let r = try await store.rescheduleInfusion(subjectId: subject, to: try CalendarDay(parsing: form["infusionOn"] ?? "", field: "infusionOn"),
                                                       reason: form["reason"] ?? "", actor: user, logger: logger)
            return try await bedsidePage(done: "\(subject)'s infusion rescheduled to \(r.infusionOn)")
        } catch let error as DomainError {
            return try await bedsidePage(readinessMessage: (subject, error.description), status: Self.refusalStatus(error))
        }
    }
}

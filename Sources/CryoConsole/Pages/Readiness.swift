import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// Recording a planned lymphodepletion dose as given.
struct LymphodepletionForm: Decodable, Sendable {
    var subjectId: String?
    var agent: String?
    var givenOn: String?
}

/// The signed pre-infusion clearance: the checklist items confirmed (`item:N`, read by the controller) and the password.
struct ClearanceForm: Decodable, Sendable {
    var subjectId: String?
    var signaturePassword: String?
    var items: [Int] = []
    enum CodingKeys: String, CodingKey { case subjectId, signaturePassword }
}

/// Moving the infusion to another day, with the reason.
struct RescheduleForm: Decodable, Sendable {
    var subjectId: String?
    var infusionOn: String?
    var reason: String?
}

/// Rule 8 as the `readiness` partial shows it: the planned (or rescheduled) infusion day, the lymphodepletion planned and
/// given, the signed clearance, and whether the patient is ready today; with clinical staff's forms when `mayPrepare`.
struct ReadinessView: Sendable {
    struct Dose: Sendable { let agent: String, givenOn: String, given: Bool, recordedBy: String, recordable: Bool }
    struct Clearance: Sendable { let signedBy: String, signedAt: String, items: String }
    struct Item: Sendable { let n: Int, text: String, checked: Bool }
    struct Reschedule: Sendable { let from: String, to: String, reason: String, by: String }
    let subject: String, infusionOn: String, plannedInfusionOn: String, today: String
    let rescheduled: Bool, isToday: Bool
    let arm: String, hasLymphodepletion: Bool, ldStartOn: String
    let doses: [Dose]
    let clearance: Clearance?
    let items: [Item]
    let reschedules: [Reschedule]
    let ready: Bool, notReady: String?
    let mayPrepare: Bool, mayClear: Bool
    let sign: SignatureView
    /// What a refused form of this patient entered, kept, and the refusal beside it.
    let rescheduleDay: String, rescheduleReason: String
    let ldError: String?, clearError: String?, rescheduleError: String?

    init(_ r: InfusionReadinessRecord, mayPrepare: Bool = false, refused: (form: ReadinessForm, refusal: Refusal)? = nil) {
        let today = r.clearances.first { $0.clearedOn == r.today }
        let kept = refused.flatMap { $0.form.subject == r.subjectId ? $0 : nil }
        subject = r.subjectId; infusionOn = r.infusionOn; plannedInfusionOn = r.plannedInfusionOn; self.today = r.today
        rescheduled = r.infusionOn != r.plannedInfusionOn || !r.reschedules.isEmpty; isToday = r.infusionOn == r.today
        arm = r.lymphodepletion.spoken; hasLymphodepletion = !r.plannedDoses.isEmpty; ldStartOn = r.ldStartOn ?? ""
        doses = r.plannedDoses.map { d in
            let rec = r.dosesGiven.first { $0.agent == d.agent && $0.givenOn == d.givenOn }
            return Dose(agent: d.agent, givenOn: d.givenOn, given: rec != nil, recordedBy: rec?.recordedBy ?? "",
                        recordable: mayPrepare && rec == nil && d.givenOn <= r.today)
        }
        clearance = today.map { Clearance(signedBy: $0.signedBy, signedAt: Console.timestamp($0.signedAt), items: $0.items.joined(separator: "; ")) }
        let ticked: [Int] = if case .clearance(let form)? = kept?.form { form.items } else { [] }
        items = r.clearanceItems.enumerated().map { Item(n: $0.offset, text: $0.element, checked: ticked.contains($0.offset)) }
        reschedules = r.reschedules.map { Reschedule(from: $0.fromOn, to: $0.toOn, reason: $0.reason, by: $0.recordedBy) }
        ready = r.ready; notReady = r.notReady; self.mayPrepare = mayPrepare; mayClear = mayPrepare && today == nil
        sign = SignatureView(signMeaning: Console.clearanceMeaning, signId: "clear-\(r.subjectId)", signAction: "clear \(r.subjectId) for infusion today")
        if case .reschedule(let form)? = kept?.form {
            rescheduleDay = form.infusionOn ?? ""; rescheduleReason = form.reason ?? ""
        } else {
            rescheduleDay = ""; rescheduleReason = ""
        }
        let message = kept?.refusal.items.first?.message
        ldError = kept?.form.kind == "ld" ? message : nil
        clearError = kept?.form.kind == "clear" ? message : nil
        rescheduleError = kept?.form.kind == "reschedule" ? message : nil
    }
}

/// Which readiness form of which patient was refused, with what it sent.
enum ReadinessForm: Sendable {
    case lymphodepletion(LymphodepletionForm), clearance(ClearanceForm), reschedule(RescheduleForm)

    var subject: String {
        switch self {
        case .lymphodepletion(let f): f.subjectId ?? ""
        case .clearance(let f): f.subjectId ?? ""
        case .reschedule(let f): f.subjectId ?? ""
        }
    }

    var kind: String {
        switch self {
        case .lymphodepletion: "ld"
        case .clearance: "clear"
        case .reschedule: "reschedule"
        }
    }

    /// Each field's input on the bedside page, by patient.
    var fields: [String: String] {
        let s = subject
        return switch self {
        case .lymphodepletion: ["subjectId": "ld-\(s)", "agent": "ld-\(s)", "givenOn": "ld-\(s)"]
        case .clearance: ["subjectId": "clear-\(s)-items", "items": "clear-\(s)-items", "signature": "clear-\(s)-password",
                          Signing.passwordField: "clear-\(s)-password"]
        case .reschedule: ["subjectId": "reschedule-\(s)-day", "infusionOn": "reschedule-\(s)-day", "reason": "reschedule-\(s)-reason"]
        }
    }
}

extension Console {
    static let clearanceMeaning = "patient cleared for infusion"

    func recordLymphodepletion(_ form: LymphodepletionForm) async throws -> Response {
        let user = try signedIn()
        let subject = form.subjectId ?? ""
        do {
            _ = try await store.recordLymphodepletion(subjectId: subject, agent: form.agent ?? "",
                                                      givenOn: try CalendarDay(parsing: form.givenOn ?? "", field: "givenOn"), actor: user, logger: logger)
            return Response.redirect(to: "/console/bedside?\(Confirmation.lymphodepletion.query(about: subject))", type: .normal)
        } catch let error as DomainError {
            return try await refusedReadiness(.lymphodepletion(form), error)
        }
    }

    func clearForInfusion(_ form: ClearanceForm) async throws -> Response {
        let user = try signedIn()
        let subject = form.subjectId ?? ""
        do {
            let checklist = try await store.infusionReadiness(subjectId: subject, actor: user, logger: logger).clearanceItems
            let confirmed = form.items.filter { checklist.indices.contains($0) }.map { checklist[$0] }
            let signature = form.signaturePassword.flatMap { $0.isEmpty ? nil : SignatureInput(password: $0, meaning: Self.clearanceMeaning) }
            _ = try await store.clearForInfusion(subjectId: subject, items: confirmed, signature: signature, actor: user, logger: logger)
            return Response.redirect(to: "/console/bedside?\(Confirmation.cleared.query(about: subject))", type: .normal)
        } catch let error as DomainError {
            return try await refusedReadiness(.clearance(form), error)
        }
    }

    func rescheduleInfusion(_ form: RescheduleForm) async throws -> Response {
        let user = try signedIn()
        let subject = form.subjectId ?? ""
        do {
            _ = try await store.rescheduleInfusion(subjectId: subject, to: try CalendarDay(parsing: form.infusionOn ?? "", field: "infusionOn"),
                                                   reason: form.reason ?? "", actor: user, logger: logger)
            return Response.redirect(to: "/console/bedside?\(Confirmation.rescheduled.query(about: subject))", type: .normal)
        } catch let error as DomainError {
            return try await refusedReadiness(.reschedule(form), error)
        }
    }

    func refusedReadiness(_ form: ReadinessForm, _ error: DomainError) async throws -> Response {
        let refusal = try Refusal.sentence(error, fields: form.fields, form: "\(form.kind)-\(form.subject)")
        return try await bedsidePage(refused: .readiness(form, refusal), status: refusal.status)
    }

    /// What a readiness action just did, said only when the patient's record bears it out.
    func readinessConfirmation(_ done: Confirmation, subject: String) async throws -> String? {
        let user = try signedIn()
        guard let r = try? await store.infusionReadiness(subjectId: subject, actor: user, logger: logger) else { return nil }
        switch done {
        case .lymphodepletion where !r.dosesGiven.isEmpty:
            return "✓ Lymphodepletion recorded for \(subject): " + r.dosesGiven.map { "\($0.agent) on \($0.givenOn)" }.joined(separator: ", ")
        case .cleared where r.clearances.contains { $0.clearedOn == r.today }:
            return "✓ \(subject) cleared for infusion today; signed by \(r.clearances.first { $0.clearedOn == r.today }?.signedBy ?? "")"
        case .rescheduled where !r.reschedules.isEmpty: return "✓ \(subject)'s infusion rescheduled to \(r.infusionOn)"
        default: return nil
        }
    }
}

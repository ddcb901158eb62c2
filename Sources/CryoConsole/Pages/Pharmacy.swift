import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The planning form: one checkbox per patient (`patient:<subject id>`, read by the controller), or everyone.
struct PlanForm: Decodable, Sendable {
    var scope: String?
    var patients: [String] = []
    enum CodingKeys: String, CodingKey { case scope }
}

/// The pharmacy's allocation board: patients awaiting a dose, the allocations on their way, the shipments.
struct PharmacyBoardPage: PageView {
    static let template = "pharmacy"
    struct Patient: Sendable {
        /// Unique on the page: a patient may wait in more than one row (axe-core: ids are unique).
        let rowId: String
        let subject: String, study: String, cohort: String, product: String, infusionOn: String, targetCells: String, antiHla: String
        let checked: Bool
    }
    struct Site: Sendable { let site: String; let patients: [Patient] }
    struct Allocation: Sendable { let id: Int64; let subject: String, site: String, infusionOn: String, lot: String, stage: String }
    var title: String { "Pharmacy: allocation board" }
    let sites: [Site]
    let awaitingCount: Int
    let noneAwaiting: Bool
    let mayAllocate: Bool
    let allocations: [Allocation]
    let shipments: [ShipmentSummary]
    let hasAllocations: Bool
    let hasShipments: Bool
}

/// A shipment's facts as the board and the shipment page show them.
struct ShipmentSummary: Sendable {
    let id: String, from: String, to: String, dryShipper: String, dataLogger: String, holdHours: Int
    let shippedAt: String, expectedArrival: String, receivedAt: String, received: Bool, loggerMax: String, excursion: Bool, vialCount: Int

    init(_ s: ShipmentRecord) {
        id = s.id; from = s.fromSite; to = s.toSite; dryShipper = s.dryShipperId; dataLogger = s.dataLoggerId; holdHours = s.validatedHoldHours
        shippedAt = Console.timestamp(s.shippedAt); expectedArrival = Console.timestamp(s.expectedArrival)
        receivedAt = s.receivedAt.map(Console.timestamp) ?? "in transit"; received = s.receivedAt != nil
        loggerMax = s.loggerMaxCelsius.map { String(format: "%.1f °C", $0) } ?? "—"; excursion = s.receiptExcursion == true
        vialCount = s.vialIds.count
    }
}

/// An optimizer plan: its proof status, each assignment with its explanation, what is unassigned and why, commit.
struct PlanPage: PageView {
    static let template = "plan"
    struct Level: Sendable { let name: String; let value: Int; let proven: Bool; let bound: String; let method: String }
    struct Assignment: Sendable {
        let demand: String, kind: String, patient: Bool, lot: String, depot: String?, vials: Int, vialIds: String?, explanation: String
        let allocation: Int64?
    }
    struct Unassigned: Sendable { let demand: String, kind: String, reason: String }
    var title: String { "Allocation plan" }
    let id: String, asOf: String, createdBy: String, createdAt: String
    let provenOptimal: Bool
    let solveSeconds: String
    let levels: [Level]
    let notes: [String]
    let assignments: [Assignment]
    let unassigned: [Unassigned]
    let noneUnassigned: Bool
    let canCommit: Bool
    let toCommit: Int
}

extension Console {
    func pharmacyBoardPage(refused: (form: PlanForm, refusal: Refusal)? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let board = try await store.pharmacyBoard(actor: user, logger: logger)
        var row = 0
        let sites = Dictionary(grouping: board.awaiting, by: \.siteCode).sorted { $0.key < $1.key }.map { site, patients in
            PharmacyBoardPage.Site(site: site, patients: patients.map { p in
                row += 1
                return .init(rowId: "plan-patient-\(row)", subject: p.subjectId, study: p.studyCode, cohort: p.cohortId, product: p.productCode,
                             infusionOn: p.infusionOn, targetCells: Self.cells(p.targetCells),
                             antiHla: p.antiHla.isEmpty ? "none" : p.antiHla.joined(separator: ", "),
                             checked: refused.map { $0.form.patients.contains(p.subjectId) } ?? true)
            })
        }
        let view = PharmacyBoardPage(
            sites: sites, awaitingCount: board.awaiting.count, noneAwaiting: board.awaiting.isEmpty, mayAllocate: user.role.may(.allocate),
            allocations: board.allocations.map { a in
                .init(id: a.allocationId, subject: a.subjectId, site: a.siteCode, infusionOn: a.infusionOn, lot: a.lotNumber, stage: Self.stage(a.vials))
            },
            shipments: board.shipments.map(ShipmentSummary.init), hasAllocations: !board.allocations.isEmpty, hasShipments: !board.shipments.isEmpty)
        return try render(view, status: status, refusal: refused?.refusal)
    }

    func planAllocation(_ form: PlanForm) async throws -> Response {
        let user = try signedIn()
        let everyone = form.scope == "all"
        do {
            if !everyone && form.patients.isEmpty { throw DomainError.invalid(field: "patients", rule: "choose at least one patient, or plan for everyone") }
            let plan = try await store.planAllocation(PlanRequest(patients: everyone ? nil : form.patients), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/plans/\(plan.id.uuidString.lowercased())", type: .normal)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: ["patients": "plan-form"])
            return try await pharmacyBoardPage(refused: (form, refusal), status: refusal.status)
        }
    }

    func planPage(_ id: UUID, done: Confirmation? = nil, refusal: Refusal? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let stored = try await store.allocationPlan(id: id, actor: user, logger: logger)
        let plan = stored.plan
        let uncommitted = plan.assignments.filter { $0.kind == "patient" && stored.committed[$0.demand] == nil }
        let view = PlanPage(
            id: id.uuidString.lowercased(), asOf: plan.asOf, createdBy: stored.createdBy, createdAt: Self.timestamp(stored.createdAt),
            provenOptimal: plan.provenOptimal, solveSeconds: String(format: "%.2f", plan.solveSeconds),
            levels: stored.levels.map { .init(name: $0.name, value: $0.value, proven: $0.provenOptimal, bound: $0.bound.map(String.init) ?? "—", method: $0.method) },
            notes: stored.notes,
            assignments: plan.assignments.map { a in
                let parts = a.lot.split(separator: "@", maxSplits: 1).map(String.init)
                return .init(demand: a.demand, kind: a.kind, patient: a.kind == "patient", lot: parts.first ?? a.lot, depot: parts.count > 1 ? parts[1] : nil,
                             vials: a.vials, vialIds: a.vialIds.isEmpty ? nil : a.vialIds.joined(separator: ", "), explanation: a.explanation,
                             allocation: stored.committed[a.demand])
            },
            unassigned: plan.unassigned.map { .init(demand: $0["demand"] ?? "", kind: $0["kind"] ?? "", reason: $0["reason"] ?? "") },
            noneUnassigned: plan.unassigned.isEmpty,
            canCommit: user.role.may(.allocate) && !uncommitted.isEmpty && stored.committed.isEmpty, toCommit: uncommitted.count)
        // The plan's own commitments bear the confirmation out.
        let confirmation = done == .committed && !stored.committed.isEmpty
            ? "✓ Plan committed: \(stored.committed.count) allocation(s) reserved; their pick lists are linked below" : nil
        return try render(view, status: status, refusal: refusal, confirmation: confirmation)
    }

    /// Reserves what the plan showed, all or nothing; a conflict lists what changed since planning, on the plan.
    func commitPlan(_ id: UUID) async throws -> Response {
        let user = try signedIn()
        do {
            _ = try await store.commitAllocation(planId: id, patients: nil, actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/plans/\(id.uuidString.lowercased())?\(Confirmation.committed.query())", type: .normal)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: ["planId": "commit-form"])
            return try await planPage(id, refusal: refusal, status: refusal.status)
        }
    }

    /// Where an allocation's vials are, in the words of the next step.
    static func stage(_ vials: [DispensingVial]) -> String {
        vials.map { v in
            let step = switch v.status {
            case .reserved: v.inStorage ? "reserved, in its freezer: pick" : "picked: ship"
            case .shipped: "shipped in \(v.shipmentId ?? "?"): receive"
            case .received: "received at site: thaw at the bedside"
            case .thawed: "thawed: administer"
            default: v.status.rawValue
            }
            return "\(v.vialId) \(step)" + (v.blockers.map { " ⚠ held: \($0)" } ?? "")
        }.joined(separator: "; ")
    }

    /// 50000000 → "50 × 10⁶".
    static func cells(_ n: Int64) -> String {
        n % 1_000_000 == 0 ? "\(n / 1_000_000) × 10⁶ cells" : "\(n) cells"
    }
}

extension Refusal {
    /// A refusal of the point-of-care pages, in the catalogue's sentence (`RefusalSentences`), beside the field it names.
    /// A refusal of the role is not a form's: it goes to the middleware's 403 page.
    static func sentence(_ error: DomainError, fields: [String: String], form: String? = nil) throws -> Refusal {
        switch error {
        case .forbidden, .forbiddenOperation, .unauthenticated: throw error
        default: break
        }
        let named = Refusal(error, fields: fields, form: form)
        return Refusal(message: RefusalSentences.sentence(for: error), anchor: named.items.first?.anchor,
                       field: named.byField.messages.keys.first, form: form, status: named.status)
    }
}

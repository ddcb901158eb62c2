import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The pharmacy's allocation board: patients awaiting a dose, the optimizer's plan with its proof status and
/// explanations, commit, the pick list, shipping and receipt. Every step is the API's Store operation.
extension Console {
    func registerPharmacy<Context: RequestContext>(_ group: RouterGroup<Context>) {
        group.get("pharmacy") { _, _ in try await self.pharmacyBoardPage() }
        group.post("pharmacy/plan") { request, _ in try await self.planAllocation(request) }
        group.get("pharmacy/plans/{id}") { _, context in try await self.planPage(Self.planId(context.parameters.require("id"))) }
        group.post("pharmacy/plans/{id}/commit") { _, context in try await self.commitPlan(Self.planId(context.parameters.require("id"))) }
        group.get("pharmacy/allocations/{id}") { _, context in try await self.allocationPage(Self.allocationId(context.parameters.require("id"))) }
        group.post("pharmacy/allocations/{id}/pick") { request, context in
            try await self.pickAllocation(Self.allocationId(context.parameters.require("id")), request)
        }
        group.post("pharmacy/allocations/{id}/ship") { request, context in
            try await self.shipAllocation(Self.allocationId(context.parameters.require("id")), request)
        }
        group.get("pharmacy/shipments/{id}") { _, context in try await self.shipmentPage(context.parameters.require("id")) }
        group.post("pharmacy/shipments/{id}/receive") { request, context in try await self.receiveShipment(context.parameters.require("id"), request) }
    }

    static func planId(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw HTTPError(.notFound) }
        return id
    }

    static func allocationId(_ text: String) throws -> Int64 {
        guard let id = Int64(text) else { throw HTTPError(.notFound) }
        return id
    }

    /// The page's status for a refusal shown next to its form; not permitted is the middleware's 403 page.
    static func refusalStatus(_ error: DomainError) throws -> HTTPResponse.Status {
        switch error {
        case .forbidden, .forbiddenOperation, .unauthenticated: throw error
        case .conflict: return .conflict
        case .notFound: return .notFound
        default: return .badRequest
        }
    }

    func pharmacyBoardPage(message: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let board = try await store.pharmacyBoard(actor: user, logger: logger)
        let sites = Dictionary(grouping: board.awaiting, by: \.siteCode).sorted { $0.key < $1.key }.map { site, patients in
            ["site": site, "patients": patients.map { p in
                ["subject": p.subjectId, "study": p.studyCode, "cohort": p.cohortId, "product": p.productCode, "infusionOn": p.infusionOn,
                 "targetCells": Self.cells(p.targetCells), "antiHla": p.antiHla.isEmpty ? "none" : p.antiHla.joined(separator: ", ")] as [String: Any]
            }] as [String: Any]
        }
        return try page("pharmacy", title: "Pharmacy: allocation board", [
            "sites": sites, "awaitingCount": board.awaiting.count, "noneAwaiting": board.awaiting.isEmpty,
            "mayAllocate": user.role.may(.allocate), "message": message as Any,
            "allocations": board.allocations.map { a in
                ["id": a.allocationId, "subject": a.subjectId, "site": a.siteCode, "infusionOn": a.infusionOn, "lot": a.lotNumber,
                 "stage": Self.stage(a.vials), "vials": a.vials.map(\.vialId).joined(separator: ", ")] as [String: Any]
            },
            "shipments": board.shipments.map(Self.shipmentRow),
            "hasAllocations": !board.allocations.isEmpty, "hasShipments": !board.shipments.isEmpty,
        ], status: status)
    }

    func planAllocation(_ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let everyone = form["scope"] == "all"
        // One checkbox per patient, named `patient:<subject id>`.
        let chosen = form.keys.filter { $0.hasPrefix("patient:") }.map { String($0.dropFirst("patient:".count)) }.sorted()
        do {
            if !everyone && chosen.isEmpty { throw DomainError.invalid(field: "patients", rule: "choose at least one patient, or plan for everyone") }
            let plan = try await store.planAllocation(PlanRequest(patients: everyone ? nil : chosen), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/plans/\(plan.id.uuidString.lowercased())", type: .normal)
        } catch let error as DomainError {
            return try await pharmacyBoardPage(message: error.description, status: Self.refusalStatus(error))
        }
    }

    func planPage(_ id: UUID, message: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let stored = try await store.allocationPlan(id: id, actor: user, logger: logger)
        let plan = stored.plan
        let uncommitted = plan.assignments.filter { $0.kind == "patient" && stored.committed[$0.demand] == nil }
        return try page("plan", title: "Allocation plan", [
            "id": id.uuidString.lowercased(), "asOf": plan.asOf, "createdBy": stored.createdBy, "createdAt": Self.timestamp(stored.createdAt),
            "provenOptimal": plan.provenOptimal, "solveSeconds": String(format: "%.2f", plan.solveSeconds),
            "levels": stored.levels.map { l in
                ["name": l.name, "value": l.value, "proven": l.provenOptimal, "bound": l.bound.map(String.init) ?? "—", "method": l.method] as [String: Any]
            },
            "notes": stored.notes,
            "assignments": plan.assignments.map { a in
                ["demand": a.demand, "kind": a.kind, "patient": a.kind == "patient", "lot": a.lot.split(separator: "@").first.map(String.init) ?? a.lot,
                 "depot": a.lot.contains("@") ? String(a.lot.split(separator: "@").last!) : nil as String?, "vials": a.vials,
                 "vialIds": a.vialIds.isEmpty ? nil : a.vialIds.joined(separator: ", "), "explanation": a.explanation,
                 "allocation": stored.committed[a.demand] as Any] as [String: Any]
            },
            "unassigned": plan.unassigned.map { ["demand": $0["demand"] ?? "", "kind": $0["kind"] ?? "", "reason": $0["reason"] ?? ""] },
            "noneUnassigned": plan.unassigned.isEmpty,
            "canCommit": user.role.may(.allocate) && !uncommitted.isEmpty && stored.committed.isEmpty,
            "toCommit": uncommitted.count, "message": message as Any,
        ], status: status)
    }

    /// Reserves what the plan showed, all or nothing; a conflict lists what changed since planning, on the plan.
    func commitPlan(_ id: UUID) async throws -> Response {
        let user = try signedIn()
        do {
            _ = try await store.commitAllocation(planId: id, patients: nil, actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/plans/\(id.uuidString.lowercased())", type: .normal)
        } catch let error as DomainError {
            return try await planPage(id, message: error.description, status: Self.refusalStatus(error))
        }
    }

    /// The pick list (printable), the pick, and the shipping form for one allocation.
    func allocationPage(_ id: Int64, pickMessage: String? = nil, shipMessage: String? = nil, form: [String: String] = [:],
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let lines = try await store.pickList(allocationId: id, actor: user, logger: logger)
        let subject = lines[0].subjectId
        let patient = try await store.patient(subjectId: subject, actor: user, logger: logger)
        let toPick = lines.filter { $0.location != nil && $0.status == .reserved }
        let toShip = lines.filter { $0.location == nil && $0.status == .reserved }
        let mayDispense = user.role.may(.dispense)
        let readiness = try await store.infusionReadiness(subjectId: subject, actor: user, logger: logger)
        return try page("allocation", title: "Allocation \(id): pick list", [
            "id": id, "subject": subject, "site": patient.siteCode, "infusionOn": patient.infusionOn,
            "readiness": Self.readinessView(readiness), "scannedPick": form["scannedVialIds"] ?? "",
            "lines": lines.map { l in
                ["vial": l.vialId, "subject": l.subjectId, "lot": l.lotNumber, "status": l.status.rawValue,
                 "glyph": VialGlyph(status: l.status.rawValue).symbol, "location": l.location ?? "picked (not in storage)"] as [String: Any]
            },
            "canPick": mayDispense && !toPick.isEmpty, "pickCount": toPick.count, "pickMessage": pickMessage as Any,
            "canShip": mayDispense && !toShip.isEmpty, "shipCount": toShip.count, "shipMessage": shipMessage as Any,
            "ship": ["vialIds": toShip.map(\.vialId).joined(separator: ","), "toSite": form["toSite"] ?? patient.siteCode,
                     "dryShipperId": form["dryShipperId"] ?? "", "dataLoggerId": form["dataLoggerId"] ?? "",
                     "validatedHoldHours": form["validatedHoldHours"] ?? "", "scannedVialIds": form["scannedShipVialIds"] ?? "",
                     "scannedDryShipperId": form["scannedDryShipperId"] ?? ""],
        ], status: status)
    }

    /// The pick: each vial scanned as it leaves its position (rule 9); a missing or wrong scan is refused and logged.
    func pickAllocation(_ id: Int64, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            _ = try await store.pickAllocation(allocationId: id, scannedVialIds: Self.scans(form["scannedVialIds"]), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/allocations/\(id)", type: .normal)
        } catch let error as DomainError {
            return try await allocationPage(id, pickMessage: error.description, form: form, status: Self.refusalStatus(error))
        }
    }

    /// Scanned ids typed or scanned into a box, one a line (a scanner ends each with Enter), or separated by commas or spaces.
    static func scans(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map { $0.uppercased() }
    }

    /// Ships the allocation's picked vials; the Store refuses a dry shipper whose hold time runs out before arrival.
    func shipAllocation(_ id: Int64, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            let vials = (form["vialIds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard let hours = Int(form["validatedHoldHours"] ?? "") else {
                throw DomainError.invalid(field: "validatedHoldHours", rule: "the dry shipper's validated hold time in whole hours")
            }
            let shipment = try await store.shipVials(ShipmentInput(vialIds: vials, toSite: form["toSite"] ?? "", dryShipperId: form["dryShipperId"] ?? "",
                                                                   dataLoggerId: form["dataLoggerId"] ?? "", validatedHoldHours: hours,
                                                                   scannedVialIds: Self.scans(form["scannedShipVialIds"]),
                                                                   scannedDryShipperId: (form["scannedDryShipperId"] ?? "").trimmingCharacters(in: .whitespaces)),
                                                     actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/shipments/\(shipment.id)", type: .normal)
        } catch let error as DomainError {
            return try await allocationPage(id, shipMessage: error.description, form: form, status: Self.refusalStatus(error))
        }
    }

    func shipmentPage(_ id: String, message: String? = nil, loggerMax: String = "", scanned: String = "", status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let s = try await store.shipment(id: id, actor: user, logger: logger)
        let held = Dictionary(grouping: try await store.listHolds(subject: .vial, id: nil, activeOnly: true, actor: user, logger: logger)
            .filter { s.vialIds.contains($0.subjectId) }, by: \.subjectId)
        var vials: [[String: Any]] = []
        for id in s.vialIds {
            let v = try await store.vial(id: id, actor: user, logger: logger)
            vials.append(["id": id, "lot": v.lotNumber, "status": v.status.rawValue, "glyph": (held[id] == nil ? VialGlyph(status: v.status.rawValue) : VialGlyph.held).symbol,
                          "held": held[id] != nil, "holds": (held[id] ?? []).map(\.reason).joined(separator: "; ")])
        }
        return try page("shipment", title: "Shipment \(id)", [
            "shipment": Self.shipmentRow(s), "vials": vials, "heldCount": held.count,
            "canReceive": user.role.may(.dispense) && s.receivedAt == nil, "message": message as Any, "loggerMax": loggerMax, "scanned": scanned,
        ], status: status)
    }

    /// The data logger's maximum is read at receipt; above the product's storage limit the Store holds the vials.
    func receiveShipment(_ id: String, _ request: Request) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let text = (form["loggerMaxCelsius"] ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
        do {
            guard let celsius = Double(text) else {
                throw DomainError.invalid(field: "loggerMaxCelsius", rule: "the data logger's maximum in °C, e.g. -150.5")
            }
            _ = try await store.receiveShipment(id: id, loggerMaxCelsius: celsius, scannedVialIds: Self.scans(form["scannedVialIds"]), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/shipments/\(id)", type: .normal)
        } catch let error as DomainError {
            return try await shipmentPage(id, message: error.description, loggerMax: text, scanned: form["scannedVialIds"] ?? "", status: Self.refusalStatus(error))
        }
    }

    static func shipmentRow(_ s: ShipmentRecord) -> [String: Any] {
        ["id": s.id, "from": s.fromSite, "to": s.toSite, "dryShipper": s.dryShipperId, "dataLogger": s.dataLoggerId,
         "holdHours": s.validatedHoldHours, "shippedAt": timestamp(s.shippedAt), "expectedArrival": timestamp(s.expectedArrival),
         "receivedAt": s.receivedAt.map(timestamp) ?? "in transit", "received": s.receivedAt != nil,
         "loggerMax": s.loggerMaxCelsius.map { String(format: "%.1f °C", $0) } ?? "—", "excursion": s.receiptExcursion == true,
         "vialCount": s.vialIds.count]
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

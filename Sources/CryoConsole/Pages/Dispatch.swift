import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import Mustache

/// The pick as the form sends it: each vial scanned as it leaves its position.
struct PickForm: Decodable, Sendable { var scannedVialIds: String? }

/// Shipping an allocation's picked vials: where, in what, and the vials and dry shipper scanned as they go in.
struct ShipForm: Decodable, Sendable {
    var vialIds: String?
    var toSite: String?
    var dryShipperId: String?
    var dataLoggerId: String?
    var validatedHoldHours: String?
    var scannedDryShipperId: String?
    var scannedShipVialIds: String?
}

/// Receiving a shipment: each vial scanned out of the dry shipper, the data logger's maximum read.
struct ReceiveForm: Decodable, Sendable {
    var scannedVialIds: String?
    var loggerMaxCelsius: String?
}

/// A refusal's messages by the id of the input they belong beside, for pages whose forms share field names
/// (the pick and the ship both scan `scannedVialIds`): `{{#errors.scannedShipVialIds}}…{{/errors.scannedShipVialIds}}`.
struct AnchorMessages: MustacheParent, Sendable {
    let messages: [String: String]
    init(_ refusal: Refusal?) {
        messages = Dictionary((refusal?.items ?? []).compactMap { item in item.anchor.map { ($0, item.message) } }) { first, _ in first }
    }
    func child(named name: String) -> Any? { messages[name] }
}

/// One allocation's pick list (printable), the pick, and the shipping form.
struct AllocationPage: PageView {
    static let template = "allocation"
    struct Line: Sendable { let vial: String, subject: String, lot: String, status: String, glyph: String, location: String }
    var title: String { "Allocation \(id): pick list" }
    let id: Int64
    let subject: String, site: String, infusionOn: String
    let readiness: ReadinessView
    let lines: [Line]
    let canPick: Bool, pickCount: Int
    let canShip: Bool, shipCount: Int
    /// The vials to ship, and what a refused pick or shipment entered, kept.
    let vialIds: String
    let pick: PickForm
    let ship: ShipForm
    let errors: AnchorMessages
}

/// A shipment: its facts, its vials (held ones marked), and the receipt.
struct ShipmentPage: PageView {
    static let template = "shipment"
    struct Vial: Sendable { let id: String, lot: String, status: String, glyph: String, held: Bool, holds: String }
    var title: String { "Shipment \(shipment.id)" }
    let shipment: ShipmentSummary
    let vials: [Vial]
    let heldCount: Int
    let canReceive: Bool
    let form: ReceiveForm
    let errors: AnchorMessages
}

extension Console {
    static let pickFields = ["scannedVialIds": "scannedVialIds"]
    static let shipFields = ["toSite": "toSite", "dryShipperId": "dryShipperId", "dataLoggerId": "dataLoggerId", "validatedHoldHours": "validatedHoldHours",
                             "scannedDryShipperId": "scannedDryShipperId", "scannedVialIds": "scannedShipVialIds", "vialIds": "scannedShipVialIds"]
    static let receiveFields = ["scannedVialIds": "scannedVialIds", "loggerMaxCelsius": "loggerMaxCelsius"]

    func allocationPage(_ id: Int64, done: Confirmation? = nil, pick: PickForm = .init(), ship: ShipForm = .init(), refusal: Refusal? = nil,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let lines = try await store.pickList(allocationId: id, actor: user, logger: logger)
        guard let subject = lines.first?.subjectId else { throw HTTPError(.notFound) }
        let patient = try await store.patient(subjectId: subject, actor: user, logger: logger)
        let toPick = lines.filter { $0.location != nil && $0.status == .reserved }
        let toShip = lines.filter { $0.location == nil && $0.status == .reserved }
        let mayDispense = user.role.may(.dispense)
        let readiness = try await store.infusionReadiness(subjectId: subject, actor: user, logger: logger)
        var kept = ship
        if kept.toSite == nil { kept.toSite = patient.siteCode }
        let view = AllocationPage(
            id: id, subject: subject, site: patient.siteCode, infusionOn: "\(patient.infusionOn)", readiness: ReadinessView(readiness),
            lines: lines.map { l in
                .init(vial: l.vialId, subject: l.subjectId, lot: l.lotNumber, status: l.status.rawValue, glyph: VialGlyph(status: l.status.rawValue).symbol,
                      location: l.location ?? "picked (not in storage)")
            },
            canPick: mayDispense && !toPick.isEmpty, pickCount: toPick.count, canShip: mayDispense && !toShip.isEmpty, shipCount: toShip.count,
            vialIds: toShip.map(\.vialId).joined(separator: ","), pick: pick, ship: kept, errors: AnchorMessages(refusal))
        // Picked vials (out of storage, not yet shipped) bear the confirmation out.
        let confirmation = done == .picked && !toShip.isEmpty
            ? "✓ Picked: \(toShip.count) vial(s) out of storage (\(toShip.map(\.vialId).joined(separator: ", "))); ship them below" : nil
        return try render(view, status: status, refusal: refusal, confirmation: confirmation)
    }

    /// The pick: each vial scanned as it leaves its position (rule 9); a missing or wrong scan is refused and logged.
    func pickAllocation(_ id: Int64, _ form: PickForm) async throws -> Response {
        let user = try signedIn()
        do {
            _ = try await store.pickAllocation(allocationId: id, scannedVialIds: Self.scans(form.scannedVialIds), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/allocations/\(id)?\(Confirmation.picked.query())", type: .normal)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: Self.pickFields, form: "pick")
            return try await allocationPage(id, pick: form, refusal: refusal, status: refusal.status)
        }
    }

    /// Scanned ids typed or scanned into a box, one a line (a scanner ends each with Enter), or separated by commas or
    /// spaces; each forgiven its scanner noise and case.
    static func scans(_ text: String?) -> [String] {
        (text ?? "").split(whereSeparator: { $0 == "," || $0.isWhitespace }).map { ScanText.normalised(String($0)) }.filter { !$0.isEmpty }
    }

    /// Ships the allocation's picked vials; the Store refuses a dry shipper whose hold time runs out before arrival.
    func shipAllocation(_ id: Int64, _ form: ShipForm) async throws -> Response {
        let user = try signedIn()
        do {
            let vials = (form.vialIds ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard let hours = Int((form.validatedHoldHours ?? "").trimmingCharacters(in: .whitespaces)) else {
                throw DomainError.invalid(field: "validatedHoldHours", rule: "the dry shipper's validated hold time in whole hours")
            }
            let input = ShipmentInput(vialIds: vials, toSite: (form.toSite ?? "").trimmingCharacters(in: .whitespaces),
                                      dryShipperId: ScanText.trimmed(form.dryShipperId ?? ""), dataLoggerId: ScanText.trimmed(form.dataLoggerId ?? ""),
                                      validatedHoldHours: hours, scannedVialIds: Self.scans(form.scannedShipVialIds),
                                      scannedDryShipperId: ScanText.trimmed(form.scannedDryShipperId ?? ""))
            let shipment = try await store.shipVials(input, actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/shipments/\(shipment.id)?\(Confirmation.shipped.query())", type: .normal)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: Self.shipFields, form: "ship")
            return try await allocationPage(id, ship: form, refusal: refusal, status: refusal.status)
        }
    }

    func shipmentPage(_ id: String, done: Confirmation? = nil, form: ReceiveForm = .init(), refusal: Refusal? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let s = try await store.shipment(id: id, actor: user, logger: logger)
        let held = Dictionary(grouping: try await store.listHolds(subject: .vial, id: nil, activeOnly: true, actor: user, logger: logger)
            .filter { s.vialIds.contains($0.subjectId) }, by: \.subjectId)
        var vials: [ShipmentPage.Vial] = []
        for vialId in s.vialIds {
            let v = try await store.vial(id: vialId, actor: user, logger: logger)
            let holds = held[vialId] ?? []
            vials.append(.init(id: vialId, lot: v.lotNumber, status: v.status.rawValue,
                               glyph: (holds.isEmpty ? VialGlyph(status: v.status.rawValue) : VialGlyph.held).symbol,
                               held: !holds.isEmpty, holds: holds.map(\.reason).joined(separator: "; ")))
        }
        let view = ShipmentPage(shipment: ShipmentSummary(s), vials: vials, heldCount: held.count,
                                canReceive: user.role.may(.dispense) && s.receivedAt == nil, form: form, errors: AnchorMessages(refusal))
        // The shipment's own record bears the confirmation out: shipped and in transit, or received (with or without an excursion).
        let confirmation: String? = switch done {
        case .shipped where s.receivedAt == nil: "✓ Shipped: \(s.vialIds.count) vial(s) in dry shipper \(s.dryShipperId) to \(s.toSite)"
        case .received where s.receivedAt != nil && s.receiptExcursion == true:
            "✓ Received: \(s.vialIds.count) vial(s) at \(s.toSite); the logger shows an excursion, so they are on hold"
        case .received where s.receivedAt != nil: "✓ Received: \(s.vialIds.count) vial(s) at \(s.toSite), within the storage limit"
        default: nil
        }
        return try render(view, status: status, refusal: refusal, confirmation: confirmation)
    }

    /// The data logger's maximum is read at receipt; above the product's storage limit the Store holds the vials.
    func receiveShipment(_ id: String, _ form: ReceiveForm) async throws -> Response {
        let user = try signedIn()
        let text = (form.loggerMaxCelsius ?? "").trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "−", with: "-")
            .replacingOccurrences(of: ",", with: ".")
        do {
            guard let celsius = Double(text) else {
                throw DomainError.invalid(field: "loggerMaxCelsius", rule: "the data logger's maximum in °C, e.g. -150.5")
            }
            _ = try await store.receiveShipment(id: id, loggerMaxCelsius: celsius, scannedVialIds: Self.scans(form.scannedVialIds), actor: user, logger: logger)
            return Response.redirect(to: "/console/pharmacy/shipments/\(id)?\(Confirmation.received.query())", type: .normal)
        } catch let error as DomainError {
            let refusal = try Refusal.sentence(error, fields: Self.receiveFields)
            return try await shipmentPage(id, form: form, refusal: refusal, status: refusal.status)
        }
    }
}

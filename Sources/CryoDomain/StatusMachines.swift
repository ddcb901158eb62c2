/// Lot status of PRODUCT.md: in-process → quarantine → released | rejected, plus on-hold, expired, recalled.
/// The same table lives in the database (`lot_transition`), where a trigger enforces it.
public enum LotStatus: String, CaseIterable, Sendable, Codable {
    case inProcess = "in-process", quarantine, released, rejected, onHold = "on-hold", expired, recalled

    public var successors: Set<LotStatus> {
        switch self {
        case .inProcess: return [.quarantine, .rejected, .onHold]
        case .quarantine: return [.released, .rejected, .onHold, .expired]
        case .released: return [.onHold, .expired, .recalled]
        case .onHold: return [.inProcess, .quarantine, .released, .rejected, .expired, .recalled]
        case .rejected, .expired, .recalled: return []
        }
    }

    public func canMove(to next: LotStatus) -> Bool { successors.contains(next) }

    /// The lot status machine with the hold rule, decided once for every caller (`Store.changeLotStatus`, and
    /// `transitionLot` before it asks for a signature): a move the machine allows, and off a hold only back to the
    /// status the lot was held from. SQL twin: `lot_transition` + `check_status_transition()`, `check_hold_lift()`.
    public static func checkTransition(from current: LotStatus, to next: LotStatus, heldFrom: String?) throws(DomainError) {
        guard current.canMove(to: next) else {
            throw DomainError.illegalTransition("lot", from: current.rawValue, to: next.rawValue, allowed: current.successors.map(\.rawValue))
        }
        if current == .onHold, [.inProcess, .quarantine, .released].contains(next), heldFrom != next.rawValue {
            throw DomainError.conflict(field: "status", rule: "lifting a hold returns the lot to \(heldFrom ?? "?"), the state it was held from")
        }
    }

    /// Release, reject, recall and lifting a hold are electronic signatures (PRODUCT.md rule 6).
    /// SQL twin: `lot_is_signing_step()`, behind `check_signed_lot_transition()` (migration 040).
    public static func isSigningStep(from: LotStatus, to: LotStatus) -> Bool {
        switch to {
        case .released, .rejected, .recalled: return true
        case .quarantine, .inProcess: return from == .onHold
        default: return false
        }
    }

    /// Who may make a change: manufacturing finishes a run (in-process → quarantine); QA decides everything
    /// else, rejecting an in-process lot included (PRODUCT.md: QA releases or rejects lots).
    public static func action(from: LotStatus, to: LotStatus) -> Action {
        switch (from, to) {
        case (_, .onHold), (.onHold, _): return .holdLot
        case (.inProcess, .quarantine): return .advanceLotManufacturing
        default: return .dispositionLot
        }
    }
}

/// Vial status: stored → reserved → shipped → received → thawed → administered, or destroyed.
/// A reservation may be cancelled (reserved → stored); a thawed vial never goes back.
public enum VialStatus: String, CaseIterable, Sendable, Codable {
    case stored, reserved, shipped, received, thawed, administered, destroyed

    public var successors: Set<VialStatus> {
        switch self {
        case .stored: return [.reserved, .destroyed]
        case .reserved: return [.stored, .shipped, .destroyed]
        case .shipped: return [.received, .destroyed]
        case .received: return [.thawed, .destroyed]
        case .thawed: return [.administered, .destroyed]
        case .administered, .destroyed: return []
        }
    }

    public func canMove(to next: VialStatus) -> Bool { successors.contains(next) }
}

public enum DonorEligibility: String, CaseIterable, Sendable, Codable {
    case eligible, ineligible, pending
}

public enum FreezerKind: String, CaseIterable, Sendable, Codable {
    case ln2Dewar = "ln2-dewar", mechanical
}

public enum SiteKind: String, CaseIterable, Sendable, Codable {
    case manufacturing, depot, clinical
}

extension DomainError {
    public static func illegalTransition(_ kind: String, from: String, to: String, allowed: [String]) -> DomainError {
        let next = allowed.isEmpty ? "none (final state)" : allowed.sorted().joined(separator: ", ")
        return .conflict(field: "status", rule: "a \(kind) cannot go from \(from) to \(to); allowed from \(from): \(next)")
    }
}

// Printed as stored and as the contract spells them ("in-process", not "inProcess").
extension LotStatus: CustomStringConvertible { public var description: String { rawValue } }
extension VialStatus: CustomStringConvertible { public var description: String { rawValue } }
extension DonorEligibility: CustomStringConvertible { public var description: String { rawValue } }

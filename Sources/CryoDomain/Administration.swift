/// What the bedside check needs to know about a vial and the patient scanned.
public struct AdministrationFacts: Sendable, Equatable {
    public var vialId: String
    public var status: VialStatus
    public var reservedFor: String?
    public var scannedSubjectId: String
    public var thawLimitMinutes: Int
    public var thawLimitPassed: Bool
    /// Why rule 3 stops the vial (`vial_blockers`), nil when nothing does.
    public var blockers: String?
    public var lotNumber: String
    /// After a conditional release: the pending tests without a passing result yet (`conditional_release_pending`).
    public var pendingTests: [String]

    public init(vialId: String, status: VialStatus, reservedFor: String?, scannedSubjectId: String, thawLimitMinutes: Int,
                thawLimitPassed: Bool, blockers: String?, lotNumber: String, pendingTests: [String]) {
        self.vialId = vialId; self.status = status; self.reservedFor = reservedFor; self.scannedSubjectId = scannedSubjectId
        self.thawLimitMinutes = thawLimitMinutes; self.thawLimitPassed = thawLimitPassed; self.blockers = blockers
        self.lotNumber = lotNumber; self.pendingTests = pendingTests
    }
}

/// Bedside administration: chain of identity, thawed, within the thaw-to-infusion limit, nothing blocking
/// (rule 3), and after a conditional release the pending tests passed. Database twin: trigger
/// `administration_rules` → `check_administration()` (009, redefined in 033), same checks in the same order.
public enum Administration {
    public static func check(_ f: AdministrationFacts) throws(DomainError) {
        if f.reservedFor != f.scannedSubjectId {
            throw .conflict(field: "subjectId", rule: "chain of identity: vial \(f.vialId) is reserved for \(f.reservedFor ?? "nobody"), not for the patient scanned (\(f.scannedSubjectId))")
        }
        if f.status != .thawed {
            throw .conflict(field: "vialId", rule: "vial \(f.vialId) is \(f.status.rawValue); only a thawed vial is administered")
        }
        if f.thawLimitPassed {
            throw .conflict(field: "vialId", rule: "the \(f.thawLimitMinutes) minute thaw-to-infusion limit of vial \(f.vialId) has passed; destroy it")
        }
        if let blockers = f.blockers {
            throw .conflict(field: "vialId", rule: "vial \(f.vialId) may not be administered: \(blockers)")
        }
        if !f.pendingTests.isEmpty {
            throw .conflict(field: "vialId", rule: "lot \(f.lotNumber) was released conditionally; administration waits for: \(f.pendingTests.joined(separator: ", "))")
        }
    }
}

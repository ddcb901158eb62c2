import Foundation

/// What the bedside check needs to know about a vial and the patient scanned.
public struct AdministrationFacts: Sendable, Equatable {
    public var vialId: String
    public var status: VialStatus
    public var reservedFor: String?
    public var scannedSubjectId: String
    public var thawLimitMinutes: Int
    /// End of the thaw-to-infusion window (`thaw_window_closes_at`), nil before the thaw; `now` is the database's clock.
    public var thawWindowClosesAt: Date?
    public var now: Date
    /// The reserved patient's readiness (rule 8); nil when the vial is reserved for nobody.
    public var readiness: ReadinessFacts?
    /// Why rule 3 stops the vial (`vial_blockers`), nil when nothing does.
    public var blockers: String?
    public var lotNumber: String
    /// After a conditional release: the pending tests without a passing result yet (`conditional_release_pending`).
    public var pendingTests: [String]

    public init(vialId: String, status: VialStatus, reservedFor: String?, scannedSubjectId: String, thawLimitMinutes: Int,
                thawWindowClosesAt: Date?, now: Date, readiness: ReadinessFacts?, blockers: String?, lotNumber: String, pendingTests: [String]) {
        self.vialId = vialId; self.status = status; self.reservedFor = reservedFor; self.scannedSubjectId = scannedSubjectId
        self.thawLimitMinutes = thawLimitMinutes; self.thawWindowClosesAt = thawWindowClosesAt; self.now = now; self.readiness = readiness
        self.blockers = blockers; self.lotNumber = lotNumber; self.pendingTests = pendingTests
    }

    public var thawWindowClosed: Bool { ThawWindow.hasClosed(closesAt: thawWindowClosesAt, now: now) }
}

/// Bedside administration: chain of identity (the patient band scanned), thawed, within the thaw-to-infusion window,
/// the patient ready today (rule 8), nothing blocking (rule 3), and after a conditional release the pending tests
/// passed. Database twin: trigger `administration_rules` → `check_administration()` (009, redefined in 033 and 037),
/// same checks in the same order.
public enum Administration {
    public static func check(_ f: AdministrationFacts) throws(DomainError) {
        if f.scannedSubjectId.isEmpty {
            throw .invalid(field: "subjectId", rule: "administer refused, chain of identity: scan the patient's band")
        }
        if f.reservedFor != f.scannedSubjectId {
            throw .conflict(field: "subjectId", rule: "chain of identity: vial \(f.vialId) is reserved for \(f.reservedFor ?? "nobody"), not for the patient scanned (\(f.scannedSubjectId))")
        }
        if f.status != .thawed {
            throw .conflict(field: "vialId", rule: "vial \(f.vialId) is \(f.status.rawValue); only a thawed vial is administered")
        }
        if f.thawWindowClosed {
            throw .conflict(field: "vialId", rule: "the \(f.thawLimitMinutes) minute thaw-to-infusion limit of vial \(f.vialId) has passed; destroy it")
        }
        if let r = f.readiness { try InfusionReadiness.check(r) }
        if let blockers = f.blockers {
            throw .conflict(field: "vialId", rule: "vial \(f.vialId) may not be administered: \(blockers)")
        }
        if !f.pendingTests.isEmpty {
            throw .conflict(field: "vialId", rule: "lot \(f.lotNumber) was released conditionally; administration waits for: \(f.pendingTests.joined(separator: ", "))")
        }
    }
}

/// What the thaw check needs: the vial at the site, the band scanned, the reserved patient ready today.
public struct ThawFacts: Sendable, Equatable {
    public var vialId: String
    public var status: VialStatus
    public var reservedFor: String?
    public var scannedSubjectId: String
    public var scannedVialId: String
    public var readiness: ReadinessFacts?
    public var blockers: String?

    public init(vialId: String, status: VialStatus, reservedFor: String?, scannedSubjectId: String, scannedVialId: String,
                readiness: ReadinessFacts?, blockers: String?) {
        self.vialId = vialId; self.status = status; self.reservedFor = reservedFor; self.scannedSubjectId = scannedSubjectId
        self.scannedVialId = scannedVialId; self.readiness = readiness; self.blockers = blockers
    }
}

/// Thaw at the site: the vial and the patient band scanned (rule 9), the vial received, the patient ready today (rule 8),
/// nothing blocking (rule 3). Database twins: `check_handoff_scanned()` and `check_thaw_readiness()` (037).
public enum Thaw {
    public static func check(_ f: ThawFacts) throws(DomainError) {
        try HandOff.check(.thaw, field: "scannedVialId", what: "vial", expected: [f.vialId], scanned: [f.scannedVialId])
        if f.scannedSubjectId.isEmpty {
            throw .invalid(field: "subjectId", rule: "thaw refused, chain of identity: scan the patient's band")
        }
        if f.reservedFor != f.scannedSubjectId {
            throw .conflict(field: "subjectId", rule: "thaw refused, chain of identity: vial \(f.vialId) is reserved for \(f.reservedFor ?? "nobody"), not for the patient scanned (\(f.scannedSubjectId))")
        }
        if f.status != .received {
            throw .conflict(field: "vialId", rule: "vial \(f.vialId) is \(f.status.rawValue); only a vial received at the site is thawed")
        }
        if let r = f.readiness { try InfusionReadiness.check(r) }
        if let why = f.blockers { throw .conflict(field: "vialId", rule: "vial \(f.vialId) may not be thawed: \(why)") }
    }
}

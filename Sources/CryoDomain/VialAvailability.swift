/// A vial's effective availability (PRODUCT.md rules 3 and 10): its status and every reason that stops its use — its
/// own hold, its lot's status, expiry and holds, its donor's and its freezer's holds, a check-out. Twin of the SQL
/// function `vial_availability(ids)` (migration 038), which the store reads set-based for maps and lists;
/// `vial_blockers(id)` is those reasons joined, for the triggers of rule 3.
public struct VialAvailability: Sendable, Equatable, Codable {
    /// Why a vial may not be used: a code for machines and a sentence for people.
    public struct Reason: Sendable, Equatable, Hashable, Codable {
        public var code: Code
        public var detail: String
        public init(code: Code, detail: String) { self.code = code; self.detail = detail }
    }

    public enum Code: String, Sendable, CaseIterable, Codable {
        case lotNotReleased = "lot-not-released", lotRejected = "lot-rejected", lotRecalled = "lot-recalled"
        case lotExpired = "lot-expired", checkedOut = "checked-out"
        case vialOnHold = "vial-on-hold", lotOnHold = "lot-on-hold", donorOnHold = "donor-on-hold", freezerOnHold = "freezer-on-hold"

        /// An active hold (of the vial, its lot, donor or freezer), as opposed to a state of the lot or the vial.
        public var isHold: Bool { [.vialOnHold, .lotOnHold, .donorOnHold, .freezerOnHold].contains(self) }
    }

    /// What the reasons are computed from.
    public struct Facts: Sendable {
        public struct Hold: Sendable {
            public var subjectType: String, subjectId: String, reason: String
            public init(subjectType: String, subjectId: String, reason: String) {
                self.subjectType = subjectType; self.subjectId = subjectId; self.reason = reason
            }
        }
        public var vialId: String, lotNumber: String, lotStatus: LotStatus, expiresOn: CalendarDay
        /// The purpose of the open check-out, if any.
        public var checkedOutFor: String?
        /// The active holds on the vial, its lot, donor or freezer, oldest first.
        public var holds: [Hold]
        public init(vialId: String, lotNumber: String, lotStatus: LotStatus, expiresOn: CalendarDay, checkedOutFor: String?, holds: [Hold]) {
            self.vialId = vialId; self.lotNumber = lotNumber; self.lotStatus = lotStatus; self.expiresOn = expiresOn
            self.checkedOutFor = checkedOutFor; self.holds = holds
        }
    }

    public var status: VialStatus
    public var reasons: [Reason]

    public init(status: VialStatus, reasons: [Reason]) { self.status = status; self.reasons = reasons }

    public init(status: VialStatus, facts: Facts, today: CalendarDay) {
        self.init(status: status, reasons: Self.reasons(facts, today: today))
    }

    /// Nothing stops the vial (rule 3): it may be allocated, shipped or administered as its status allows.
    public var unblocked: Bool { reasons.isEmpty }
    /// In storage and free to allocate.
    public var available: Bool { status == .stored && reasons.isEmpty }
    /// An active hold covers it (its own, or its lot's, donor's or freezer's).
    public var held: Bool { reasons.contains { $0.code.isHold } }
    /// Stopped for a reason other than a hold: the lot's status or expiry, a check-out.
    public var blocked: Bool { !reasons.isEmpty && !held }

    /// The reasons, in the order the SQL twin gives them: the lot's status, expiry, a check-out, then the holds.
    public static func reasons(_ f: Facts, today: CalendarDay) -> [Reason] {
        var out: [Reason] = []
        switch f.lotStatus {
        case .inProcess: out.append(Reason(code: .lotNotReleased, detail: "lot \(f.lotNumber) is in process, not released"))
        case .quarantine: out.append(Reason(code: .lotNotReleased, detail: "lot \(f.lotNumber) is in quarantine, not released"))
        case .rejected: out.append(Reason(code: .lotRejected, detail: "lot \(f.lotNumber) was rejected"))
        case .recalled: out.append(Reason(code: .lotRecalled, detail: "lot \(f.lotNumber) was recalled"))
        case .released, .onHold, .expired: break  // on-hold: the lot's hold says why, below
        }
        if f.lotStatus == .expired || f.expiresOn < today {
            out.append(Reason(code: .lotExpired, detail: "lot \(f.lotNumber) expired on \(f.expiresOn)"))
        }
        if let purpose = f.checkedOutFor {
            out.append(Reason(code: .checkedOut, detail: "vial \(f.vialId) is checked out of storage (\(purpose))"))
        }
        for h in f.holds {
            guard let code = Code(rawValue: "\(h.subjectType)-on-hold") else { continue }
            out.append(Reason(code: code, detail: "\(h.subjectType) \(h.subjectId) is on hold: \(h.reason)"))
        }
        return out
    }

    /// The reasons as one sentence, as `vial_blockers()` gives them; nil when nothing stops the vial.
    public var summary: String? { reasons.isEmpty ? nil : reasons.map(\.detail).joined(separator: "; ") }
}

extension VialStatus {
    /// Which statuses may sit in a storage position (a shipped, thawed or used vial never goes back).
    /// Twin of `vial_status_may_sit_in_position()` (migration 038), applied by the triggers on `vial_position` and
    /// `vial_checkout`.
    public var maySitInPosition: Bool { self == .stored || self == .reserved }
}

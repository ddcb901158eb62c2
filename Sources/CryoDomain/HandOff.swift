import Foundation

/// The hand-offs of the dispense chain, each needing the scanned ids of what is handed over (rule 9).
public enum HandOffStep: String, Sendable, CaseIterable {
    case pick, ship, receive, thaw, administer

    /// The custody action that records a completed hand-off (its details carry `scannedVial`).
    public var action: String {
        switch self {
        case .pick: "vial.picked"
        case .ship: "vial.shipped"
        case .receive: "vial.received"
        case .thaw: "vial.thawed"
        case .administer: "vial.administered"
        }
    }
}

/// Rule 9, chain of identity at every hand-off: what is scanned is exactly what is handed over, each once.
/// Database twin: `handoff_scan_missing(vial, action)` (037), called by the deferred triggers `vial_handoff_scanned`
/// and `vial_pick_scanned`: no vial changes hands without a custody event of that hand-off carrying its scan.
public enum HandOff {
    /// `expected`: the ids handed over; `scanned`: what was scanned. `what` names the thing in the sentence ("vial", "dry shipper").
    public static func check(_ step: HandOffStep, field: String, what: String, expected: [String], scanned: [String]) throws(DomainError) {
        let scanned = scanned.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let wrong = scanned.filter { !expected.contains($0) }
        let missing = expected.filter { !scanned.contains($0) }
        let twice = Set(scanned.filter { s in scanned.filter { $0 == s }.count > 1 })
        var parts: [String] = []
        if !wrong.isEmpty {
            parts.append("scanned \(what) \(wrong.joined(separator: ", ")) \(wrong.count == 1 ? "is" : "are") not what is handed over (\(expected.joined(separator: ", ")))")
        }
        if !missing.isEmpty { parts.append("\(what) \(missing.joined(separator: ", ")) not scanned") }
        if !twice.isEmpty { parts.append("\(what) \(twice.sorted().joined(separator: ", ")) scanned twice") }
        if !parts.isEmpty {
            throw .conflict(field: field, rule: "\(step.rawValue) refused, chain of identity: " + parts.joined(separator: "; "))
        }
    }
}

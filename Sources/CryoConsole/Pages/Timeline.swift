import CryoDomain
import CryoStore
import Foundation

/// One custody event as the `timeline` partial shows it: in a sentence, with its hash and signature.
struct TimelineEvent: Sendable {
    let seq: Int64, when: String, who: String, role: String, action: String, what: String
    let from: String, to: String, reason: String, hash: String, shortHash: String
    let signature: String?

    init(_ e: CustodyEventRecord) {
        seq = e.seq; when = Console.timestamp(e.occurredAt); who = e.actorName; role = e.actorRole; action = e.action
        what = EventSentences.sentence(for: e.action)
        from = [e.fromState, e.fromLocation].compactMap { $0 }.joined(separator: " · ")
        to = [e.toState, e.toLocation].compactMap { $0 }.joined(separator: " · ")
        reason = e.reason ?? ""; hash = e.hash; shortHash = String(e.hash.prefix(12))
        signature = e.signature.map { "signed by \($0.printedName) at \($0.signedAt), meaning: \($0.meaning)" }
    }
}

extension Console {
    /// UTC with its zone, to the second.
    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }

    /// A vial's availability in words (rule 10): what it is in effect, before the reasons.
    static func availabilityWords(_ a: VialAvailability) -> String {
        if a.held { return "on hold, not usable" }
        if !a.unblocked { return "blocked, not usable" }
        return a.available ? "available" : "\(a.status)"
    }
}

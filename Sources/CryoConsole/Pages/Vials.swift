import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Status, location, lot, product, expiry, holds, and the custody timeline with each event's hash and
    /// whether its chain verifies.
    func vialCard(_ id: String, message: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let vialId = try VialID(parsing: id).value
        let vial = try await store.vial(id: vialId, actor: user, logger: logger)
        let events = try await store.custodyEvents(subjectType: "vial", subjectId: vialId, actor: user, logger: logger)
        let chain = try await store.verifyChain(subjectType: "vial", subjectId: vialId, actor: user, logger: logger)
        let location: [String: Any]? = vial.location.map { l in
            ["site": l.siteCode, "freezer": l.freezerId, "rack": l.rackId, "box": l.boxId, "position": l.label]
        }
        return try page("vial", title: "Vial \(vialId)", [
            "vial": ["id": vial.id, "lot": vial.lotNumber, "product": vial.productCode, "status": "\(vial.status)",
                     "lotStatus": "\(vial.lotStatus)", "expiresOn": vial.expiresOn, "glyph": VialGlyph(vial.availability).symbol,
                     "availability": Self.availabilityWords(vial.availability), "availabilityCss": VialGlyph(vial.availability).css,
                     "checkedOutSince": vial.checkedOutSince.map(Self.timestamp) as Any, "minutesOut": vial.minutesOutOfStorage],
            "location": location as Any,
            "holds": vial.availability.reasons.filter(\.code.isHold).map(\.detail),
            "blockers": vial.availability.reasons.filter { !$0.code.isHold }.map(\.detail),
            "hasBlockers": vial.availability.reasons.contains { !$0.code.isHold },
            "events": events.map(Self.eventRow),
            "chainIntact": chain.intact, "chainProblems": chain.problems,
            "canMove": user.role.may(.placeVial) && location != nil,
            "message": message as Any,
        ], status: status)
    }

    func moveVial<Context: RequestContext>(_ id: String, _ request: Request, _ context: Context) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let column = Int(ScanText.trimmed(form["column"] ?? ""))
        do {
            let row = try BoxRow.parse(form["row"] ?? "")
            guard let column else { throw DomainError.invalid(field: "column", rule: "must be a number") }
            _ = try await store.moveVial(id: id, to: Position(boxId: form["box"] ?? "", row: row, column: column),
                                         reason: form["reason"], actor: user, logger: logger)
            return Response.redirect(to: "/console/vials/\(id)", type: .normal)
        } catch let error as DomainError {
            guard case .invalid = error else {
                if case .conflict = error { return try await vialCard(id, message: error.description, status: .conflict) }
                throw error
            }
            return try await vialCard(id, message: error.description, status: .badRequest)
        }
    }


    /// A vial's availability in words (rule 10): what it is in effect, before the reasons.
    static func availabilityWords(_ a: VialAvailability) -> String {
        if a.held { return "on hold, not usable" }
        if !a.unblocked { return "blocked, not usable" }
        return a.available ? "available" : "\(a.status)"
    }

    static func eventRow(_ e: CustodyEventRecord) -> [String: Any] {
        return ["seq": e.seq, "when": timestamp(e.occurredAt), "who": e.actorName, "role": e.actorRole, "action": e.action, "what": EventSentences.sentence(for: e.action),
                "from": [e.fromState, e.fromLocation].compactMap { $0 }.joined(separator: " · "),
                "to": [e.toState, e.toLocation].compactMap { $0 }.joined(separator: " · "),
                "reason": e.reason ?? "", "hash": e.hash, "shortHash": String(e.hash.prefix(12)),
                "signature": e.signature.map { "signed by \($0.printedName) at \($0.signedAt), meaning: \($0.meaning)" } as Any]
    }

    /// UTC with its zone, to the second.
    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }
}

import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Filters (product, status, expiring within N days), keyset paging, counts of vials by status.
    func lotList(_ request: Request) async throws -> Response {
        let user = try signedIn()
        let q = request.uri.queryParameters
        let product = q["product"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let statusText = q["status"].map(String.init) ?? ""
        let status = LotStatus(rawValue: statusText)
        let within = q["expiringWithin"].flatMap { Int(String($0)) }
        let after = q["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let found = try await store.listLots(product: product, status: status, limit: 50, after: after, actor: user, logger: logger)
        let today = CalendarDay.today()
        let lots = found.lots.filter { lot in
            guard let within, let day = CalendarDay(lot.expiresOn) else { return true }
            return day - today <= within
        }
        var next: String?
        if let cursor = found.nextCursor {
            var parts = ["after=\(cursor)"]
            if let product { parts.append("product=\(product)") }
            if status != nil { parts.append("status=\(statusText)") }
            if let within { parts.append("expiringWithin=\(within)") }
            next = "/console/lots?" + parts.joined(separator: "&")
        }
        return try page("lots", title: "Lots", [
            "lots": lots.map(LotRow.init), "empty": lots.isEmpty, "next": next as Any,
            "product": product ?? "", "expiringWithin": within.map(String.init) ?? "",
            "statuses": LotStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == status] },
        ])
    }

    func lotPage(_ number: String) async throws -> Response {
        let user = try signedIn()
        let lot = try await store.lot(number: number, actor: user, logger: logger)
        let events = try await store.custodyEvents(subjectType: "lot", subjectId: number, actor: user, logger: logger)
        let holds = try await store.listHolds(subject: .lot, id: number, activeOnly: true, actor: user, logger: logger)
        let chain = try await store.verifyChain(subjectType: "lot", subjectId: number, actor: user, logger: logger)
        let vials = try await store.lotVials(lotNumber: number, actor: user, logger: logger)
        return try page("lot", title: "Lot \(number)", [
            "lot": LotRow(lot), "events": events.map(Self.eventRow), "chainIntact": chain.intact, "chainProblems": chain.problems,
            "vials": vials.map { v in
                ["id": v.id, "ordinal": v.ordinal, "status": v.status.rawValue, "position": v.location?.label ?? "not in storage",
                 "glyph": VialGlyph(v.availability).symbol, "css": VialGlyph(v.availability).css,
                 "availability": Self.availabilityWords(v.availability), "reasons": v.availability.summary ?? "", "hasReasons": !v.availability.unblocked] as [String: Any]
            },
            "holds": holds.map { ["reason": $0.reason, "placedBy": $0.placedBy, "placedAt": Self.timestamp($0.placedAt)] },
        ])
    }
}

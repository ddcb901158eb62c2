import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    func freezerList() async throws -> Response {
        let user = try signedIn()
        let freezers = try await store.freezers(actor: user, logger: logger)
        return try page("freezers", title: "Freezers", ["freezers": freezers.map { f in
            ["id": f.id, "name": f.name, "site": f.siteCode, "kind": f.kind, "occupied": f.occupied, "capacity": f.capacity,
             "utilisation": Self.percent(f.occupied, f.capacity)] as [String: Any]
        }])
    }

    /// Site › freezer › rack › box, each box as its grid (`BoxGrid`), with utilisation per box and freezer.
    func freezerPage(_ id: String, _ request: Request, evacuation: [String: Any]? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let map = try await store.freezerMap(id: id, actor: user, logger: logger)
        let daysLeft = BoxGrid.daysLeft(map, today: CalendarDay.today())
        let racks: [[String: Any]] = map.racks.map { rack in
            ["label": rack.label, "boxes": rack.boxes.map { BoxGrid(box: $0, daysLeft: daysLeft).context }]
        }
        return try page("freezer", title: "Freezer \(map.freezerId)", [
            "freezer": ["id": map.freezerId, "name": map.name, "site": map.siteCode, "kind": map.kind, "maxCelsius": map.maxCelsius,
                        "occupied": map.occupied, "capacity": map.occupied + map.free,
                        "utilisation": Self.percent(map.occupied, map.occupied + map.free)],
            "racks": racks, "legend": VialGlyph.legend,
            "canEvacuate": user.role.may(.placeVial) && map.occupied > 0,
            "evacuation": evacuation ?? ["samePositions": true],
        ], status: status)
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "0 %" : "\(Int((Double(part) / Double(whole) * 100).rounded())) %"
    }
}

/// Row letters as printed on boxes: A for row 1.
enum PositionLabel {
    static func rowLetter(_ row: Int) -> String {
        row >= 1 && row <= 26 ? String(UnicodeScalar(UInt8(64 + row))) : "R\(row)"
    }
}

/// A vial status's glyph and colour class: the legend on every map says what each means.
struct VialGlyph {
    let symbol: String, css: String, meaning: String

    static let empty = VialGlyph(symbol: "·", css: "empty", meaning: "empty position")
    static let held = VialGlyph(symbol: "⚠", css: "held", meaning: "on hold: the vial, its lot, donor or freezer")
    static let blocked = VialGlyph(symbol: "⊘", css: "blocked", meaning: "not usable: lot not released, rejected, recalled or expired, or checked out")

    /// The glyph of a vial as it is in effect: held or blocked before its status (rule 10).
    init(_ availability: VialAvailability) {
        self = availability.held ? Self.held : availability.unblocked ? VialGlyph(status: availability.status.rawValue) : Self.blocked
    }
    static let byStatus: [String: VialGlyph] = [
        "stored": VialGlyph(symbol: "●", css: "stored", meaning: "stored"),
        "reserved": VialGlyph(symbol: "◆", css: "reserved", meaning: "reserved for a patient"),
        "shipped": VialGlyph(symbol: "▲", css: "shipped", meaning: "shipped"),
        "received": VialGlyph(symbol: "■", css: "received", meaning: "received at site"),
        "thawed": VialGlyph(symbol: "✱", css: "thawed", meaning: "thawed"),
        "administered": VialGlyph(symbol: "✓", css: "administered", meaning: "administered"),
        "destroyed": VialGlyph(symbol: "✕", css: "destroyed", meaning: "destroyed"),
    ]

    init(symbol: String, css: String, meaning: String) { self.symbol = symbol; self.css = css; self.meaning = meaning }
    init(status: String) { self = Self.byStatus[status] ?? VialGlyph(symbol: "?", css: "unknown", meaning: status) }

    static var legend: [[String: String]] {
        (["stored", "reserved", "shipped", "received", "thawed", "administered", "destroyed"].compactMap { byStatus[$0] } + [held, blocked, empty])
            .map { ["symbol": $0.symbol, "css": $0.css, "meaning": $0.meaning] }
    }
}

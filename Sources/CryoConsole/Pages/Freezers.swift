import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// The freezers: site, kind, and how full each is.
struct FreezerListPage: PageView {
    static let template = "freezers"
    struct Row: Sendable { let id: String, name: String, site: String, kind: String, occupied: Int, capacity: Int, utilisation: String }
    let title = "Freezers"
    let freezers: [Row]
}

/// Site › freezer › rack › box, each box as its grid (`BoxGrid`, written as HTML), with utilisation per box and
/// freezer; the evacuation form, which keeps what was entered when it is refused.
struct FreezerPage: PageView {
    static let template = "freezer"
    struct Freezer: Sendable {
        let id: String, name: String, site: String, kind: String, maxCelsius: Double, occupied: Int, capacity: Int, utilisation: String
    }
    struct Rack: Sendable { let label: String; let boxes: [BoxGrid.View] }
    struct Evacuation: Sendable {
        let target: String, reason: String, samePositions: Bool
        /// A refusal that names none of the form's fields, said beside the form.
        let message: String?
    }
    var title: String { "Freezer \(freezer.id)" }
    let freezer: Freezer
    let racks: [Rack]
    let legend: [VialGlyph]
    let canEvacuate: Bool
    let evacuation: Evacuation
}

extension Console {
    /// The evacuation form's fields, with the id of each input on the freezer page.
    static let evacuationFields = ["target": "evacuate-target", "mode": "evacuate-mode", "reason": "evacuate-reason"]

    func freezerList() async throws -> Response {
        let user = try signedIn()
        let freezers = try await store.freezers(actor: user, logger: logger)
        return try render(FreezerListPage(freezers: freezers.map { f in
            .init(id: f.id, name: f.name, site: f.siteCode, kind: f.kind, occupied: f.occupied, capacity: f.capacity,
                  utilisation: Self.percent(f.occupied, f.capacity))
        }))
    }

    /// `refused`: an evacuation the Store refused, shown with the refusal layout and the values entered.
    func freezerPage(_ id: String, refused: (form: EvacuationForm, refusal: Refusal)? = nil,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let map = try await store.freezerMap(id: id, actor: user, logger: logger)
        let daysLeft = BoxGrid.daysLeft(map, today: CalendarDay.today())
        let racks = map.racks.map { rack in
            FreezerPage.Rack(label: rack.label, boxes: rack.boxes.map { BoxGrid(box: $0, daysLeft: daysLeft).view })
        }
        let form = refused?.form
        let view = FreezerPage(
            freezer: .init(id: map.freezerId, name: map.name, site: map.siteCode, kind: map.kind, maxCelsius: map.maxCelsius,
                           occupied: map.occupied, capacity: map.occupied + map.free,
                           utilisation: Self.percent(map.occupied, map.occupied + map.free)),
            racks: racks, legend: VialGlyph.legend, canEvacuate: user.role.may(.placeVial) && map.occupied > 0,
            evacuation: .init(target: form?.target ?? "", reason: form?.reason ?? "",
                              samePositions: form?.mode != EvacuationMode.freePositions.rawValue,
                              message: refused.flatMap { $0.refusal.items.first?.anchor == nil ? $0.refusal.items.first?.message : nil }))
        return try render(view, status: status, refusal: refused?.refusal)
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
struct VialGlyph: Sendable {
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

    static let legend: [VialGlyph] =
        ["stored", "reserved", "shipped", "received", "thawed", "administered", "destroyed"].compactMap { byStatus[$0] } + [held, blocked, empty]
}

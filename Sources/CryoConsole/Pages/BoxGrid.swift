import CryoDomain
import CryoStore

/// A box drawn as the grid printed on real boxes (rows A–I, columns 1–9): one cell per position with the vial's
/// short id and lot, coloured by status *and* marked with a glyph (never colour alone); a vial its availability stops
/// (rule 10: a hold on it, its lot, donor or freezer; its lot's status or expiry; a check-out) is drawn held or
/// blocked whatever its status, with the reasons in its title; soon-expiring vials flagged, empty positions hatched.
///
/// Written straight to HTML rather than through the template: a freezer page has hundreds of cells, and
/// resolving a dozen template keys per cell through the context stack was most of the page's time (profile of
/// Benchmarks/console/run.sh). Every value is escaped here.
struct BoxGrid {
    let box: FreezerMap.Box
    /// Days left to each expiry date on the page (parsed once per date, not once per cell).
    let daysLeft: [String: Int]

    static func daysLeft(_ map: FreezerMap, today: CalendarDay) -> [String: Int] {
        var days: [String: Int] = [:]
        for rack in map.racks { for box in rack.boxes { for slot in box.slots {
            if let date = slot.expiresOn, days[date] == nil, let day = CalendarDay(date) { days[date] = day - today }
        } } }
        return days
    }

    /// Positions expiring within this many days are marked.
    static let soonDays = 30

    /// A box as the freezer page's template shows it: its caption's values and its grid, already HTML.
    struct View: Sendable { let id: String, label: String, occupied: Int, places: Int, utilisation: String, grid: String }

    var view: View {
        View(id: box.id, label: box.label, occupied: box.occupied, places: box.occupied + box.free,
             utilisation: Console.percent(box.occupied, box.occupied + box.free), grid: html)
    }

    var html: String {
        let rows = max(box.rows, 1), columns = max(box.columns, 1)
        var slots = [FreezerMap.Slot?](repeating: nil, count: rows * columns)
        for slot in box.slots where (1...rows).contains(slot.row) && (1...columns).contains(slot.column) {
            slots[(slot.row - 1) * columns + slot.column - 1] = slot
        }
        var out = "<table class=\"grid\" aria-label=\"Box \(HTML.escape(box.id))\">\n<thead><tr><th></th>"
        out.reserveCapacity(rows * columns * 260)
        for c in 1...columns { out += "<th scope=\"col\">\(c)</th>" }
        out += "</tr></thead>\n<tbody>"
        for r in 1...rows {
            let letter = PositionLabel.rowLetter(r)
            out += "<tr><th scope=\"row\">\(letter)</th>"
            for c in 1...columns {
                out += "<td>"
                cell(slots[(r - 1) * columns + c - 1], label: "\(letter)\(c)", into: &out)
                out += "</td>"
            }
            out += "</tr>"
        }
        out += "</tbody>\n</table>"
        return out
    }

    private func cell(_ slot: FreezerMap.Slot?, label: String, into out: inout String) {
        guard let slot, let vial = slot.vialId else {
            out += "<span class=\"cell empty\" data-empty title=\"\(label): empty\">\(VialGlyph.empty.symbol)</span>"
            return
        }
        let status = slot.status ?? "stored"
        let isHeld = slot.reasons.contains { $0.code.isHold }
        let isBlocked = !isHeld && !slot.reasons.isEmpty
        let glyph = isHeld ? VialGlyph.held : isBlocked ? VialGlyph.blocked : VialGlyph(status: status)
        let days = slot.expiresOn.flatMap { daysLeft[$0] }
        let soon = (days ?? Int.max) <= Self.soonDays
        let expiry = days.map { $0 < 0 ? "expired \(-$0) d ago" : "expires in \($0) d" } ?? ""
        out += "<a class=\"cell \(glyph.css)\(soon ? " soon" : "")\" href=\"/console/vials/\(HTML.escape(vial))\""
        if isHeld || isBlocked { out += " data-held" }
        if isBlocked { out += " data-blocked" }
        if soon { out += " data-soon" }
        out += " title=\"\(label) · \(HTML.escape(status)) · \(expiry)"
        for r in slot.reasons { out += " · \(HTML.escape(r.detail))" }
        out += "\">"
        out += "<i aria-hidden=\"true\">\(glyph.symbol)</i> \(HTML.escape(String(vial.suffix(5))))<small>\(HTML.escape(slot.lotNumber ?? ""))</small></a>"
    }
}

/// Text and attribute values made safe for HTML.
enum HTML {
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

import CryoDomain

extension ExportScope {
    /// A download's file name, by scope and the day it was made (UTC): `custody-lot-A501-26001-2026-12-07.pdf`.
    public func fileName(format: String, on day: CalendarDay = .today()) -> String {
        let scope = switch self {
        case .vial(let id): "vial-\(id)"
        case .lot(let n): "lot-\(n)"
        case .donor(let c): "donor-\(c)"
        case .patient(let p): "patient-\(p)"
        case .period(let from, let to): "period-\(from)-to-\(to)"
        }
        // Ids are validated upper-case letters, digits and hyphens; anything else is kept out of a header value.
        let safe = String(scope.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
        return "custody-\(safe)-\(day).\(format)"
    }
}

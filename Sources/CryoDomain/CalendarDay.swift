import Foundation

/// An ISO calendar day (`2026-06-01`) with no time zone, as lots, expiries and infusion dates are kept.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let ordinal: Int

    public init(ordinal: Int) { self.ordinal = ordinal }

    public init?(_ text: String) {
        guard let m = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})/),
              let y = Int(m.1), let mo = Int(m.2), let d = Int(m.3),
              (1...12).contains(mo), d >= 1, d <= CalendarDay.daysInMonth(y, mo) else { return nil }
        ordinal = CalendarDay.daysFromCivil(y, mo, d)
    }

    public init(parsing text: String, field: String) throws(DomainError) {
        guard let day = CalendarDay(text) else {
            throw .invalid(field: field, rule: "must be a calendar date YYYY-MM-DD")
        }
        self = day
    }

    public static func today(_ now: Date = Date()) -> CalendarDay {
        CalendarDay(ordinal: Int((now.timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    public func adding(days: Int) -> CalendarDay { CalendarDay(ordinal: ordinal + days) }
    public static func - (a: CalendarDay, b: CalendarDay) -> Int { a.ordinal - b.ordinal }
    public static func < (a: CalendarDay, b: CalendarDay) -> Bool { a.ordinal < b.ordinal }

    public var description: String {
        let (y, m, d) = CalendarDay.civilFromDays(ordinal)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil algorithm (proleptic Gregorian calendar).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

import CivilCalendar
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

    static func daysInMonth(_ y: Int, _ m: Int) -> Int { CivilCalendar.daysInMonth(year: y, month: m) }
    static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int { CivilCalendar.daysFromCivil(year: y, month: m, day: d) }
    static func civilFromDays(_ z: Int) -> (Int, Int, Int) { CivilCalendar.civil(fromDays: z) }
}

import CivilCalendar
import Foundation

/// An ISO calendar day (`2026-06-01`) with no time zone, as lots, expiries and infusion dates are kept.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let ordinal: Int

    public init(ordinal: Int) { self.ordinal = ordinal }

    /// `YYYY-MM-DD`, byte by byte (a regex literal is compiled anew on every call: it was the most expensive
    /// step of a lot registration through the API).
    public init?(_ text: String) {
        var digits = [Int](repeating: 0, count: 8)
        var n = 0
        for (i, b) in text.utf8.enumerated() {
            if i == 4 || i == 7 {
                guard b == UInt8(ascii: "-") else { return nil }
            } else {
                guard i < 10, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return nil }
                digits[n] = Int(b - UInt8(ascii: "0"))
                n += 1
            }
        }
        guard n == 8 else { return nil }
        let y = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3]
        let mo = digits[4] * 10 + digits[5], d = digits[6] * 10 + digits[7]
        guard (1...12).contains(mo), d >= 1, d <= CalendarDay.daysInMonth(y, mo) else { return nil }
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
        guard (0...9999).contains(y) else { return String(format: "%04d-%02d-%02d", y, m, d) }
        func digit(_ v: Int) -> UInt8 { UInt8(ascii: "0") + UInt8(v) }
        let dash = UInt8(ascii: "-")
        let bytes: [UInt8] = [digit(y / 1000), digit(y / 100 % 10), digit(y / 10 % 10), digit(y % 10), dash,
                              digit(m / 10), digit(m % 10), dash, digit(d / 10), digit(d % 10)]
        return String(decoding: bytes, as: UTF8.self)
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int { CivilCalendar.daysInMonth(year: y, month: m) }
    static func daysFromCivil(_ y: Int, _ m: Int, _ d: Int) -> Int { CivilCalendar.daysFromCivil(year: y, month: m, day: d) }
    static func civilFromDays(_ z: Int) -> (Int, Int, Int) { CivilCalendar.civil(fromDays: z) }
}

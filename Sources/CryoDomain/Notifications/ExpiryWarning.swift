/// Issue 28: a lot entering its last 30 and its last 7 days before expiry is announced once per threshold
/// (`lot.expiring-30-days`, `lot.expiring-7-days`). The expiry day itself is still usable (a lot expires the day after
/// it, `Store.expireDueLots`): a lot gets the 7-day warning once `expiry - today <= 7`, the 30-day one once it is
/// <= 30. Only lots still usable (quarantine, released, on hold) are warned of. Written once per lot and threshold by
/// the unique index `lot_expiry_warning_once` (migration 050), even when two sweeps race.
public enum ExpiryWarning: Int, CaseIterable, Sendable, Comparable {
    case thirtyDays = 30
    case sevenDays = 7

    /// The days before expiry at which each warning is due, widest first.
    public static var horizon: Int { allCases.map(\.rawValue).max()! }

    /// The narrowest warning reached on `today` for a lot that expires on `expiry`; nil before the widest one is reached
    /// and once the lot is past its expiry date (then `lot.expired` speaks). A lot first seen with 5 days left gets the
    /// 7-day warning only.
    public static func threshold(expiry: CalendarDay, today: CalendarDay) -> ExpiryWarning? {
        let daysLeft = expiry.ordinal - today.ordinal
        guard daysLeft >= 0 else { return nil }
        return allCases.sorted().first { daysLeft <= $0.rawValue }
    }

    /// The custody action (and notification kind) of the warning.
    public var action: String { "lot.expiring-\(rawValue)-days" }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

import Foundation

/// The thaw-to-infusion window: a thawed vial is infused within its product's limit (e.g. 30 minutes) of the thaw.
/// The one place it is computed in Swift; its database twin is `thaw_window_closes_at(vial)` (037).
public enum ThawWindow {
    public static func closesAt(thawedAt: Date, limitMinutes: Int) -> Date { thawedAt.addingTimeInterval(Double(limitMinutes) * 60) }

    /// Closed once `now` is past the end of the window; a vial not thawed has no window yet.
    public static func hasClosed(closesAt: Date?, now: Date) -> Bool { closesAt.map { now > $0 } ?? false }
}

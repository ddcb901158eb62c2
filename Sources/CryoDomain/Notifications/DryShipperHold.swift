import Foundation

/// Issue 28: a shipment not yet received whose dry shipper is running out of its validated hold time is announced once
/// (`shipment.hold-running-out`). The hold ends `validatedHoldHours` after `shippedAt`; the warning is due when less
/// than 20 % of the validated hold is left, but never earlier than 12 hours before its end (a 240-hour shipper warns
/// 12 hours before, a 24-hour one 4.8 hours before); also when the hold has already run out and nobody was told.
/// Written once per shipment by the unique index `shipment_hold_warning_once` (migration 050).
public enum DryShipperHold {
    public static let share = 0.2
    public static let maximumWarning: TimeInterval = 12 * 3600

    public static func holdEnds(shippedAt: Date, validatedHoldHours: Int) -> Date {
        shippedAt.addingTimeInterval(TimeInterval(validatedHoldHours) * 3600)
    }

    /// How long before the end of the hold the warning is due.
    public static func warning(validatedHoldHours: Int) -> TimeInterval {
        min(maximumWarning, TimeInterval(validatedHoldHours) * 3600 * share)
    }

    public static func isRunningOut(shippedAt: Date, validatedHoldHours: Int, now: Date) -> Bool {
        holdEnds(shippedAt: shippedAt, validatedHoldHours: validatedHoldHours).timeIntervalSince(now) < warning(validatedHoldHours: validatedHoldHours)
    }
}

import Foundation

/// Why a vial or box leaves its freezer for a while, its position kept for it.
public enum CheckoutPurpose: String, Sendable, CaseIterable, Codable {
    case inventoryCheck = "inventory-check", shipmentPick = "shipment-pick", rackMaintenance = "rack-maintenance"
}

/// The time-out-of-storage rule: a vial's completed check-outs, summed, may not exceed its product's limit;
/// past it the vial is held (twin: `time_out_of_storage_exceeded()`, enforced at check-in by `vial_time_out_of_storage`).
public enum TimeOutOfStorage {
    /// A product's limit when none is given. Twin of `time_out_of_storage_default_minutes()` (migration 038), the
    /// default of `product.max_time_out_minutes`.
    public static let defaultLimitMinutes = 30

    /// Seconds out over completed check-outs (out, in).
    public static func totalSeconds(_ spans: [(out: Date, in: Date)]) -> Double {
        spans.reduce(0) { $0 + max(0, $1.in.timeIntervalSince($1.out)) }
    }

    public static func exceeded(totalSeconds: Double, limitMinutes: Int) -> Bool {
        totalSeconds > Double(limitMinutes) * 60
    }

    /// Whole minutes, rounded up from whole seconds: 61 seconds out is 2 minutes on the record (the seconds are rounded
    /// first, so that the database's microsecond timestamps do not turn 20 minutes into 21).
    public static func minutes(_ seconds: Double) -> Int { Int((seconds.rounded() / 60).rounded(.up)) }

    public static func holdReason(totalSeconds: Double, limitMinutes: Int) -> String {
        "time out of storage \(minutes(totalSeconds)) min exceeds the product's limit of \(limitMinutes) min"
    }
}

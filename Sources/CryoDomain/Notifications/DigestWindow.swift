import Foundation

/// The windows of digest e-mails: an hourly digest covers the hour that ended last (UTC), a daily one the day that
/// ended last at midnight UTC. A window is sent once, after it has closed.
public enum DigestWindow {
    public static func seconds(_ period: NotificationMode) -> Int? {
        switch period {
        case .hourly: 3600
        case .daily: 86_400
        case .immediate, .off: nil
        }
    }

    /// The end of the latest closed window of `period` at `now`.
    public static func latestEnd(_ period: NotificationMode, now: Date) -> Date? {
        guard let length = seconds(period) else { return nil }
        let t = Int(now.timeIntervalSince1970.rounded(.down))
        return Date(timeIntervalSince1970: TimeInterval(t - t % length))
    }
}

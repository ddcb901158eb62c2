import Foundation

/// Failed sign-ins are throttled per login name and per client address (issue 24 item 4), apart from the
/// signature lockout: a sign-in never locks anybody's signature. After a few free failures each further failure
/// in a row makes the key wait, twice as long each time, at most 15 minutes; a streak idle for an hour is
/// forgotten. Database twin: `sign_in_throttle_delay()`, applied by `sign_in_throttle_take()` (migration 039).
public enum SignInThrottle {
    public enum Kind: String, Sendable, CaseIterable {
        case login, address
        /// Failures in a row that cost no wait: a person mistyping, or a shared address with several users.
        public var freeFailures: Int { self == .login ? 3 : 10 }
        /// The failure in a row that is reported to administrators as a burst (21 CFR 11.300(d)).
        public var burstAt: Int { self == .login ? 5 : 20 }
    }

    public static let maxDelaySeconds = 900

    /// Seconds the key waits after its `failures`-th failure in a row.
    public static func delaySeconds(_ kind: Kind, failures: Int) -> Int {
        guard failures > kind.freeFailures else { return 0 }
        let doublings = min(failures - kind.freeFailures - 1, 20)
        return min(maxDelaySeconds, 1 << doublings)
    }

    /// The keys an attempt counts against.
    public static func keys(login: String, address: String) -> (login: String, address: String) {
        ("login:" + login.lowercased(), "address:" + address)
    }

    public static func kind(ofKey key: String) -> Kind? { key.split(separator: ":", maxSplits: 1).first.flatMap { Kind(rawValue: String($0)) } }

    /// Whether this failure in a row is the one reported as a burst.
    public static func isBurst(_ kind: Kind, failures: Int) -> Bool { failures == kind.burstAt }

    /// What the person is told while the key waits.
    public static func message(waitSeconds: Int, until: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "HH:mm:ss"
        let span = waitSeconds < 120 ? "\(waitSeconds) second\(waitSeconds == 1 ? "" : "s")" : "\((waitSeconds + 59) / 60) minutes"
        return "too many failed sign-ins for this login name or from this address; try again in \(span) (at \(f.string(from: until)) UTC)"
    }
}

/// A sign-in refused by the throttle, before the password was checked.
public struct SignInThrottled: Error, Sendable, Equatable {
    public let waitSeconds: Int
    public let message: String
    public init(waitSeconds: Int, now: Date = Date()) {
        self.waitSeconds = waitSeconds
        self.message = SignInThrottle.message(waitSeconds: waitSeconds, until: now.addingTimeInterval(Double(waitSeconds)))
    }
}

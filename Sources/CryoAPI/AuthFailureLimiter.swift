import Foundation
import Synchronization

/// Refused with 429 and `Retry-After` while a client address or a token id has failed to authenticate
/// `limits.failures` times in the current window (issue 13 item 11: brute force of token secrets).
public struct AuthenticationThrottled: Error {
    public let retryAfterSeconds: Int
    public var detail: String { "too many failed authentications from this client or for this token; retry after \(retryAfterSeconds) s" }
}

/// Failed authentications per key ("address …", "token …") in fixed windows. Only failures count; a key
/// that reaches the limit is refused until its window ends, before any verification work is done.
public final class AuthFailureLimiter: Sendable {
    public struct Limits: Sendable {
        public var failures: Int
        public var window: Duration
        public init(failures: Int = 10, window: Duration = .seconds(60)) { self.failures = failures; self.window = window }
    }

    private struct Window { var start: ContinuousClock.Instant; var failures: Int }
    private let windows = Mutex<[String: Window]>([:])
    let limits: Limits
    /// Beyond this many keys, windows that have ended are dropped; beyond ten times as many, all are.
    private let sweepAbove = 10_000

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Throws `AuthenticationThrottled` when any of `keys` is at its limit in its current window.
    public func check(_ keys: [String]) throws(AuthenticationThrottled) {
        let now = ContinuousClock.now
        let wait: Duration? = windows.withLock { map in
            keys.compactMap { key -> Duration? in
                guard let w = map[key], now - w.start < limits.window, w.failures >= limits.failures else { return nil }
                return w.start + limits.window - now
            }.max()
        }
        if let wait { throw AuthenticationThrottled(retryAfterSeconds: Self.wholeSeconds(wait)) }
    }

    public func recordFailure(_ keys: [String]) {
        let now = ContinuousClock.now
        windows.withLock { map in
            for key in keys {
                if var w = map[key], now - w.start < limits.window {
                    w.failures += 1
                    map[key] = w
                } else {
                    map[key] = Window(start: now, failures: 1)
                }
            }
            if map.count > sweepAbove {
                map = map.filter { now - $0.value.start < limits.window }
                if map.count > sweepAbove * 10 { map.removeAll() }
            }
        }
    }

    static func wholeSeconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return max(1, Int(s) + (atto > 0 ? 1 : 0))
    }
}

import Foundation
import Synchronization

/// A failed authentication answered 429 with `Retry-After` instead of 401: its client address or token id has
/// failed `limits.failures` times in the current window.
public struct AuthenticationThrottled: Error {
    public let retryAfterSeconds: Int
    public var detail: String { "too many failed authentications from this client or for this token; retry after \(retryAfterSeconds) s" }
}

/// Failed authentications per key ("address …", "token …") in fixed windows (issue 13 item 11; issue 24 item 5).
/// Only failures count, and only failures are slowed: a request is verified first, and one that carries a
/// valid secret is never refused, whatever failed before with its token id or from its address. A failure
/// whose key is past the limit is answered 429 until the window ends, so a guesser learns to wait, and the
/// real holder of the token id is not locked out by someone else's guesses.
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

    /// Counts a failure against every key; throws `AuthenticationThrottled` (the wait) when any of them is now
    /// past its limit in its window. The caller answers 401 when this returns.
    public func recordFailure(_ keys: [String]) throws(AuthenticationThrottled) {
        let now = ContinuousClock.now
        let wait: Duration? = windows.withLock { map in
            var waits: [Duration] = []
            for key in keys {
                var w = map[key].flatMap { now - $0.start < limits.window ? $0 : nil } ?? Window(start: now, failures: 0)
                w.failures += 1
                map[key] = w
                if w.failures > limits.failures { waits.append(w.start + limits.window - now) }
            }
            if map.count > sweepAbove {
                map = map.filter { now - $0.value.start < limits.window }
                if map.count > sweepAbove * 10 { map.removeAll() }
            }
            return waits.max()
        }
        if let wait { throw AuthenticationThrottled(retryAfterSeconds: Self.wholeSeconds(wait)) }
    }

    static func wholeSeconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return max(1, Int(s) + (atto > 0 ? 1 : 0))
    }
}

/// When a failed webhook delivery is tried again, and when it is given up (dead letter): exponential back-off from
/// 10 seconds, doubling, capped at an hour; dead after `maxAttempts` tries. A dead delivery is redelivered only by an
/// administrator (`POST /notifications/deliveries/{id}/redeliver`, `cryoledger notify redeliver`).
public enum DeliveryBackoff {
    public static let maxAttempts = 8
    public static let firstDelaySeconds = 10
    public static let maxDelaySeconds = 3600

    /// Seconds to wait after the `attempts`-th failed try (1-based), or nil when the delivery is now dead.
    public static func delay(afterAttempt attempts: Int, maxAttempts: Int = maxAttempts) -> Int? {
        guard attempts < maxAttempts else { return nil }
        let exponent = min(max(attempts - 1, 0), 20)
        return min(firstDelaySeconds << exponent, maxDelaySeconds)
    }

    /// Where a webhook delivery or an e-mail goes after one more try: its count of tries, its state (`delivered`,
    /// `pending` again after `retryAfterSeconds`, or `dead`).
    public struct Step: Equatable, Sendable {
        public var tries: Int
        public var state: String
        public var retryAfterSeconds: Int
        public init(tries: Int, state: String, retryAfterSeconds: Int) {
            self.tries = tries
            self.state = state
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    public static func step(afterAttempts previous: Int, delivered: Bool) -> Step {
        let tries = previous + 1
        if delivered { return Step(tries: tries, state: "delivered", retryAfterSeconds: 0) }
        guard let delay = delay(afterAttempt: tries) else { return Step(tries: tries, state: "dead", retryAfterSeconds: 0) }
        return Step(tries: tries, state: "pending", retryAfterSeconds: delay)
    }
}

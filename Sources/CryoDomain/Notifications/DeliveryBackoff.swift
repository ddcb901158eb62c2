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
}

/// The electronic-signature lockout (21 CFR 11.300(d)): only wrong signing passwords given by a signed-in user
/// count, and the `limit`-th in a row locks the account until an administrator unlocks it. Failed sign-ins are
/// not counted here (`SignInThrottle`). Database twin: `signature_lockout_limit()`, `signature_lockout_take()`,
/// `signature_lockout_fail()` (migration 039).
public enum SignatureLockout {
    public static let limit = 5

    /// Whether the wrong password that took try number `tries` locks the account.
    public static func locks(tries: Int) -> Bool { tries >= limit }

    /// The lockout is reported to administrators as a burst when it happens.
    public static func isBurst(tries: Int) -> Bool { tries == limit }
}

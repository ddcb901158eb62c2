/// Console sessions (21 CFR 11.300): besides the idle time-out, an absolute lifetime after which the person
/// signs in again, and a cap on the sessions a user has open at once (a new sign-in ends the oldest).
/// Database twin: `console_session_max_open()` and the trigger `console_session_cap` → `check_console_session_cap()`,
/// which refuses a session beyond the cap whoever inserts it
/// (migration 039); the lifetime is applied in the query that reads a session (`Store.consoleSession`).
public enum ConsoleSessionRules {
    public static let maxOpen = 3
    public static let absoluteLifetimeSeconds = 12 * 3600

    /// How many of a user's open sessions a new sign-in ends (the oldest ones), so that it stays within the cap.
    public static func sessionsToEnd(open: Int) -> Int { max(0, open - (maxOpen - 1)) }

}

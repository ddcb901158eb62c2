import CryoDomain
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

extension Store {
    static let signInRefused = "the login name or the password is wrong"

    /// Signs in with a login name and password from a client address (issue 24 items 4 and 8).
    ///
    /// 1. `sign_in_throttle_take()` takes a try for the login name and for the address at once, or says how long to
    ///    wait (`SignInThrottled`, nothing checked or counted). 2. The user is read without a lock and bcrypt runs
    ///    with no connection held: against the user's hash, or a decoy for an unknown, deactivated or password-less
    ///    login, so that every failure costs the same. 3. The outcome commits in one transaction with its custody
    ///    events: a failure (on the user, or on `security`/`sign-in` for an unknown login) and a burst when a key
    ///    reaches it; a success gives the login's streak back, ends the replaced session and the oldest beyond the
    ///    cap (ConsoleSessionRules) under the user's row lock, and opens the new one. Failed sign-ins never touch the
    ///    signature lockout. Returns the new session's cookie value (shown once).
    public func signIn(login: String, password: String, address: String, replacing oldCookie: String?,
                       logger: Logger) async throws -> (cookie: String, session: ConsoleSession) {
        let keys = SignInThrottle.keys(login: login, address: address)
        let streaks = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT throttle_key, streak, wait_seconds FROM sign_in_throttle_take(\([keys.login, keys.address]))
                """, logger: logger).named { c in (key: try c("throttle_key", as: String.self), streak: try c("streak", as: Int.self), wait: try c("wait_seconds", as: Int.self)) }
        }
        if let wait = streaks.map(\.wait).max(), wait > 0 { throw SignInThrottled(waitSeconds: wait) }

        let account = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT id, name, role, password_hash
                FROM app_user WHERE lower(login) = lower(\(login)) AND deactivated_at IS NULL
                """, logger: logger).named { c -> (user: Principal?, hash: String?) in
                let role = Role(rawValue: try c("role", as: String.self))
                let user = try role.map { Principal(id: try c("id"), name: try c("name"), role: $0) }
                return (user, try c("password_hash", as: String?.self))
            }.first
        }
        let user = account?.user, comparable = SigningPassword.isComparable(password)
        let hash = user != nil && comparable ? account?.hash : nil
        let matched = await Self.offloaded { Bcrypt.verify(password, hash: hash ?? Self.decoyHash) }
        let right = matched && hash != nil

        enum Outcome: Sendable { case signedIn(String, ConsoleSession), refused(String) }
        let outcome: Outcome = try await transaction(logger) { conn in
            guard right, let user else {
                try await recordSignInFailure(user: user, login: login, address: address, streaks: streaks, on: conn, logger: logger)
                return .refused(Self.signInRefused)
            }
            let current = try await conn.guardedQuery("""
                SELECT locked_at IS NOT NULL AS locked FROM app_user WHERE id = \(user.id) AND deactivated_at IS NULL FOR UPDATE
                """, logger: logger).named { c in try c("locked", as: Bool.self) }.first
            guard let locked = current else { return .refused(Self.signInRefused) }
            if locked {
                try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.sign-in-refused",
                                                      reason: "the account is locked"), by: user, on: conn, logger: logger)
                return .refused("the account is locked after \(SignatureLockout.limit) wrong signing passwords; an admin must unlock it")
            }
            try await conn.guardedQuery("SELECT sign_in_throttle_succeeded(\(keys.login), \(keys.address))", logger: logger)
            if let oldCookie {
                try await conn.guardedQuery("""
                    UPDATE console_session SET ended_at = now(), end_reason = 'replaced' WHERE id_hash = \(Self.sessionKey(oldCookie)) AND ended_at IS NULL
                    """, logger: logger)
            }
            try await endOldestSessions(of: user.id, on: conn, logger: logger)
            let cookie = Self.randomToken(), csrf = Self.randomToken()
            try await conn.guardedQuery("""
                INSERT INTO console_session (id_hash, user_id, csrf_token) VALUES (\(Self.sessionKey(cookie)), \(user.id), \(csrf))
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.signed-in",
                                                  details: ["address": address]), by: user, on: conn, logger: logger)
            return .signedIn(cookie, ConsoleSession(user: user, csrfToken: csrf, lastSeen: Date()))
        }
        switch outcome {
        case .signedIn(let cookie, let session): return (cookie, session)
        case .refused(let why): throw DomainError.invalid(field: "password", rule: why)
        }
    }

    /// A failed sign-in as a custody event (of the user, or of `security`/`sign-in` when the login is unknown),
    /// and a burst for each key whose streak has just reached its threshold.
    private func recordSignInFailure(user: Principal?, login: String, address: String,
                                     streaks: [(key: String, streak: Int, wait: Int)], on conn: PostgresConnection, logger: Logger) async throws {
        let loginStreak = streaks.first { SignInThrottle.kind(ofKey: $0.key) == .login }?.streak ?? 0
        let details = ["address": address, "failuresInARow": String(loginStreak)]
        if let user {
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.sign-in-failed",
                                                  reason: "wrong password at sign-in", details: details), by: user, on: conn, logger: logger)
        } else {
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "sign-in", action: "security.sign-in-failed",
                                                  reason: "sign-in with an unknown login name", details: details.merging(["login": login]) { a, _ in a }),
                                     by: .system, on: conn, logger: logger)
        }
        for s in streaks {
            guard let kind = SignInThrottle.kind(ofKey: s.key), SignInThrottle.isBurst(kind, failures: s.streak) else { continue }
            let value = kind == .login ? login.lowercased() : address
            try await Custody.append(SecurityBurst.signInEntry(kind: kind, value: value, failures: s.streak), by: .system, on: conn, logger: logger)
        }
        logger.warning("failed sign-in", metadata: ["known": "\(user != nil)", "failuresInARow": "\(loginStreak)"])
    }

    /// Ends a user's oldest open sessions so that a new one fits under the cap (`ConsoleSessionRules.sessionsToEnd`);
    /// the caller holds the user's row lock. The trigger `console_session_cap` refuses any session beyond it.
    private func endOldestSessions(of userId: Int64, on conn: PostgresConnection, logger: Logger) async throws {
        let open = try await conn.guardedQuery("""
            SELECT count(*)::int AS open FROM console_session WHERE user_id = \(userId) AND ended_at IS NULL
            """, logger: logger).named { c in try c("open", as: Int.self) }.first ?? 0
        let surplus = ConsoleSessionRules.sessionsToEnd(open: open)
        guard surplus > 0 else { return }
        try await conn.guardedQuery("""
            UPDATE console_session SET ended_at = now(), end_reason = 'capped'
            WHERE id_hash IN (SELECT id_hash FROM console_session WHERE user_id = \(userId) AND ended_at IS NULL
                              ORDER BY last_seen_at, created_at LIMIT \(surplus))
            """, logger: logger)
    }
}

import CryoDomain
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

extension Store {
    static let signInRefused = "the login name or the password is wrong"

    /// Signs in with a login name and password. Five failures in a row lock the user, as for signatures
    /// (the same counter): the count, the lock and their custody events commit under the user's row lock,
    /// so concurrent attempts cannot exceed it. Returns the new session's cookie value (shown once).
    public func signIn(login: String, password: String, replacing oldCookie: String?, logger: Logger) async throws -> (cookie: String, session: ConsoleSession) {
        enum Outcome: Sendable { case signedIn(String, ConsoleSession), refused(String) }
        let outcome: Outcome = try await transaction(logger) { conn in
            let row = try await conn.guardedQuery("""
                SELECT id, name, role, password_hash, locked_at IS NOT NULL, deactivated_at IS NOT NULL
                FROM app_user WHERE lower(login) = lower(\(login)) FOR UPDATE
                """, logger: logger).decode((Int64, String, String, String?, Bool, Bool).self).all().first
            guard let row, let role = Role(rawValue: row.2), let hash = row.3, !row.5 else {
                // Unknown, deactivated or password-less: the same answer after the same work.
                _ = await Self.offloaded { Bcrypt.verify(password, hash: Self.decoyHash) }
                return .refused(Self.signInRefused)
            }
            let user = Principal(id: row.0, name: row.1, role: role)
            if row.4 {
                try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.sign-in-refused",
                                                      reason: "the account is locked"), by: user, on: conn, logger: logger)
                return .refused("the account is locked after \(Self.maxFailedSignatures) failed attempts; an admin must unlock it")
            }
            // bcrypt stops at a NUL and at 72 bytes: such a password is never compared, and counts as wrong.
            let right = SigningPassword.isComparable(password) ? await Self.offloaded { Bcrypt.verify(password, hash: hash) } : false
            guard right else {
                let failures = try await conn.guardedQuery("""
                    UPDATE app_user SET failed_signatures = failed_signatures + 1,
                           locked_at = CASE WHEN failed_signatures + 1 >= \(Self.maxFailedSignatures) THEN now() ELSE locked_at END
                    WHERE id = \(user.id) RETURNING failed_signatures
                    """, logger: logger).decode(Int.self).all().first ?? 0
                let locked = failures >= Self.maxFailedSignatures
                try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.sign-in-failed",
                                                      toState: locked ? "locked" : nil, reason: "wrong password at sign-in",
                                                      details: ["failuresInARow": String(failures)]), by: user, on: conn, logger: logger)
                if locked {
                    try await conn.guardedQuery("""
                        UPDATE console_session SET ended_at = now(), end_reason = 'locked' WHERE user_id = \(user.id) AND ended_at IS NULL
                        """, logger: logger)
                }
                return .refused(locked ? "wrong password; the account is now locked" : Self.signInRefused)
            }
            if let oldCookie {
                try await conn.guardedQuery("""
                    UPDATE console_session SET ended_at = now(), end_reason = 'replaced' WHERE id_hash = \(Self.sessionKey(oldCookie)) AND ended_at IS NULL
                    """, logger: logger)
            }
            try await conn.guardedQuery("UPDATE app_user SET failed_signatures = 0 WHERE id = \(user.id) AND failed_signatures > 0", logger: logger)
            let cookie = Self.randomToken(), csrf = Self.randomToken()
            try await conn.guardedQuery("""
                INSERT INTO console_session (id_hash, user_id, csrf_token) VALUES (\(Self.sessionKey(cookie)), \(user.id), \(csrf))
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(user.id), action: "user.signed-in"),
                                     by: user, on: conn, logger: logger)
            return .signedIn(cookie, ConsoleSession(user: user, csrfToken: csrf, lastSeen: Date()))
        }
        switch outcome {
        case .signedIn(let cookie, let session): return (cookie, session)
        case .refused(let why): throw DomainError.invalid(field: "password", rule: why)
        }
    }

    /// The live session of a cookie, its idle clock restarted; nil when there is none, it has been idle
    /// longer than `idleTimeout`, or its user is locked or deactivated.
    public func consoleSession(cookie: String, idleTimeout: Duration, logger: Logger) async throws -> ConsoleSession? {
        let key = Self.sessionKey(cookie)
        let seconds = Double(idleTimeout.components.seconds)
        return try await transaction(logger) { conn in
            let row = try await conn.guardedQuery("""
                UPDATE console_session s SET last_seen_at = now() FROM app_user u
                WHERE s.id_hash = \(key) AND s.ended_at IS NULL AND u.id = s.user_id
                  AND u.locked_at IS NULL AND u.deactivated_at IS NULL
                  AND s.last_seen_at > now() - make_interval(secs => \(seconds))
                RETURNING u.id, u.name, u.role, s.csrf_token
                """, logger: logger).decode((Int64, String, String, String).self).all().first
            guard let row, let role = Role(rawValue: row.2) else {
                try await conn.guardedQuery("""
                    UPDATE console_session SET ended_at = now(), end_reason = 'idle' WHERE id_hash = \(key) AND ended_at IS NULL
                    """, logger: logger)
                return nil
            }
            return ConsoleSession(user: Principal(id: row.0, name: row.1, role: role), csrfToken: row.3, lastSeen: Date())
        }
    }

    /// Ends the session and records the sign-out in the user's custody log.
    public func signOut(cookie: String, logger: Logger) async throws {
        try await transaction(logger) { conn in
            let ended = try await conn.guardedQuery("""
                UPDATE console_session s SET ended_at = now(), end_reason = 'signed-out' FROM app_user u
                WHERE s.id_hash = \(Self.sessionKey(cookie)) AND s.ended_at IS NULL AND u.id = s.user_id
                RETURNING u.id, u.name, u.role
                """, logger: logger).decode((Int64, String, String).self).all().first
            guard let ended, let role = Role(rawValue: ended.2) else { return }
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(ended.0), action: "user.signed-out"),
                                     by: Principal(id: ended.0, name: ended.1, role: role), on: conn, logger: logger)
        }
    }

    static func sessionKey(_ cookie: String) -> Data { Data(SHA256.hash(data: Data(cookie.utf8))) }

    /// 256 random bits, URL-safe base64.
    static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compared against when there is no real hash, so an unknown login costs what a known one does.
    static let decoyHash = Bcrypt.hash("cryoledger-decoy-password", cost: Store.passwordCost)
}

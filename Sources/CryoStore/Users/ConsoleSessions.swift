import CryoDomain
import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

extension Store {
    /// The live session of a cookie, its idle clock restarted; nil when there is none, it has been idle longer than
    /// `idleTimeout`, it is older than `lifetime` (ConsoleSessionRules), or its user is locked or deactivated.
    public func consoleSession(cookie: String, idleTimeout: Duration,
                               lifetime: Duration = .seconds(ConsoleSessionRules.absoluteLifetimeSeconds), logger: Logger) async throws -> ConsoleSession? {
        let key = Self.sessionKey(cookie)
        let idle = Double(idleTimeout.components.seconds), life = Double(lifetime.components.seconds)
        return try await transaction(logger) { conn in
            let row = try await conn.guardedQuery("""
                UPDATE console_session s SET last_seen_at = now() FROM app_user u
                WHERE s.id_hash = \(key) AND s.ended_at IS NULL AND u.id = s.user_id
                  AND u.locked_at IS NULL AND u.deactivated_at IS NULL
                  AND s.last_seen_at > now() - make_interval(secs => \(idle))
                  AND s.created_at > now() - make_interval(secs => \(life))
                RETURNING u.id, u.name, u.role, s.csrf_token
                """, logger: logger).named { c in
                (id: try c("id", as: Int64.self), name: try c("name", as: String.self), role: try c("role", as: String.self),
                 csrfToken: try c("csrf_token", as: String.self))
            }.first
            guard let row, let role = Role(rawValue: row.role) else {
                try await conn.guardedQuery("""
                    UPDATE console_session SET ended_at = now(),
                           end_reason = CASE WHEN created_at <= now() - make_interval(secs => \(life)) THEN 'expired' ELSE 'idle' END
                    WHERE id_hash = \(key) AND ended_at IS NULL
                    """, logger: logger)
                return nil
            }
            return ConsoleSession(user: Principal(id: row.id, name: row.name, role: role), csrfToken: row.csrfToken, lastSeen: Date())
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

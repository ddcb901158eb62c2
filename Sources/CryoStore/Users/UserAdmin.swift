import CryoDomain
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

extension Store {
    public func users(actor: Principal, logger: Logger) async throws -> [UserSummary] {
        try actor.require(.manageUsers)
        return try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT id, name, login, role, locked_at IS NOT NULL AS locked, deactivated_at IS NOT NULL AS deactivated,
                       password_hash IS NOT NULL AS has_password
                FROM app_user ORDER BY name
                """, logger: logger).named { c in
                let id: Int64 = try c("id"), stored: String = try c("role")
                guard let role = Role(rawValue: stored) else { throw StoreError.unexpectedData("app_user \(id) has an unknown role '\(stored)'") }
                return UserSummary(id: id, name: try c("name"), login: try c("login"), role: role, locked: try c("locked"),
                                   deactivated: try c("deactivated"), hasPassword: try c("has_password"))
            }
        }
    }

    /// An administrator creates a user (the console's screen; `cryoledger user create` is the bootstrap path).
    public func createUser(name: String, role: Role, password: String?, login: String?, actor: Principal, logger: Logger) async throws -> IssuedToken {
        try actor.require(.manageUsers)
        return try await createUser(name: name, role: role, password: password, login: login, creator: actor, logger: logger)
    }

    /// Sets a new password (admin): the user's sign-in and signing password; failures reset, the account unlocked.
    public func resetPassword(userId: Int64, password: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageUsers)
        try Validator().require(password.count >= 12, "password", "must be at least 12 characters")
        try Validator().require(SigningPassword.isComparable(password), "password", SigningPassword.rule)
        let hash = await Self.offloaded { Bcrypt.hash(password, cost: Store.passwordCost) }
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("""
                UPDATE app_user SET password_hash = \(hash), failed_signatures = 0, locked_at = NULL WHERE id = \(userId) RETURNING id
                """, logger: logger).decode(Int64.self).all().first != nil else {
                throw DomainError.notFound(kind: "user", id: String(userId))
            }
            try await conn.guardedQuery("UPDATE console_session SET ended_at = now(), end_reason = 'replaced' WHERE user_id = \(userId) AND ended_at IS NULL", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(userId), action: "user.password-reset",
                                                  reason: "password set by an administrator"), by: actor, on: conn, logger: logger)
        }
    }

    /// Deactivates a user (admin): never deleted, so signatures keep their name; tokens revoked, sessions ended.
    public func deactivateUser(userId: Int64, reason: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageUsers)
        try Validator().require(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "reason", "say why the user is deactivated")
        try Validator().require(userId != actor.id, "userId", "an administrator cannot deactivate their own account")
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("""
                UPDATE app_user SET deactivated_at = now() WHERE id = \(userId) AND deactivated_at IS NULL RETURNING id
                """, logger: logger).decode(Int64.self).all().first != nil else {
                throw DomainError.conflict(field: "userId", rule: "no active user \(userId)")
            }
            try await conn.guardedQuery("UPDATE api_token SET revoked_at = now() WHERE user_id = \(userId) AND revoked_at IS NULL", logger: logger)
            try await conn.guardedQuery("UPDATE console_session SET ended_at = now(), end_reason = 'deactivated' WHERE user_id = \(userId) AND ended_at IS NULL", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(userId), action: "user.deactivated",
                                                  toState: "deactivated", reason: reason), by: actor, on: conn, logger: logger)
        }
    }

    /// Reactivates a deactivated user (admin). Tokens revoked at deactivation stay revoked; the user signs in with
    /// their password (or one an administrator sets).
    public func reactivateUser(userId: Int64, reason: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageUsers)
        try Validator().require(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "reason", "say why the user is reactivated")
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("""
                UPDATE app_user SET deactivated_at = NULL WHERE id = \(userId) AND deactivated_at IS NOT NULL RETURNING id
                """, logger: logger).decode(Int64.self).all().first != nil else {
                throw DomainError.conflict(field: "userId", rule: "no deactivated user \(userId)")
            }
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(userId), action: "user.reactivated",
                                                  fromState: "deactivated", toState: "active", reason: reason), by: actor, on: conn, logger: logger)
        }
    }
}

extension Store {
    /// Changes a user's role (admin), with its custody event. It counts from the user's next request, through the API
    /// (tokens are verified on every request) and the console (sessions read the role on every request).
    public func changeRole(userId: Int64, to role: Role, reason: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageUsers)
        try Validator().require(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "reason", "say why the role changes")
        try Validator().require(userId != actor.id, "userId", "an administrator cannot change their own role")
        try await transaction(logger) { conn in
            guard let old = try await conn.guardedQuery("""
                SELECT role FROM app_user WHERE id = \(userId) AND deactivated_at IS NULL FOR UPDATE
                """, logger: logger).named({ c in try c("role", as: String.self) }).first else {
                throw DomainError.conflict(field: "userId", rule: "no active user \(userId)")
            }
            guard old != role.rawValue else { throw DomainError.conflict(field: "role", rule: "the user's role is already \(role.rawValue)") }
            try await conn.guardedQuery("UPDATE app_user SET role = \(role.rawValue) WHERE id = \(userId)", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(userId), action: "user.role-changed",
                                                  fromState: old, toState: role.rawValue, reason: reason), by: actor, on: conn, logger: logger)
        }
    }
}

extension Store {
    /// Revokes every live API token of a user and issues one new token (admin), with its custody event: a leaked or
    /// lost token stops working from the next request on every server. The new token is returned to be shown once.
    public func replaceTokens(userId: Int64, reason: String, actor: Principal, logger: Logger) async throws -> IssuedToken {
        try actor.require(.manageUsers)
        try Validator().require(!reason.trimmingCharacters(in: .whitespaces).isEmpty, "reason", "say why the tokens are replaced")
        let (tokenId, secret, token) = Self.newToken()
        let secretHash = TokenHash.stored(id: tokenId, secret: Substring(secret))
        return try await transaction(logger) { conn in
            guard let user = try await conn.guardedQuery("""
                SELECT name, role FROM app_user WHERE id = \(userId) AND deactivated_at IS NULL FOR UPDATE
                """, logger: logger).named({ c in (try c("name", as: String.self), try c("role", as: String.self)) }).first,
                  let role = Role(rawValue: user.1) else {
                throw DomainError.conflict(field: "userId", rule: "no active user \(userId)")
            }
            let revoked = try await conn.guardedQuery("""
                UPDATE api_token SET revoked_at = now() WHERE user_id = \(userId) AND revoked_at IS NULL RETURNING id
                """, logger: logger).decode(UUID.self).all().count
            try await conn.guardedQuery("INSERT INTO api_token (id, user_id, secret_hash) VALUES (\(tokenId), \(userId), \(secretHash))", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(userId), action: "user.tokens-replaced", reason: reason,
                                                  details: ["revoked": String(revoked)]), by: actor, on: conn, logger: logger)
            return IssuedToken(user: Principal(id: userId, name: user.0, role: role), token: token)
        }
    }
}

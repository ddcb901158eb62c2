import CryoDomain
import Logging
import PostgresNIO

extension Store {
    /// Unlocks an account locked after failed signatures (admin only), with its custody event.
    /// The one operation behind `POST /users/{userId}/unlock` and `cryoledger user unlock`.
    @discardableResult
    public func unlockUser(_ user: UserReference, actor: Principal, logger: Logger) async throws -> UserAccount {
        try actor.require(.manageUsers)
        return try await transaction(logger) { conn in
            let select: PostgresQuery = switch user {
            case .id(let id): "SELECT id, name, role, locked_at IS NOT NULL AS locked FROM app_user WHERE id = \(id) FOR UPDATE"
            case .name(let name): "SELECT id, name, role, locked_at IS NOT NULL AS locked FROM app_user WHERE name = \(name) FOR UPDATE"
            }
            guard let (id, name, role, locked) = try await conn.guardedQuery(select, logger: logger).named({ c in
                (try c("id", as: Int64.self), try c("name", as: String.self), try c("role", as: String.self), try c("locked", as: Bool.self))
            }).first else {
                throw DomainError.notFound(kind: "user", id: user.text)
            }
            guard locked else { throw DomainError.conflict(field: nil, rule: "the account of '\(name)' is not locked") }
            try await conn.guardedQuery("UPDATE app_user SET locked_at = NULL, failed_signatures = 0 WHERE id = \(id)", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(id), action: "user.unlocked", fromState: "locked", toState: "unlocked",
                                                  reason: "unlocked by an administrator"), by: actor, on: conn, logger: logger)
            return UserAccount(id: id, name: name, role: Role(rawValue: role)!, locked: false, failedSignatures: 0)
        }
    }

    public func unlockUser(name: String, actor: Principal, logger: Logger) async throws {
        try await unlockUser(.name(name), actor: actor, logger: logger)
    }
}

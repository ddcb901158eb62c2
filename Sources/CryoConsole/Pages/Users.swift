import CryoDomain
import CryoStore
import Foundation
import Hummingbird

/// A new user as the form sends it.
struct NewUserForm: Decodable, Sendable {
    var name: String?
    var role: String?
    var login: String?
    var password: String?
}

/// An action on one user: a new password, or the reason for deactivating or reactivating.
struct UserActionForm: Decodable, Sendable {
    var password: String?
    var reason: String?
    var role: String?
}

/// The users page's view model.
struct UsersPage: Sendable {
    struct Row: Sendable {
        let id: Int64, name: String, login: String, role: String, state: String
        let locked: Bool, active: Bool, deactivated: Bool, isSelf: Bool
    }
    /// A token just issued: shown this once, with a copy button and the warning that it cannot be shown again.
    struct NewToken: Sendable { let userName: String, token: String }
    let users: [Row]
    let roles: [String]
    let message: String?
    let confirmation: String?
    let newToken: NewToken?
    /// Accounts locked by wrong signing passwords, and recent bursts of failed sign-ins or signatures (21 CFR 11.300(d)).
    struct LockedUser: Sendable { let name: String, login: String }
    struct Burst: Sendable { let at: String, kind: String, description: String }
    let lockedUsers: [LockedUser]
    let bursts: [Burst]
    let anyLocked: Bool
    let anyBursts: Bool
}

extension Console {
    /// Administrators: create users, reset a password, deactivate (never delete) and reactivate, unlock.
    func userList(message: String? = nil, confirmation: String? = nil, newToken: UsersPage.NewToken? = nil,
                  status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let users = try await store.users(actor: user, logger: logger)
        let security = try await store.securityReport(limit: 20, actor: user, logger: logger)
        let time = ISO8601DateFormatter()
        let rows = users.map { u in
            UsersPage.Row(id: u.id, name: u.name, login: u.login ?? "—", role: u.role.rawValue,
                          state: u.deactivated ? "deactivated" : u.locked ? "locked" : "active",
                          locked: u.locked && !u.deactivated, active: !u.deactivated, deactivated: u.deactivated, isSelf: u.id == user.id)
        }
        return try render("users", title: "Users", UsersPage(users: rows, roles: Role.allCases.map(\.rawValue), message: message,
                                                             confirmation: confirmation, newToken: newToken,
                                                             lockedUsers: security.lockedUsers.map { .init(name: $0.name, login: $0.login ?? "—") },
                                                             bursts: security.bursts.map { .init(at: time.string(from: $0.occurredAt), kind: $0.kind.rawValue,
                                                                                                description: $0.description) },
                                                             anyLocked: !security.lockedUsers.isEmpty, anyBursts: !security.bursts.isEmpty),
                                   status: status)
    }

    func userAction(_ id: Int64, _ form: UserActionForm, action: String) async throws -> Response {
        let user = try signedIn()
        let name = try await store.users(actor: user, logger: logger).first { $0.id == id }?.name ?? "user \(id)"
        do {
            let done: String
            switch action {
            case "unlock":
                try await store.unlockUser(.id(id), actor: user, logger: logger)
                done = "\(name) is unlocked and may sign again."
            case "password":
                try await store.resetPassword(userId: id, password: form.password ?? "", actor: user, logger: logger)
                done = "A new password is set for \(name); their open sessions have ended."
            case "deactivate":
                try await store.deactivateUser(userId: id, reason: form.reason ?? "", actor: user, logger: logger)
                done = "\(name) is deactivated: their tokens are revoked and their sessions ended."
            case "reactivate":
                try await store.reactivateUser(userId: id, reason: form.reason ?? "", actor: user, logger: logger)
                done = "\(name) is active again and may sign in with their password (their old API tokens stay revoked)."
            case "role":
                guard let role = Role(rawValue: form.role ?? "") else { throw DomainError.invalid(field: "role", rule: "choose a role") }
                try await store.changeRole(userId: id, to: role, reason: form.reason ?? "", actor: user, logger: logger)
                done = "\(name) is now \(role.rawValue), from their next request on."
            case "token":
                let issued = try await store.replaceTokens(userId: id, reason: form.reason ?? "", actor: user, logger: logger)
                return try await userList(confirmation: "\(name)'s API tokens are revoked, from their next request on; a new one is issued.",
                                          newToken: .init(userName: issued.user.name, token: issued.token))
            default: throw HTTPError(.notFound)
            }
            return try await userList(confirmation: done)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await userList(message: RefusalSentences.sentence(for: error), status: .badRequest)
        }
    }

    func createUser(_ form: NewUserForm) async throws -> Response {
        let user = try signedIn()
        do {
            guard let role = Role(rawValue: form.role ?? "") else { throw DomainError.invalid(field: "role", rule: "choose a role") }
            let login = form.login.flatMap { $0.isEmpty ? nil : $0 }
            let password = form.password.flatMap { $0.isEmpty ? nil : $0 }
            let issued = try await store.createUser(name: form.name ?? "", role: role, password: password, login: login, actor: user, logger: logger)
            return try await userList(confirmation: "\(issued.user.name) is created (\(role.rawValue)).",
                                      newToken: .init(userName: issued.user.name, token: issued.token))
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await userList(message: RefusalSentences.sentence(for: error), status: .badRequest)
        }
    }
}

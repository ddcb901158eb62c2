import CryoDomain
import CryoStore
import Foundation
import Hummingbird

extension Console {
    /// Administrators: create users, reset a password, deactivate (never delete), unlock.
    func userList(message: String? = nil, created: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let user = try signedIn()
        let users = try await store.users(actor: user, logger: logger)
        let security = try await store.securityReport(limit: 20, actor: user, logger: logger)
        let time = ISO8601DateFormatter()
        return try page("users", title: "Users", [
            "anyLocked": !security.lockedUsers.isEmpty, "anyBursts": !security.bursts.isEmpty,
            "lockedUsers": security.lockedUsers.map { ["name": $0.name, "login": $0.login ?? "—"] },
            "bursts": security.bursts.map { ["at": time.string(from: $0.occurredAt), "kind": $0.kind.rawValue, "description": $0.description] },
            "users": users.map { u in
                ["id": u.id, "name": u.name, "login": u.login ?? "—", "role": u.role.rawValue,
                 "state": u.deactivated ? "deactivated" : u.locked ? "locked" : "active", "locked": u.locked && !u.deactivated,
                 "active": !u.deactivated] as [String: Any]
            },
            "roles": Role.allCases.map(\.rawValue), "message": message as Any, "created": created as Any,
        ], status: status)
    }

    func userAction<Context: RequestContext>(_ request: Request, _ context: Context, action: String) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        let id = try context.parameters.require("id", as: Int64.self)
        do {
            switch action {
            case "unlock": try await store.unlockUser(.id(id), actor: user, logger: logger)
            case "password": try await store.resetPassword(userId: id, password: form["password"] ?? "", actor: user, logger: logger)
            case "deactivate": try await store.deactivateUser(userId: id, reason: form["reason"] ?? "", actor: user, logger: logger)
            default: throw HTTPError(.notFound)
            }
            return Response.redirect(to: "/console/users", type: .normal)
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await userList(message: error.description, status: .badRequest)
        }
    }

    func createUser<Context: RequestContext>(_ request: Request, _ context: Context) async throws -> Response {
        let user = try signedIn()
        var request = request
        let form = try await Form.read(&request, limit: 64 * 1024)
        do {
            guard let role = Role(rawValue: form["role"] ?? "") else { throw DomainError.invalid(field: "role", rule: "choose a role") }
            let login = form["login"].flatMap { $0.isEmpty ? nil : $0 }
            let password = form["password"].flatMap { $0.isEmpty ? nil : $0 }
            let issued = try await store.createUser(name: form["name"] ?? "", role: role, password: password, login: login, actor: user, logger: logger)
            return try await userList(created: "created \(issued.user.name); API token (shown once): \(issued.token)")
        } catch let error as DomainError {
            if case .forbidden = error { throw error }
            return try await userList(message: error.description, status: .badRequest)
        }
    }
}

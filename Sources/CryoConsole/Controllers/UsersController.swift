import Hummingbird

/// Administrators' users page: create, unlock, reset a password, change the role, replace the API tokens, deactivate
/// and reactivate.
struct UsersController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("users", use: list)
        group.post("users", use: create)
        for action in ["unlock", "password", "deactivate", "reactivate", "role", "token"] {
            group.post("users/{id}/\(action)") { request, context in try await act(request, context, action) }
        }
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try await console.userList()
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        try await console.createUser(Form.decode(NewUserForm.self, from: request))
    }

    func act(_ request: Request, _ context: Context, _ action: String) async throws -> Response {
        let form = try await Form.decode(UserActionForm.self, from: request)
        return try await console.userAction(context.parameters.require("id", as: Int64.self), form, action: action)
    }
}

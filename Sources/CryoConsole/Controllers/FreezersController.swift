import Hummingbird

/// The freezer list and a freezer's map.
struct FreezersController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("freezers", use: list)
        group.get("freezers/{id}", use: show)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try await console.freezerList()
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.freezerPage(context.parameters.require("id"))
    }
}

import Hummingbird

/// A vial's card, and moving the vial to another position.
struct VialsController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("vials/{id}", use: show)
        group.post("vials/{id}/move", use: move)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.vialCard(context.parameters.require("id"), moved: Confirmation(request) == .moved)
    }

    @Sendable func move(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(VialMoveForm.self, from: request)
        return try await console.moveVial(context.parameters.require("id"), form)
    }
}

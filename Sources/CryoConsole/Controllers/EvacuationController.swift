import Hummingbird

/// Evacuating a freezer: a dry run, then the confirmed moves.
struct EvacuationController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.post("freezers/{id}/evacuate", use: evacuate)
    }

    @Sendable func evacuate(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(EvacuationForm.self, from: request)
        return try await console.evacuateFreezer(context.parameters.require("id"), form)
    }
}

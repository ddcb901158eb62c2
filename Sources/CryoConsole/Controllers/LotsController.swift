import Hummingbird

/// The lot list and a lot's page.
struct LotsController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("lots", use: list)
        group.get("lots/{lot}", use: show)
        group.post("lots/{lot}/print", use: print)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        try await console.lotList(request)
    }

    @Sendable func print(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(LotPrintForm.self, from: request)
        return try await console.printLotLabels(context.parameters.require("lot"), form)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.lotPage(context.parameters.require("lot"))
    }
}

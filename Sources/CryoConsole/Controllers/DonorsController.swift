import Hummingbird

/// Donors: finding one by code, its page, and QA's look-back (the donor found ineligible).
struct DonorsController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("donors", use: find)
        group.get("donors/{code}", use: show)
        group.post("donors/{code}/ineligible", use: lookBack)
    }

    @Sendable func find(_ request: Request, context: Context) async throws -> Response {
        try console.findDonor(request.uri.queryParameters["code"].map(String.init) ?? "")
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.donorPage(context.parameters.require("code"))
    }

    @Sendable func lookBack(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(LookBackForm.self, from: request)
        return try await console.recordLookBack(context.parameters.require("code"), form)
    }
}

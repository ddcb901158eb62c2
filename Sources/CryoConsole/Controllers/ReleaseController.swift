import Hummingbird

/// QA's release workbench: the review of a lot, its disposition (signed), holds, the certificate of analysis.
struct ReleaseController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("release", use: workbench)
        group.get("release/{lot}", use: review)
        group.get("release/{lot}/certificate.pdf", use: certificate)
        group.post("release/{lot}/release/{kind}", use: release)
        group.post("release/{lot}/reject", use: reject)
        group.post("release/{lot}/holds", use: placeHold)
        group.post("release/{lot}/holds/{hold}/lift", use: liftHold)
    }

    @Sendable func workbench(_ request: Request, context: Context) async throws -> Response {
        try await console.releaseWorkbench()
    }

    @Sendable func review(_ request: Request, context: Context) async throws -> Response {
        try await console.releaseLotPage(context.parameters.require("lot"), done: Confirmation(request))
    }

    @Sendable func certificate(_ request: Request, context: Context) async throws -> Response {
        try await console.certificatePDF(context.parameters.require("lot"))
    }

    @Sendable func release(_ request: Request, context: Context) async throws -> Response {
        try await console.dispositionLot(context.parameters.require("lot"), decision: context.parameters.require("kind"), try await Self.form(request))
    }

    @Sendable func reject(_ request: Request, context: Context) async throws -> Response {
        try await console.dispositionLot(context.parameters.require("lot"), decision: "reject", try await Self.form(request))
    }

    @Sendable func placeHold(_ request: Request, context: Context) async throws -> Response {
        try await console.placeReleaseHold(context.parameters.require("lot"), try await Self.form(request))
    }

    @Sendable func liftHold(_ request: Request, context: Context) async throws -> Response {
        try await console.liftReleaseHold(context.parameters.require("lot"), holdId: context.parameters.require("hold"), try await Self.form(request))
    }

    /// The form, with the pending tests ticked (`pending-CODE`: one field per test of the lot's specification).
    static func form(_ request: Request) async throws -> ReleaseForm {
        var request = request
        var form = try await Form.decode(ReleaseForm.self, &request)
        form.pending = try await Form.read(&request, limit: Form.defaultLimit).keys
            .filter { $0.hasPrefix("pending-") }.map { String($0.dropFirst("pending-".count)) }.sorted()
        return form
    }
}

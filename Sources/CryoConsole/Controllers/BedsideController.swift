import Hummingbird

/// The bedside: readiness (lymphodepletion, clearance, reschedule), thaw, the scan pair and the signed administration.
struct BedsideController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("bedside", use: show)
        group.post("bedside/thaw", use: thaw)
        group.post("bedside/check", use: check)
        group.post("bedside/administer", use: administer)
        group.post("bedside/lymphodepletion", use: lymphodepletion)
        group.post("bedside/clearance", use: clearance)
        group.post("bedside/reschedule", use: reschedule)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.bedsidePage(done: Confirmation(request), about: Confirmation.subject(request))
    }

    @Sendable func thaw(_ request: Request, context: Context) async throws -> Response {
        try await console.thaw(try await Form.decode(ThawForm.self, from: request))
    }

    @Sendable func check(_ request: Request, context: Context) async throws -> Response {
        try await console.bedsideCheck(try await Form.decode(AdministerForm.self, from: request))
    }

    @Sendable func administer(_ request: Request, context: Context) async throws -> Response {
        try await console.administer(try await Form.decode(AdministerForm.self, from: request))
    }

    @Sendable func lymphodepletion(_ request: Request, context: Context) async throws -> Response {
        try await console.recordLymphodepletion(try await Form.decode(LymphodepletionForm.self, from: request))
    }

    /// The checklist items confirmed, one checkbox each (`item:N`).
    @Sendable func clearance(_ request: Request, context: Context) async throws -> Response {
        var request = request
        var form = try await Form.decode(ClearanceForm.self, &request)
        form.items = try await Form.read(&request, limit: Form.defaultLimit).filter { $0.key.hasPrefix("item:") && $0.value == "yes" }
            .compactMap { Int($0.key.dropFirst("item:".count)) }.sorted()
        return try await console.clearForInfusion(form)
    }

    @Sendable func reschedule(_ request: Request, context: Context) async throws -> Response {
        try await console.rescheduleInfusion(try await Form.decode(RescheduleForm.self, from: request))
    }
}

import Hummingbird

/// The work list every role lands on, the scan field's look-up, and the patient list.
struct HomeController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("", use: home)
        group.get("find", use: find)
        group.get("patients", use: patients)
    }

    @Sendable func home(_ request: Request, context: Context) async throws -> Response {
        try await console.home()
    }

    @Sendable func find(_ request: Request, context: Context) async throws -> Response {
        try await console.find(request)
    }

    @Sendable func patients(_ request: Request, context: Context) async throws -> Response {
        try await console.patientList()
    }
}

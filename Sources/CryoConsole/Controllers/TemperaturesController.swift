import Hummingbird

/// A freezer's temperature readings and excursions; recording a reading.
struct TemperaturesController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("freezers/{id}/temperatures", use: show)
        group.post("freezers/{id}/temperatures", use: record)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.temperaturePage(context.parameters.require("id"), done: Confirmation(request))
    }

    @Sendable func record(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(TemperatureForm.self, from: request)
        return try await console.recordTemperature(context.parameters.require("id"), form)
    }
}

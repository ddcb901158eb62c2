import Hummingbird

/// QC results of a lot: the page, and recording a result or its correction.
struct QCController<Context: RequestContext>: Sendable {
    let console: Console

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("lots/{lot}/qc", use: show)
        group.post("lots/{lot}/qc", use: record)
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        let done = Confirmation(request) == .qcRecorded ? Confirmation.subject(request) : nil
        return try await console.qcPage(context.parameters.require("lot"), done: done)
    }

    @Sendable func record(_ request: Request, context: Context) async throws -> Response {
        let form = try await Form.decode(QcForm.self, from: request)
        return try await console.recordQc(context.parameters.require("lot"), form)
    }
}

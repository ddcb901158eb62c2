import Hummingbird

/// The clinic's studies and cohorts: the board, a cohort's page, enrolment, DLTs and the signed 3+3 decision.
struct CohortsController<Context: RequestContext>: Sendable {
    let console: Console
    static var cohort: String { "cohorts/{study}/{indication}/{dose}/{arm}" }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("studies", use: studies)
        group.get("studies/{code}", use: board)
        group.get(RouterPath(Self.cohort), use: show)
        group.get(RouterPath(Self.cohort + "/enrol"), use: enrolForm)
        group.post(RouterPath(Self.cohort + "/enrol"), use: enrol)
        group.post(RouterPath(Self.cohort + "/dlt"), use: recordDlt)
        group.post(RouterPath(Self.cohort + "/decision"), use: confirmDecision)
    }

    @Sendable func studies(_ request: Request, context: Context) async throws -> Response {
        try await console.studyList()
    }

    @Sendable func board(_ request: Request, context: Context) async throws -> Response {
        try await console.cohortBoard(context.parameters.require("code"))
    }

    @Sendable func show(_ request: Request, context: Context) async throws -> Response {
        try await console.cohortPage(Self.cohortId(context), notice: CohortNotice(request))
    }

    @Sendable func enrolForm(_ request: Request, context: Context) async throws -> Response {
        try await console.enrolPage(Self.cohortId(context))
    }

    @Sendable func enrol(_ request: Request, context: Context) async throws -> Response {
        var request = request
        var form = try await Form.decode(EnrolForm.self, &request)
        // The checklist's answers: one field per criterion, named `criterion.CODE`.
        for (key, value) in try await Form.read(&request, limit: Form.defaultLimit) where key.hasPrefix("criterion.") {
            form.answers[String(key.dropFirst("criterion.".count))] = value
        }
        return try await console.enrol(Self.cohortId(context), form)
    }

    @Sendable func recordDlt(_ request: Request, context: Context) async throws -> Response {
        try await console.recordDlt(Self.cohortId(context), try await Form.decode(DltForm.self, from: request))
    }

    @Sendable func confirmDecision(_ request: Request, context: Context) async throws -> Response {
        try await console.confirmDecision(Self.cohortId(context), try await Form.decode(DecisionForm.self, from: request))
    }

    /// A cohort's id from its page's path, `/console/cohorts/{study}/{indication}/{dose}/{arm}`.
    static func cohortId(_ context: Context) throws -> String {
        try ["study", "indication", "dose", "arm"].map { try context.parameters.require($0) }.joined(separator: "/")
    }
}

import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import Logging
import Mustache

/// The web console: server-rendered pages over the same Store operations as the API, for people at a bench,
/// a biosafety cabinet or an auditor's desk. Signed in with a session cookie (never a bearer token); every
/// form that changes anything carries the session's CSRF token; pages and assets come from the binary.
public struct Console: Sendable {
    public struct Settings: Sendable {
        /// A session idle for longer ends (21 CFR 11.300); 15 minutes unless set.
        public var idleTimeout: Duration = .seconds(15 * 60)
        public init(idleTimeout: Duration = .seconds(15 * 60)) { self.idleTimeout = idleTimeout }
    }

    static let cookieName = "cl_session"
    /// Scripts and styles only from the binary, no inline script, no framing, forms only back to us.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    let store: Store
    let settings: Settings
    /// Verifies checkpoint seals on the audit page; nil verifies chains and folds only.
    let auditKey: AuditKey?
    /// Signs the transparency log's heads: JSON and PDF downloads are cut against a fresh head.
    var logSigner: LogSigner?
    let templates: MustacheLibrary
    let assets: [String: (type: String, body: ByteBuffer)]

    public init(store: Store, auditKey: AuditKey?, settings: Settings = .init(), logSigner: LogSigner? = nil) throws {
        self.logSigner = logSigner
        self.store = store
        self.auditKey = auditKey
        self.settings = settings
        guard let templatesPath = Bundle.module.path(forResource: "Templates", ofType: nil),
              let assetsPath = Bundle.module.path(forResource: "Assets", ofType: nil) else {
            throw ConsoleError.missingResources
        }
        var library = MustacheLibrary()
        for name in try FileManager.default.contentsOfDirectory(atPath: templatesPath) where name.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: templatesPath + "/" + name, encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        self.templates = library
        var assets: [String: (String, ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: assetsPath) {
            let data = try Data(contentsOf: URL(fileURLWithPath: assetsPath).appendingPathComponent(name))
            let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
            assets[name] = (type, ByteBuffer(bytes: data))
        }
        self.assets = assets
    }

    enum ConsoleError: Error { case missingResources }

    /// Adds the console's routes: `/` and everything under `/console`. Register before the API's
    /// bearer-token middleware, so these routes answer to the session cookie instead.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/") { _, _ in Response.redirect(to: "/console", type: .normal) }
        let group = router.group("console").add(middleware: ConsoleMiddleware(console: self))
        group.get("assets/{name}") { _, context in try self.asset(context.parameters.require("name")) }
        group.get("sign-in") { request, _ in try self.signInPage(request, message: nil, login: "") }
        group.post("sign-in") { request, context in try await self.signIn(request, context) }
        group.post("sign-out") { request, context in try await self.signOut(request, context) }
        group.get("") { _, _ in try await self.home() }
        group.get("find") { request, _ in try await self.find(request) }
        group.get("freezers") { _, _ in try await self.freezerList() }
        group.get("freezers/{id}") { request, context in try await self.freezerPage(context.parameters.require("id"), request) }
        group.post("freezers/{id}/evacuate") { request, context in try await self.evacuateFreezer(context.parameters.require("id"), request) }
        group.get("vials/{id}") { request, context in try await self.vialCard(context.parameters.require("id"), message: nil) }
        group.post("vials/{id}/move") { request, context in try await self.moveVial(context.parameters.require("id"), request, context) }
        group.get("freezers/{id}/temperatures") { request, context in
            try await self.temperaturePage(context.parameters.require("id"), recorded: request.uri.queryParameters["recorded"].map(String.init))
        }
        group.post("freezers/{id}/temperatures") { request, context in try await self.recordTemperatureForm(context.parameters.require("id"), request) }
        group.get("studies") { _, _ in try await self.studyList() }
        group.get("studies/{code}") { _, context in try await self.cohortBoard(context.parameters.require("code")) }
        group.get("cohorts/{study}/{indication}/{dose}/{arm}") { request, context in
            try await self.cohortPage(Self.cohortId(context), notice: Self.cohortNotice(request))
        }
        group.get("cohorts/{study}/{indication}/{dose}/{arm}/enrol") { _, context in try await self.enrolPage(Self.cohortId(context)) }
        group.post("cohorts/{study}/{indication}/{dose}/{arm}/enrol") { request, context in try await self.enrolForm(Self.cohortId(context), request) }
        group.post("cohorts/{study}/{indication}/{dose}/{arm}/dlt") { request, context in try await self.recordDltForm(Self.cohortId(context), request) }
        group.post("cohorts/{study}/{indication}/{dose}/{arm}/decision") { request, context in
            try await self.confirmDecisionForm(Self.cohortId(context), request)
        }
        group.get("lots") { request, _ in try await self.lotList(request) }
        group.get("lots/{lot}") { _, context in try await self.lotPage(context.parameters.require("lot")) }
        group.get("audit") { request, _ in try await self.auditPage(request) }
        group.get("audit/verify") { _, _ in try await self.auditVerify() }
        group.get("audit/export.{format}") { request, context in try await self.auditExport(context.parameters.require("format"), request) }
        group.get("import") { _, _ in try self.importPage() }
        group.post("import") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: Self.maxUploadBytes)
            let parts = Multipart.boundary(of: request.headers[.contentType]).map { Multipart.parse(Data(buffer: body), boundary: $0) } ?? []
            var form: [String: String] = [:]
            for part in parts where part.fileName == nil { form[part.name] = String(decoding: part.data, as: UTF8.self) }
            let file = parts.first { $0.name == "file" && $0.fileName != nil }.map { (name: $0.fileName ?? "upload.csv", data: $0.data) }
            return try await self.importUpload(request, form: form, file: file)
        }
        group.post("import/{id}/commit") { _, context in try await self.importCommit(context.parameters.require("id")) }
        group.get("import/{id}/rejects.csv") { _, context in try await self.importRejects(context.parameters.require("id")) }
        registerPharmacy(group)
        registerBedside(group)
        group.get("users") { _, _ in try await self.userList() }
        group.post("users") { request, context in try await self.createUser(request, context) }
        group.post("users/{id}/unlock") { request, context in try await self.userAction(request, context, action: "unlock") }
        group.post("users/{id}/password") { request, context in try await self.userAction(request, context, action: "password") }
        group.post("users/{id}/deactivate") { request, context in try await self.userAction(request, context, action: "deactivate") }
        registerRelease(on: group)
    }

    /// A cohort's id from its page's path, `/console/cohorts/{study}/{indication}/{dose}/{arm}`.
    static func cohortId<Context: RequestContext>(_ context: Context) throws -> String {
        try ["study", "indication", "dose", "arm"].map { try context.parameters.require($0) }.joined(separator: "/")
    }

    /// What the cohort page confirms after a change (the change redirects here); the page shows it only when
    /// its records bear it out, so a crafted link cannot make it say something that did not happen.
    static func cohortNotice(_ request: Request) -> CohortNotice? {
        let q = request.uri.queryParameters
        if let s = q["enrolled"] { return .enrolled(String(s)) }
        if let s = q["dlt"] { return .dlt(String(s)) }
        if let s = q["confirmed"], let d = CohortDecision(rawValue: String(s)) { return .confirmed(d) }
        return nil
    }

    func asset(_ name: String) throws -> Response {
        guard let asset = assets[name] else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = asset.type
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// Renders a page inside the layout: who is signed in, their role and the session's time left are always shown.
    func page(_ template: String, title: String, _ content: [String: Any], status: HTTPResponse.Status = .ok) throws -> Response {
        var context = content
        context["title"] = title
        if let session = ConsoleScope.session {
            context["user"] = ["name": session.user.name, "role": session.user.role.rawValue, "csrf": session.csrfToken,
                               "idleMinutes": Int(settings.idleTimeout.components.seconds / 60)]
            context["nav"] = Navigation.items(for: session.user.role)
        }
        guard let html = templates.render(Self.withoutNils(context), withTemplate: template) else { throw ConsoleError.missingResources }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Mustache renders an `Optional.none` boxed in `Any` as the text "nil": absent values leave the context.
    static func withoutNils(_ value: Any) -> Any? {
        if let optional = value as? any OptionalValue {
            guard let wrapped = optional.wrapped else { return nil }
            return withoutNils(wrapped)
        }
        if let dict = value as? [String: Any] { return dict.compactMapValues { withoutNils($0) } }
        if let array = value as? [Any] { return array.compactMap { withoutNils($0) } }
        return value
    }

    var logger: Logger { ConsoleScope.logger }

    func signedIn() throws -> Principal {
        guard let session = ConsoleScope.session else { throw HTTPError(.unauthorized) }
        return session.user
    }
}

/// The request's session and logger, for the page handlers.
enum ConsoleScope {
    @TaskLocal static var session: ConsoleSession?
    @TaskLocal static var logger = Logger(label: "cryoledger.console")
}

/// Lets `withoutNils` see through an `Optional` boxed in `Any` without reflection (the map page has hundreds of cells).
protocol OptionalValue { var wrapped: Any? { get } }
extension Optional: OptionalValue {
    var wrapped: Any? { self.map { $0 as Any } }
}

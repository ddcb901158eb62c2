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
        /// A session ends this long after sign-in however active it is (ConsoleSessionRules); 12 hours unless set.
        public var lifetime: Duration = .seconds(ConsoleSessionRules.absoluteLifetimeSeconds)
        public init(idleTimeout: Duration = .seconds(15 * 60), lifetime: Duration = .seconds(ConsoleSessionRules.absoluteLifetimeSeconds)) {
            self.idleTimeout = idleTimeout; self.lifetime = lifetime
        }
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
    /// Starts a supply forecast run in the server's background runner (set by the application; the same path as the API).
    public var startSupplyForecast: SupplyForecastStarter?
    let templates: MustacheLibrary
    let assets: [String: ConsoleAsset]
    let assetNames: AssetNames

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
        (self.assets, self.assetNames) = try AssetCatalogue.load(from: assetsPath)
    }

    enum ConsoleError: Error { case missingResources }

    /// Adds the console's routes: `/` and everything under `/console`. Register before the API's
    /// bearer-token middleware, so these routes answer to the session cookie instead.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/") { _, _ in Response.redirect(to: "/console", type: .normal) }
        router.get("/favicon.ico") { _, _ in try self.asset("favicon.ico") }
        let recorder = ConsoleRouteRecorder(router)
        defer { router.add(middleware: ConsoleFallbackMiddleware(console: self, routes: recorder.routes)) }
        let group = recorder.group("console").add(middleware: ConsoleMiddleware(console: self))
        group.get("assets/{name}") { _, context in try self.asset(context.parameters.require("name")) }
        group.get("sign-in") { request, _ in try self.signInPage(request, message: nil, login: "") }
        group.post("sign-in") { request, context in try await self.signIn(request, context) }
        group.post("sign-out") { request, context in try await self.signOut(request, context) }
        group.get("") { _, _ in try await self.home() }
        group.get("find") { request, _ in try await self.find(request) }
        group.get("freezers") { _, _ in try await self.freezerList() }
        group.get("freezers/{id}") { request, context in try await self.freezerPage(context.parameters.require("id"), request) }
        group.get("vials/{id}") { request, context in try await self.vialCard(context.parameters.require("id"), message: nil) }
        group.post("vials/{id}/move") { request, context in try await self.moveVial(context.parameters.require("id"), request, context) }
        group.get("patients") { _, _ in try await self.patientList() }
        group.get("lots") { request, _ in try await self.lotList(request) }
        group.get("lots/{lot}") { _, context in try await self.lotPage(context.parameters.require("lot")) }
        QCController(console: self).addRoutes(to: group)
        ReleaseController(console: self).addRoutes(to: group)
        DonorsController(console: self).addRoutes(to: group)
        TemperaturesController(console: self).addRoutes(to: group)
        EvacuationController(console: self).addRoutes(to: group)
        ImportController(console: self).addRoutes(to: group)
        CohortsController(console: self).addRoutes(to: group)
        AuditController(console: self).addRoutes(to: group)
        SupplyController(console: self).addRoutes(to: group)
        registerPharmacy(group)
        registerBedside(group)
        group.get("users") { _, _ in try await self.userList() }
        group.post("users") { request, context in try await self.createUser(request, context) }
        group.post("users/{id}/unlock") { request, context in try await self.userAction(request, context, action: "unlock") }
        group.post("users/{id}/password") { request, context in try await self.userAction(request, context, action: "password") }
        group.post("users/{id}/deactivate") { request, context in try await self.userAction(request, context, action: "deactivate") }
        group.post("users/{id}/reactivate") { request, context in try await self.userAction(request, context, action: "reactivate") }
    }

    func asset(_ name: String) throws -> Response {
        guard let asset = assets[name] else { throw HTTPError(.notFound) }
        var headers = HTTPFields()
        headers[.contentType] = asset.type
        headers[.cacheControl] = asset.immutable ? "public, max-age=31536000, immutable" : "no-cache"
        headers[.vary] = "Accept-Encoding"
        if let gzipped = asset.gzipped, ConsoleScope.acceptsGzip {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: gzipped))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    /// Renders a page not yet typed (a dictionary) inside the layout; typed pages use `render`.
    func page(_ template: String, title: String, _ content: [String: Any], status: HTTPResponse.Status = .ok,
              refusal: Refusal? = nil, confirmation: String? = nil) throws -> Response {
        let view = Self.withoutNils(content) as? [String: Any] ?? [:]
        return try respond(template, frame(view, title: title, refusal: refusal, confirmation: confirmation), status: status)
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
    /// Whether the request admits a gzip-compressed response (`Accept-Encoding`).
    @TaskLocal static var acceptsGzip = false
}

/// Lets `withoutNils` see through an `Optional` boxed in `Any` without reflection (the map page has hundreds of cells).
protocol OptionalValue { var wrapped: Any? { get } }
extension Optional: OptionalValue {
    var wrapped: Any? { self.map { $0 as Any } }
}

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
        SignInController(console: self).addRoutes(to: group)
        HomeController(console: self).addRoutes(to: group)
        FreezersController(console: self).addRoutes(to: group)
        VialsController(console: self).addRoutes(to: group)
        LotsController(console: self).addRoutes(to: group)
        QCController(console: self).addRoutes(to: group)
        ReleaseController(console: self).addRoutes(to: group)
        DonorsController(console: self).addRoutes(to: group)
        TemperaturesController(console: self).addRoutes(to: group)
        EvacuationController(console: self).addRoutes(to: group)
        ImportController(console: self).addRoutes(to: group)
        CohortsController(console: self).addRoutes(to: group)
        AuditController(console: self).addRoutes(to: group)
        PharmacyController(console: self).addRoutes(to: group)
        BedsideController(console: self).addRoutes(to: group)
        UsersController(console: self).addRoutes(to: group)
        SupplyController(console: self).addRoutes(to: group)
        NotificationsController(console: self).addRoutes(to: group)
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
    /// The signed-in person's unread notifications, counted once per request for the bell (nil: not counted).
    @TaskLocal static var unread: Int?
}

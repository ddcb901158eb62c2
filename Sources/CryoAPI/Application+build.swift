import CryoAPIGenerated
import CryoConsole
import CryoStore
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import PostgresNIO
import Prometheus

public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var auditKey: AuditKey?
    /// How often the server seals new custody events with a checkpoint; nil: never.
    public var checkpointInterval: Duration?
    /// How often lots past their expiry date are marked expired; nil: never (tests drive it directly).
    public var expiryInterval: Duration? = .seconds(300)
    /// How often the notification dispatcher looks for due webhook deliveries when it found none; nil: no dispatcher.
    public var notificationPollInterval: Duration? = .seconds(1)
    /// E-mail through sendmail (msmtp); nil: notifications are not mailed (they wait in the outbox until it is set).
    public var mail: MailSettings?
    /// Served at `/metrics` on `metricsPort` (a listener of its own, never the API's) when both are set.
    public var metrics: PrometheusCollectorRegistry?
    public var metricsPort: Int?
    /// The web console's settings (its idle time-out).
    public var console = Console.Settings()
    /// The database the client connects to; given, requests fail fast with 503 while it is down (DatabaseAvailability).
    public var database: DatabaseURL?
    /// Failed authentications allowed per client address and per token id in a window, then 429.
    public var authFailureLimits = AuthFailureLimiter.Limits()
    /// The transparency log (issue 27): the key that signs tree heads, how often the sealer runs and heads are signed,
    /// and the witnesses heads are submitted to. No signer: no sealer, no heads.
    public var logSigner: LogSigner?
    public var sealInterval: Duration = .milliseconds(250)
    public var headInterval: Duration = .seconds(60)
    public var witnesses: [WitnessEndpoint] = []

    public init(host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
                auditKey: AuditKey? = nil, checkpointInterval: Duration? = .seconds(60)) {
        self.host = host; self.port = port; self.logLevel = logLevel
        self.auditKey = auditKey; self.checkpointInterval = checkpointInterval
    }
}

/// The one application builder, used by `cryoledger serve` and by the tests.
/// The PostgreSQL client is run as a service of the application.
/// With `readClient`, auditors' exports read from that replica; it is run as a service too.
public func buildApplication(client: PostgresClient, readClient: PostgresClient? = nil, configuration: APIConfiguration) throws -> some ApplicationProtocol {
    var logger = Logger(label: "cryoledger")
    logger.logLevel = configuration.logLevel
    let availability = try configuration.database.map { try DatabaseAvailability(url: $0, logger: logger) }
    let store = Store(client: client, readClient: readClient, availability: availability)
    let router = try buildRouter(store: store, auditKey: configuration.auditKey, authFailureLimits: configuration.authFailureLimits,
                                 console: configuration.console, logSigner: configuration.logSigner)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cryoledger"),
        logger: logger
    )
    if let registry = configuration.metrics, let port = configuration.metricsPort {
        app.addServices(buildMetricsApplication(registry: registry, host: configuration.host, port: port, logger: logger))
    }
    app.addServices(client)
    if let readClient { app.addServices(readClient) }
    if let key = configuration.auditKey, let interval = configuration.checkpointInterval {
        app.addServices(CheckpointService(store: store, key: key, interval: interval, logger: logger))
    }
    if let signer = configuration.logSigner {
        app.addServices(TransparencyLogService(store: store, signer: signer, sealInterval: configuration.sealInterval,
                                               headInterval: configuration.headInterval, witnesses: configuration.witnesses, logger: logger))
    }
    if let interval = configuration.expiryInterval {
        app.addServices(ExpiryService(store: store, interval: interval, logger: logger))
    }
    if let interval = configuration.notificationPollInterval {
        let hooks = NotificationDispatcher(store: store, pollInterval: interval, logger: logger)
        var bells = [hooks.bell]
        app.addServices(hooks)
        if let mail = configuration.mail {
            let mails = MailDispatcher(store: store, settings: mail, pollInterval: interval, logger: logger)
            bells.append(mails.bell)
            app.addServices(mails)
        }
        app.addServices(OutboxListener(client: client, bells: bells, logger: logger))
    }
    return app
}

public func buildRouter(store: Store, auditKey: AuditKey?, authFailureLimits: AuthFailureLimiter.Limits = .init(),
                        console: Console.Settings = .init(), logSigner: LogSigner? = nil) throws -> Router<APIRequestContext> {
    guard let yaml = OpenAPIDocument.yaml else { throw ContractIndex.LoadError.malformed("the OpenAPI document is not installed") }
    let contract = try ContractIndex(yaml: yaml)
    // HEAD on every GET route answers like GET, without the body.
    let router = Router(context: APIRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    // The web console answers to its session cookie and renders its own error pages: registered before the
    // API's problem+json, contract and bearer-token middleware, which apply only to routes added after them.
    let forecasts = SupplyForecastRunner()
    var webConsole = try Console(store: store, auditKey: auditKey, settings: console, logSigner: logSigner)
    webConsole.startSupplyForecast = { months, runs, seed, plan, actor, logger in
        try await forecasts.begin(months: months, runs: runs, seed: seed, plan: plan, store: store, actor: actor, logger: logger)
    }
    webConsole.register(on: router)
    // The FHIR R5 read API (docs/fhir.md): the same tokens and failed-authentication limit, FHIR's media type and errors.
    let limiter = AuthFailureLimiter(limits: authFailureLimits)
    FHIRRoutes(store: store).register(on: router, limiter: limiter)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: ContractMiddleware(contract: contract))
    router.add(middleware: AuthMiddleware(store: store, limiter: limiter))
    router.get("/openapi.yaml") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: yaml)))
    }
    // Compact JSON: the runtime's default pretty-printing costs time on every response.
    // OperationAccessMiddleware: the role check of OperationAccess, before any body is decoded.
    try APIService(store: store, auditKey: auditKey, logSigner: logSigner, forecasts: forecasts).registerHandlers(on: router, configuration: .init(jsonEncodingOptions: [.sortedKeys]),
                                                                    middlewares: [OperationAccessMiddleware(), LocationHeaderMiddleware()])
    return router
}

/// `/metrics` on a listener of its own (`--metrics-port`): pool use and failure counts are for the
/// monitoring network, not for whoever can reach the API.
public func buildMetricsRouter(registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: SecurityHeadersMiddleware())
    router.get("/metrics") { _, _ in PrometheusMetrics.page(registry) }
    return router
}

func buildMetricsApplication(registry: PrometheusCollectorRegistry, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    var logger = logger
    logger[metadataKey: "listener"] = "metrics"
    return Application(router: buildMetricsRouter(registry: registry),
                       configuration: .init(address: .hostname(host, port: port), serverName: "cryoledger-metrics"), logger: logger)
}

import CryoAPIGenerated
import CryoStore
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import PostgresNIO

public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var auditKey: AuditKey?
    /// How often the server seals new custody events with a checkpoint; nil: never.
    public var checkpointInterval: Duration?
    /// How often lots past their expiry date are marked expired; nil: never (tests drive it directly).
    public var expiryInterval: Duration? = .seconds(300)
    /// The database the client connects to; given, requests fail fast with 503 while it is down (DatabaseAvailability).
    public var database: DatabaseURL?

    public init(host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
                auditKey: AuditKey? = nil, checkpointInterval: Duration? = .seconds(60)) {
        self.host = host; self.port = port; self.logLevel = logLevel
        self.auditKey = auditKey; self.checkpointInterval = checkpointInterval
    }
}

/// The one application builder, used by `cryoledger serve` and by the tests.
/// The PostgreSQL client is run as a service of the application.
public func buildApplication(client: PostgresClient, configuration: APIConfiguration) throws -> some ApplicationProtocol {
    var logger = Logger(label: "cryoledger")
    logger.logLevel = configuration.logLevel
    let store = Store(client: client, availability: configuration.database.map { DatabaseAvailability(url: $0, logger: logger) })
    let router = try buildRouter(store: store, auditKey: configuration.auditKey)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "cryoledger"),
        logger: logger
    )
    app.addServices(client)
    if let key = configuration.auditKey, let interval = configuration.checkpointInterval {
        app.addServices(CheckpointService(store: store, key: key, interval: interval, logger: logger))
    }
    if let interval = configuration.expiryInterval {
        app.addServices(ExpiryService(store: store, interval: interval, logger: logger))
    }
    return app
}

public func buildRouter(store: Store, auditKey: AuditKey?) throws -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: AuthMiddleware(store: store))
    router.get("/openapi.yaml") { _, _ in
        guard let yaml = OpenAPIDocument.yaml else { throw HTTPError(.notFound, message: "the OpenAPI document is not installed") }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: yaml)))
    }
    // Compact JSON: the runtime's default pretty-printing costs time on every response.
    try APIService(store: store, auditKey: auditKey).registerHandlers(on: router, configuration: .init(jsonEncodingOptions: [.sortedKeys]))
    return router
}

import ArgumentParser
import CryoAPI
import CryoConsole
import CryoDomain
import CryoStore
import Foundation
import Hummingbird
import Logging
import PostgresNIO

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the REST API.",
        discussion: """
            Environment: DATABASE_URL (default: the embedded cluster), DATABASE_READ_URL (a read replica for \
            auditors' exports), CRYOLEDGER_AUDIT_KEY and CRYOLEDGER_TLOG_KEY (required with DATABASE_URL), \
            CRYOLEDGER_TLOG_ORIGIN (the log's name), CRYOLEDGER_WITNESSES ("URL VKEY,..."), LOG_LEVEL (default info), \
            LOG_FORMAT (text or json). SIGTERM or SIGINT stops accepting connections, lets requests in flight \
            finish, then closes the database pool.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Largest database pool.") var maxConnections = 40
    @Option(help: "Largest pool to the read replica (DATABASE_READ_URL).") var maxReadConnections = 10
    @Option(help: "Serve Prometheus /metrics on this port (same address, a listener of its own, never the API port). Off unless given.")
    var metricsPort: Int?
    @Option(help: "Minutes a web console session may stay idle before it ends (21 CFR 11.300).") var consoleIdleMinutes = 15
    @Option(help: "Failed authentications allowed per minute per client address and per token id, then 429.") var authFailuresPerMinute = 10
    @Option(help: "Send notification e-mails with this sendmail-compatible command and its arguments, split at spaces (e.g. \"/usr/bin/msmtp -C /etc/cryoledger/msmtprc\"); off unless given.")
    var sendmail: String?
    @Option(help: "The sender address of notification e-mails.") var mailFrom = "cryoledger@localhost"
    @Option(help: "The console's address as people open it, for the links in e-mails (e.g. https://cryoledger.site.example).")
    var consoleURL: String?
    @Option(help: "Seconds between signed tree heads of the transparency log (when it grew), each submitted to the witnesses.") var headIntervalSeconds = 60

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = try Self.logLevel(environment["LOG_LEVEL"])
        if environment["LOG_FORMAT"] == "json" {
            LoggingSystem.bootstrap { label in var handler = JSONLogHandler(label: label); handler.logLevel = level; return handler }
        }
        try await runReporting {
            let home = EmbeddedPostgres().home
            if !Database.isExternal, RestoreMarker.isPresent(home: home) {
                throw StoreError.configuration("this database was restored from a backup and its custody log is not verified yet: run `cryoledger audit verify` (CRYOLEDGER_HOME=\(home.path)); the server starts once it passes")
            }
            var logger = Database.logger()
            logger.logLevel = level
            let key = try Database.auditKey()
            let url = try Database.url()
            let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxConnections, keepOpen: true), backgroundLogger: logger)
            var readClient: PostgresClient?
            if let text = environment["DATABASE_READ_URL"], !text.isEmpty {
                let url = try DatabaseURL(parsing: text)
                readClient = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxReadConnections, keepOpen: true), backgroundLogger: logger)
            }
            var configuration = APIConfiguration(host: host, port: port, logLevel: level, auditKey: key)
            configuration.metrics = PrometheusMetrics.registry
            if !Database.isExternal {
                let backup = ContinuousBackup(EmbeddedPostgres())
                PrometheusMetrics.beforeScrape.withLock { $0 = { BackupMetrics.refresh(backup) } }
            }
            configuration.metricsPort = metricsPort
            guard (1...480).contains(consoleIdleMinutes) else { throw ValidationError("--console-idle-minutes must be between 1 and 480") }
            configuration.console = Console.Settings(idleTimeout: .seconds(consoleIdleMinutes * 60))
            guard authFailuresPerMinute >= 1 else { throw ValidationError("--auth-failures-per-minute must be at least 1") }
            configuration.authFailureLimits = AuthFailureLimiter.Limits(failures: authFailuresPerMinute, window: .seconds(60))
            configuration.database = url
            // Without its key (an external database and no CRYOLEDGER_TLOG_KEY) the server runs without the transparency log.
            do { configuration.logSigner = try Database.logSigner() } catch {
                logger.warning("transparency log off: exports carry no signed head", metadata: ["reason": "\(error)"])
            }
            guard (1...60).contains(headIntervalSeconds) else { throw ValidationError("--head-interval-seconds must be between 1 and 60") }
            configuration.headInterval = .seconds(headIntervalSeconds)
            if let text = environment["CRYOLEDGER_WITNESSES"], !text.isEmpty { configuration.witnesses = try WitnessEndpoint.parse(text) }
            if let sendmail {
                let command = sendmail.split(separator: " ").map(String.init)
                guard let first = command.first, first.hasPrefix("/") else { throw ValidationError("--sendmail must start with the command's absolute path, e.g. /usr/bin/msmtp") }
                guard (try? PersonEmail.check(mailFrom)) != nil else { throw ValidationError("--mail-from must be an e-mail address, got '\(mailFrom)'") }
                configuration.mail = MailSettings(sendmail: command, from: mailFrom, consoleURL: consoleURL ?? "http://\(host):\(port)")
            }
            StoreMetrics.recordPoolSize(primary: maxConnections, replica: readClient == nil ? nil : maxReadConnections)
            let app = try buildApplication(client: client, readClient: readClient, configuration: configuration)
            try await app.runService()
        }
    }

    static func logLevel(_ text: String?) throws -> Logger.Level {
        guard let text, !text.isEmpty else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("LOG_LEVEL must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return level
    }
}

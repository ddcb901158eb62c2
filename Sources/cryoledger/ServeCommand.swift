import ArgumentParser
import CryoAPI
import Foundation
import Hummingbird
import Logging
import CryoStore
import PostgresNIO

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the REST API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Largest database pool.") var maxConnections = 40

    func run() async throws {
        try await runReporting {
            var logger = Database.logger()
            logger.logLevel = .info
            let url = try Database.url()
            let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
            let key = try AuditKey.load(home: EmbeddedPostgres().home)
            var configuration = APIConfiguration(host: host, port: port, auditKey: key)
            configuration.database = url
            let app = try buildApplication(client: client, configuration: configuration)
            try await app.runService()
        }
    }
}

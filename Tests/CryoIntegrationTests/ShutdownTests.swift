import CryoAPI
import CryoStore
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@Suite("Serving: shutdown")
struct ShutdownTests {
    // Found by Benchmarks/schemathesis/run.sh, whose clean-up waited for the server: the expiry sweep (every
    // 5 minutes) and the checkpoint service (every 60 s) slept through a graceful shutdown, so SIGTERM took
    // up to 5 minutes to stop `cryoledger serve`.
    @Test("a graceful shutdown stops the server at once, even with the expiry and checkpoint services asleep")
    func gracefulShutdownIsPrompt() async throws {
        try await TestDatabase.withDatabase { _, url in
            let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: 4), backgroundLogger: TestDatabase.logger)
            var configuration = APIConfiguration(port: 0, logLevel: .warning, auditKey: AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8)),
                                                 checkpointInterval: .seconds(60))
            configuration.expiryInterval = .seconds(300)
            let app = try buildApplication(client: client, configuration: configuration)
            let clock = ContinuousClock()
            let start = clock.now
            // The live test framework runs the application's service group and shuts it down gracefully at the end.
            try await app.test(.live) { http in
                try await http.execute(uri: "/health/ready", method: .get) { response in #expect(response.status == .ok) }
                try await Task.sleep(for: .milliseconds(300))  // let both services reach their sleep
            }
            let elapsed = clock.now - start
            #expect(elapsed < .seconds(20), "graceful shutdown took \(elapsed)")
        }
    }
}

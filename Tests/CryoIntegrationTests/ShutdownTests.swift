@testable import CryoAPI
import CryoStore
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

@Suite("Serving: shutdown")
struct ShutdownTests {
    // Found by Benchmarks/schemathesis/run.sh, whose clean-up waited for the server: the expiry sweep (every
    // 5 minutes) and the checkpoint service (every 60 s) slept through a graceful shutdown, so SIGTERM took
    // up to 5 minutes to stop `cryoledger serve`.
    @Test("a graceful shutdown stops the expiry and checkpoint services at once, in the middle of their sleep, and seals a last checkpoint")
    func gracefulShutdownIsPrompt() async throws {
        try await TestDatabase.withDatabase { testClient, url in
            let f = try await Fixture.make(testClient)
            try await f.lot("LOT-G1", vials: 3, box: "BOX-1")
            let client = PostgresClient(configuration: url.clientConfiguration(maxConnections: 2), backgroundLogger: TestDatabase.logger)
            let store = Store(client: client)
            let key = AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8))
            let group = ServiceGroup(configuration: .init(services: [
                .init(service: client),
                .init(service: CheckpointService(store: store, key: key, interval: .seconds(60), logger: TestDatabase.logger)),
                .init(service: ExpiryService(store: store, interval: .seconds(300), logger: TestDatabase.logger)),
            ], logger: TestDatabase.logger))
            let clock = ContinuousClock()
            let elapsed = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                try await Task.sleep(for: .seconds(1))  // the expiry sweep has run; both services sleep now
                let start = clock.now
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return clock.now - start
            }
            // Before the fix: the expiry interval, 300 s.
            #expect(elapsed < .seconds(30), "graceful shutdown took \(elapsed)")
            // The checkpoint service seals once more on its way out: nothing is left unsealed by a stop.
            let sealed = try await f.count("""
                SELECT ((SELECT max(last_event_id) FROM custody_checkpoint) = (SELECT max(id) FROM custody_event))::int
                """)
            #expect(sealed == 1, "the last custody event is not covered by a checkpoint after shutdown")
        }
    }
}

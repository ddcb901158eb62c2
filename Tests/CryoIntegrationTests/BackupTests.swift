import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

@Suite("Backups")
struct BackupTests {
    @Test("backup and restore round trip: every event comes back, audit verify passes with the checkpoints, the chain head is the same")
    func roundTrip() async throws {
        let key = AuditKey(Data("backup-test-audit-key-0123456789abcdef".utf8))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-backup-\(UUID().uuidString).dump").path
        defer { unlink(file) }
        let before: VerificationReport = try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            try await f.clinical(lots: [("LOT-B1", 4)])
            try await f.enrol("RES-001")
            _ = try await f.dispenseToThawed(["RES-001"])
            _ = try await f.store.checkpoint(key: key, logger: Fixture.logger)
            try Backup.dump(url, to: file)
            return try await f.store.verifyAuditTrail(key: key, actor: nil, logger: Fixture.logger)
        }
        #expect(before.intact && before.eventsChecked > 20)
        try await TestDatabase.withDatabase { client, url in
            try Backup.restore(url, from: file)
            let after = try await Store(client: client).verifyAuditTrail(key: key, actor: nil, logger: Fixture.logger)
            #expect(after.intact, "\(after.problems)")
            #expect(after.eventsChecked == before.eventsChecked && after.checkpointsChecked == before.checkpointsChecked && after.checkpointsChecked > 0)
            #expect(after.chainHead == before.chainHead)
            let thawed = try await client.query("SELECT count(*)::int FROM vial WHERE status = 'thawed'", logger: Fixture.logger).decode(Int.self).rows()
            #expect(thawed == [1])
        }
    }
}

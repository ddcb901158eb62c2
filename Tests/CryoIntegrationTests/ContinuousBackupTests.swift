import Foundation
import Testing
@testable import CryoStore

/// The parts of point-in-time recovery that need no pgBackRest: reading target times to the microsecond, writing
/// them back for PostgreSQL, reading `pgbackrest info`, and choosing the backup to restore from.
/// The restores themselves run end to end in Tests/Backup/run.sh.
@Suite("Continuous backups: target times and backup choice")
struct ContinuousBackupTests {
    @Test("a target time keeps every fractional digit and its zone; a time without a zone is refused")
    func parsesTimes() throws {
        let t = try #require(ContinuousBackup.parseTime("2026-12-07 10:41:00.123456Z"))
        #expect(ContinuousBackup.postgresTime(t) == "2026-12-07 10:41:00.123456+00")
        let offset = try #require(ContinuousBackup.parseTime("2026-12-07T11:41:00+01:00"))
        #expect(ContinuousBackup.postgresTime(offset) == "2026-12-07 10:41:00.000000+00")
        let compact = try #require(ContinuousBackup.parseTime("2026-12-07 11:41:00.5+0100"))
        #expect(ContinuousBackup.postgresTime(compact) == "2026-12-07 10:41:00.500000+00")
        #expect(ContinuousBackup.parseTime("2026-12-07 10:41:00") == nil)
        #expect(ContinuousBackup.parseTime("yesterday") == nil)
    }

    static let info = """
        [{"archive":[{"database":{"id":1,"repo-key":1},"id":"15-1","max":"00000001000000000000000A","min":"000000010000000000000001"}],
          "backup":[
            {"archive":{"start":"000000010000000000000002","stop":"000000010000000000000002"},"error":false,
             "info":{"delta":23000000,"repository":{"delta":6668288,"size":6668288},"size":23000000},"label":"20261207-100000F",
             "timestamp":{"start":1796637600,"stop":1796637603},"type":"full"},
            {"archive":{"start":"000000010000000000000005","stop":"000000010000000000000005"},"error":false,
             "info":{"delta":1,"repository":{"delta":70000,"size":6738288},"size":23000000},"label":"20261207-100000F_20261207-110000D",
             "timestamp":{"start":1796641200,"stop":1796641202},"type":"diff"}],
          "cipher":"aes-256-cbc","name":"cryoledger","status":{"code":0,"message":"ok"}}]
        """

    @Test("pgbackrest info is read, and the backup to restore from is the newest that ended before the target")
    func choosesBackup() throws {
        let info = try BackupInfo.parse(Self.info)
        #expect(info.backups.map(\.type) == ["full", "diff"])
        #expect(info.backups.map(\.repositoryDeltaBytes) == [6668288, 70000])
        #expect(info.cipher == "aes-256-cbc")
        #expect(info.walMin == "000000010000000000000001" && info.walMax == "00000001000000000000000A")
        #expect(info.earliestRecoverable == Date(timeIntervalSince1970: 1796637603))
        // Backup times are whole seconds: a target in the second a backup stopped cannot use that backup.
        #expect(info.backup(before: Date(timeIntervalSince1970: 1796637603.5)) == nil)
        #expect(info.backup(before: Date(timeIntervalSince1970: 1796637604))?.type == "full")
        #expect(info.backup(before: Date(timeIntervalSince1970: 1796641202.9))?.type == "full")
        #expect(info.backup(before: Date(timeIntervalSince1970: 1796641203))?.type == "diff")
        #expect(throws: StoreError.self) { try BackupInfo.parse("[]") }
    }
}

import Foundation

/// What `pgbackrest info --output=json` says about the stanza: its backups and the WAL archive after them.
public struct BackupInfo: Sendable, Encodable {
    public struct Backup: Sendable, Encodable {
        public var label: String
        public var type: String
        public var started: Date
        public var stopped: Date
        /// The first and last WAL segment the backup needs to be consistent.
        public var walStart: String?
        public var walStop: String?
        public var sizeBytes: Int64?
        /// What this backup added to the repository (a differential or incremental stores only changed files).
        public var repositoryDeltaBytes: Int64?
        public var error: Bool
    }

    public var status: String
    public var cipher: String?
    public var backups: [Backup]
    /// The oldest and newest WAL segment in the archive.
    public var walMin: String?
    public var walMax: String?
    /// When the server last archived a segment (from pg_stat_archiver, when the cluster runs): no commit after it is
    /// in the archive yet.
    public var lastArchivedAt: Date?
    public var lastArchiveFailedAt: Date?

    /// The earliest point a restore can reach: the end of the oldest good backup.
    public var earliestRecoverable: Date? { backups.filter { !$0.error }.map(\.stopped).min() }

    /// The newest backup that ended strictly before `time` (backup times are whole seconds): the one to restore
    /// from to reach `time` by replaying the archive.
    public func backup(before time: Date) -> Backup? {
        backups.filter { !$0.error && $0.stopped.timeIntervalSince1970 + 1 <= time.timeIntervalSince1970 }
            .max { $0.stopped < $1.stopped }
    }

    static func parse(_ json: String) throws -> BackupInfo {
        struct Stanza: Decodable {
            struct Status: Decodable { var code: Int; var message: String }
            struct Archive: Decodable { var min: String?; var max: String? }
            struct Entry: Decodable {
                struct Stamp: Decodable { var start: Double; var stop: Double }
                struct Range: Decodable { var start: String?; var stop: String? }
                struct Sizes: Decodable {
                    struct Repo: Decodable { var delta: Int64? }
                    var size: Int64?
                    var repository: Repo?
                }
                var label: String
                var type: String
                var timestamp: Stamp
                var archive: Range?
                var info: Sizes?
                var error: Bool?
            }
            var status: Status
            var cipher: String?
            var archive: [Archive]?
            var backup: [Entry]?
        }
        let stanzas: [Stanza]
        do { stanzas = try JSONDecoder().decode([Stanza].self, from: Data(json.utf8)) } catch {
            throw StoreError.unexpectedData("pgbackrest info: \(error)")
        }
        guard let s = stanzas.first else { throw StoreError.unexpectedData("pgbackrest info: no stanza") }
        let backups = (s.backup ?? []).map {
            Backup(label: $0.label, type: $0.type, started: Date(timeIntervalSince1970: $0.timestamp.start),
                   stopped: Date(timeIntervalSince1970: $0.timestamp.stop), walStart: $0.archive?.start, walStop: $0.archive?.stop,
                   sizeBytes: $0.info?.size, repositoryDeltaBytes: $0.info?.repository?.delta, error: $0.error ?? false)
        }
        let archives = s.archive ?? []
        return BackupInfo(status: s.status.message, cipher: s.cipher, backups: backups,
                          walMin: archives.compactMap(\.min).min(), walMax: archives.compactMap(\.max).max())
    }
}

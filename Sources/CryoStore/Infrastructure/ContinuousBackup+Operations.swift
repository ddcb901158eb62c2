import Foundation

/// Backups, the list of them, and the repository's verification, each through pgBackRest.
extension ContinuousBackup {
    public enum BackupType: String, Sendable, CaseIterable {
        case full, diff, incr
    }

    /// The last backup or verify run, kept in `backup/last-<operation>.json` for /metrics.
    public struct RunRecord: Codable, Sendable {
        public var operation: String
        public var succeeded: Bool
        public var finishedAt: Date
        public var detail: String
    }

    func recordFile(_ operation: String) -> URL { directory.appendingPathComponent("last-\(operation).json") }

    public func lastRun(_ operation: String) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: recordFile(operation).path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try? decoder.decode(RunRecord.self, from: data)
    }

    /// Runs `body` and records whether it succeeded; the error is rethrown.
    private func recorded<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        func write(_ ok: Bool, _ detail: String) {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            let record = RunRecord(operation: operation, succeeded: ok, finishedAt: Date(), detail: String(detail.prefix(2000)))
            if let data = try? encoder.encode(record) { try? data.write(to: recordFile(operation), options: .atomic) }
        }
        do {
            let value = try body()
            write(true, "ok")
            return value
        } catch {
            write(false, "\(error)")
            throw error
        }
    }

    private func requireEnabled() throws {
        guard Self.isEnabled else { throw StoreError.configuration("continuous backups are off (CRYOLEDGER_ARCHIVE=off)") }
        guard FileManager.default.fileExists(atPath: configFile.path) else {
            throw StoreError.configuration("no backup configuration at \(configFile.path): start the embedded cluster once (cryoledger db start)")
        }
    }

    /// A full, differential or incremental backup into repository `repo` (1 = the local one).
    public func backup(type: BackupType, repo: Int = 1) throws {
        try requireEnabled()
        try recorded("backup") { try pgbackrest(["--repo=\(repo)", "--type=\(type.rawValue)", "backup"]) }
    }

    /// Checks every file of every backup and every archived WAL segment against the checksums pgBackRest recorded.
    /// pgBackRest 2.45 exits 0 even when it finds bad files; it then prints a summary with "status: error" (and none
    /// when all is well), so the output is read: `VerificationFailed` with the lines that name what is wrong.
    public func verify(repo: Int = 1) throws -> String {
        try requireEnabled()
        return try recorded("verify") {
            let output = try pgbackrest(["--repo=\(repo)", "--log-level-console=info", "verify"])
            let summary = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            guard output.contains("verify command end: completed successfully"), !summary.contains("status: error") else {
                let problems = summary.filter { $0.contains("invalid") || $0.contains("missing") || $0.contains("status:") || $0.contains("ERROR") }
                throw VerificationFailed(detail: problems.map { $0.replacingOccurrences(of: #"^[0-9-]+ [0-9:.]+ P[0-9]+ +[A-Z]+: "#, with: "", options: .regularExpression) }
                    .joined(separator: "\n"))
            }
            return output
        }
    }

    public struct VerificationFailed: Error, CustomStringConvertible {
        public var detail: String
        public var description: String { "the backup repository failed verification:\n\(detail)" }
    }

    /// Forces a WAL switch and waits until the segment is in the archive: after it, every commit so far can be restored.
    public func archiveNow() throws {
        try requireEnabled()
        try pgbackrest(["check"])
    }

    public func info(repo: Int = 1) throws -> BackupInfo {
        try requireEnabled()
        var info = try BackupInfo.parse(try pgbackrest(["--repo=\(repo)", "--output=json", "info"]))
        if (try? cluster.isRunning()) == true,
           let row = try? cluster.psql("SELECT coalesce(extract(epoch FROM last_archived_time)::text, '') || '|' || coalesce(extract(epoch FROM last_failed_time)::text, '') FROM pg_stat_archiver") {
            let parts = row.split(separator: "|", omittingEmptySubsequences: false).map { Double($0) }
            info.lastArchivedAt = parts.first.flatMap { $0 }.map(Date.init(timeIntervalSince1970:))
            info.lastArchiveFailedAt = parts.count > 1 ? parts[1].map(Date.init(timeIntervalSince1970:)) : nil
        }
        return info
    }
}

import ArgumentParser
import CryoStore
import Foundation

extension ContinuousBackup.BackupType: ExpressibleByArgument {}

extension DatabaseCommand {
    /// The embedded cluster's continuous backups (pgBackRest), unless DATABASE_URL names another server.
    /// `start: false` for restores: the source may be stopped or damaged, and starting it (or making a new cluster
    /// where its data was lost) must not be a side effect of reading its backups.
    static func continuousBackup(start: Bool = true) throws -> ContinuousBackup {
        guard !Database.isExternal else {
            throw StoreError.configuration("continuous backups belong to the embedded cluster; with DATABASE_URL use the server's own tooling (deploy/README.md), or --output FILE for a pg_dump")
        }
        let cluster = EmbeddedPostgres()
        if start { try cluster.ensureRunning() }
        return ContinuousBackup(cluster)
    }

    struct BackupCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Back the embedded cluster up with pgBackRest (full, diff or incr), or with --output write a pg_dump file.",
            discussion: "The WAL archive between backups is continuous (archive_timeout 60 s); see `cryoledger db backups`.")
        @Option(help: "full, diff or incr.") var type: ContinuousBackup.BackupType = .full
        @Option(help: "The pgBackRest repository: 1 (local, under the home) or 2 (CRYOLEDGER_BACKUP_REPO2).") var repo = 1
        @Option(help: "Write a portable pg_dump (custom format) to this file instead.") var output: String?
        func run() async throws {
            try await runReporting {
                if let output {
                    try Backup.dump(try Database.url(admin: true), to: output)
                    print("backup written to \(output)")
                    return
                }
                let backup = try DatabaseCommand.continuousBackup()
                do { try backup.backup(type: type, repo: repo) } catch {
                    await BackupFailureReport.record("backup", repo: repo)
                    throw error
                }
                let newest = try backup.info(repo: repo).backups.max { $0.stopped < $1.stopped }
                print("\(type.rawValue) backup \(newest?.label ?? "") written to repository \(repo)")
            }
        }
    }

    struct Backups: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backups", abstract: "List the pgBackRest backups and the window a restore can reach.")
        @Option(help: "The pgBackRest repository (1 or 2).") var repo = 1
        @Option(name: .customLong("output"), help: "Output format: text or json.") var format: OutputFormat = .text
        func run() async throws {
            try await runReporting {
                let info = try DatabaseCommand.continuousBackup().info(repo: repo)
                Output.emit(info, format) { BackupListing.text($0) }
            }
        }
    }

    struct BackupVerify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup-verify",
            abstract: "Check every backup file and archived WAL segment against its recorded checksum (pgBackRest verify); exit 2 when any is bad.")
        @Option(help: "The pgBackRest repository (1 or 2).") var repo = 1
        func run() async throws {
            try await runReporting {
                do {
                    _ = try DatabaseCommand.continuousBackup().verify(repo: repo)
                    print("repository \(repo) verified: every backup file and WAL segment matches its checksum")
                } catch let failure as ContinuousBackup.VerificationFailed {
                    await BackupFailureReport.record("verify", repo: repo)
                    FileHandle.standardError.write(Data("BROKEN: repository \(repo) failed verification\n\(failure.detail)\n".utf8))
                    throw ExitCode(2)
                }
            }
        }
    }
}

enum BackupListing {
    static func text(_ info: BackupInfo) -> String {
        let f = ISO8601DateFormatter()
        var lines = ["stanza status: \(info.status); encryption: \(info.cipher ?? "none")"]
        if info.backups.isEmpty { lines.append("no backups yet: cryoledger db backup") }
        for b in info.backups {
            let size = b.repositoryDeltaBytes.map { " +\(($0 + 1023) / 1024) KiB in the repository" } ?? ""
            lines.append("  \(b.label)  \(b.type)  \(f.string(from: b.started)) – \(f.string(from: b.stopped))  WAL \(b.walStart ?? "?")–\(b.walStop ?? "?")\(size)\(b.error ? "  HAS ERRORS" : "")")
        }
        if let earliest = info.earliestRecoverable {
            let latest = info.lastArchivedAt.map { "to at least \(f.string(from: $0)) (last WAL archived)" } ?? "to the end of the archive"
            lines.append("recoverable: from \(f.string(from: earliest)) \(latest); WAL \(info.walMin ?? "?")–\(info.walMax ?? "?")")
        }
        if let failed = info.lastArchiveFailedAt, failed > (info.lastArchivedAt ?? .distantPast) {
            lines.append("WARNING: archiving last failed at \(f.string(from: failed)): see the backup log")
        }
        return lines.joined(separator: "\n")
    }
}

/// Tells administrators through the custody log (and so the outbox) that a backup or a verification failed; when the
/// database cannot be reached the failure is still on stderr, in /metrics and in the run record.
enum BackupFailureReport {
    static func record(_ operation: String, repo: Int) async {
        do {
            try await Database.withStore { store, logger in try await store.recordBackupFailure(operation: operation, repo: repo, logger: logger) }
        } catch {
            FileHandle.standardError.write(Data("note: the failure could not be recorded in the custody log (\(type(of: error)))\n".utf8))
        }
    }
}

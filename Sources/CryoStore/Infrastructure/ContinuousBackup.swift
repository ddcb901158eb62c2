import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Continuous archiving and point-in-time recovery of the embedded cluster with pgBackRest (Debian's `pgbackrest`).
/// Everything lives under the cluster's root, in `backup/`: the configuration (`pgbackrest.conf`, 0600: it holds the
/// repository's encryption passphrase), the passphrase itself (`passphrase`, 0600, made once), the local repository
/// (`repo1`), and pgBackRest's lock, log and spool directories. `CRYOLEDGER_BACKUP_REPO2` adds a second repository
/// (another disk or host path); `CRYOLEDGER_ARCHIVE=off` turns archiving off.
public struct ContinuousBackup: Sendable {
    public static let stanza = "cryoledger"
    /// Seconds after which a WAL segment is archived even if it is not full: the recovery point of an idle-ish site.
    public static let archiveTimeoutSeconds = 60
    /// The server settings file, included from postgresql.conf and rewritten before every start.
    static let includeFile = "cryoledger-backup.conf"

    public let cluster: EmbeddedPostgres
    public init(_ cluster: EmbeddedPostgres) { self.cluster = cluster }

    public var directory: URL { cluster.clusterRoot.appendingPathComponent("backup") }
    public var configFile: URL { directory.appendingPathComponent("pgbackrest.conf") }
    public var passphraseFile: URL { directory.appendingPathComponent("passphrase") }
    public var repository: URL { directory.appendingPathComponent("repo1") }
    /// The last backup or verify run's outcome, read by /metrics.
    public var lastRunFile: URL { directory.appendingPathComponent("last-run.json") }
    private var stanzaStamp: URL { directory.appendingPathComponent("stanza.conf-applied") }

    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    public static var isEnabled: Bool { (environment["CRYOLEDGER_ARCHIVE"] ?? "on").lowercased() != "off" }
    static var secondRepository: String? { environment["CRYOLEDGER_BACKUP_REPO2"].flatMap { $0.isEmpty ? nil : $0 } }
    static var retentionFull: Int { environment["CRYOLEDGER_BACKUP_RETENTION_FULL"].flatMap(Int.init).map { max(1, $0) } ?? 2 }

    public static func executable() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/pgbackrest") {
            return dir + "/pgbackrest"
        }
        throw StoreError.embedded("pgbackrest is not installed (continuous backups of the embedded cluster need it): apt-get install -y pgbackrest — or set CRYOLEDGER_ARCHIVE=off")
    }

    // MARK: - Configuration

    /// Writes the pgBackRest configuration and the server's archiving settings; called before the cluster starts.
    func configureServer() throws {
        let settings: String
        if Self.isEnabled {
            let tool = try Self.executable()
            try writeConfiguration()
            settings = """
                # Written by cryoledger before every start (ContinuousBackup.swift); edits are lost.
                archive_mode = on
                archive_command = '\(tool) --config=\(configFile.path) --stanza=\(Self.stanza) archive-push %p'
                archive_timeout = \(Self.archiveTimeoutSeconds)
                wal_level = replica
                track_commit_timestamp = on

                """
        } else {
            settings = "# Written by cryoledger: CRYOLEDGER_ARCHIVE=off\narchive_mode = off\n"
        }
        let data = cluster.dataDirectory
        try writeServerFile(data.appendingPathComponent(Self.includeFile), settings)
        let conf = data.appendingPathComponent("postgresql.conf")
        let text = try String(contentsOf: conf, encoding: .utf8)
        let include = "include_if_exists = '\(Self.includeFile)'"
        if !text.contains(include) {
            try writeServerFile(conf, text + "\n# Continuous archiving (cryoledger)\n\(include)\n", mode: 0o600)
        }
    }

    private func writeConfiguration() throws {
        let fm = FileManager.default
        for name in ["", "repo1", "lock", "log", "spool"] {
            let dir = name.isEmpty ? directory : directory.appendingPathComponent(name)
            if !fm.fileExists(atPath: dir.path) {
                try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try chownToServer(dir.path, recursive: false)
            }
        }
        let passphrase = try loadPassphrase()
        var lines = [
            "[global]",
            "repo1-path=\(repository.path)",
            "repo1-cipher-type=aes-256-cbc",
            "repo1-cipher-pass=\(passphrase)",
            "repo1-retention-full=\(Self.retentionFull)",
        ]
        if let repo2 = Self.secondRepository, repo2 != sourceSecondRepository {
            if !fm.fileExists(atPath: repo2) {
                try fm.createDirectory(atPath: repo2, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try chownToServer(repo2, recursive: false)
            }
            lines += ["repo2-path=\(repo2)", "repo2-cipher-type=aes-256-cbc", "repo2-cipher-pass=\(passphrase)",
                      "repo2-retention-full=\(Self.retentionFull)"]
        }
        lines += [
            "lock-path=\(directory.appendingPathComponent("lock").path)",
            "log-path=\(directory.appendingPathComponent("log").path)",
            "spool-path=\(directory.appendingPathComponent("spool").path)",
            "log-level-console=warn",
            "log-level-file=info",
            "compress-type=lz4",
            "process-max=2",
            "start-fast=y",
            "archive-check=y",
            "",
            "[\(Self.stanza)]",
            "pg1-path=\(cluster.dataDirectory.path)",
            "pg1-socket-path=\(cluster.socketDirectory.path)",
            "pg1-user=\(EmbeddedPostgres.superuser)",
            "",
        ]
        try writeServerFile(configFile, lines.joined(separator: "\n"), mode: 0o600)
    }

    /// In a home made by `restore`: the second repository of the home it was restored from. That repository holds the
    /// source's archive (encrypted with the source's passphrase), and restored homes promoted side by side would each
    /// push the same new timeline's segments into it; so a restored home uses a second repository only when
    /// CRYOLEDGER_BACKUP_REPO2 names another one.
    var sourceSecondRepository: String? {
        (try? String(contentsOf: restoredFromFile, encoding: .utf8)).flatMap { text in
            text.split(separator: "\n").first { $0.hasPrefix("repo2=") }.map { String($0.dropFirst("repo2=".count)) }
        }
    }
    var restoredFromFile: URL { directory.appendingPathComponent("restored-from") }

    /// Records, in a new home before its first start, where it was restored from.
    func recordRestoredFrom(_ source: ContinuousBackup) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.path) {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try chownToServer(directory.path, recursive: false)
        }
        try writeServerFile(restoredFromFile, "home=\(source.cluster.home.path)\nrepo2=\(Self.secondRepository ?? "")\n")
    }

    /// The repository's passphrase: made once (32 random bytes, base64) and kept in a 0600 file.
    private func loadPassphrase() throws -> String {
        if let text = try? String(contentsOf: passphraseFile, encoding: .utf8), !text.isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // SystemRandomNumberGenerator reads the kernel's CSPRNG (getrandom) on Linux.
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let passphrase = Data(bytes).base64EncodedString()
        try writeServerFile(passphraseFile, passphrase + "\n", mode: 0o600)
        return passphrase
    }

    /// Creates the stanza the first time, and again when the configuration changed (a second repository was added).
    func ensureStanza() throws {
        // A cluster already running when this version was installed is configured on its next start.
        guard Self.isEnabled, let conf = try? String(contentsOf: configFile, encoding: .utf8) else { return }
        if (try? String(contentsOf: stanzaStamp, encoding: .utf8)) == conf { return }
        try waitUntilPrimary()
        try pgbackrest(["stanza-create"])
        try writeServerFile(stanzaStamp, conf, mode: 0o600)
    }

    /// A restored cluster replays WAL before it is promoted; pgBackRest's stanza commands need the primary.
    func waitUntilPrimary(timeout: TimeInterval = 600) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let answer = try cluster.psql("SELECT pg_is_in_recovery()")
            if answer == "f" { return }
            guard Date() < deadline else { throw StoreError.embedded("the cluster is still recovering after \(Int(timeout)) s") }
            usleep(200_000)
        }
    }

    // MARK: - Running pgBackRest

    /// Runs pgBackRest with this home's configuration, as the server's user; returns its output.
    @discardableResult
    public func pgbackrest(_ args: [String]) throws -> String {
        try cluster.run(try Self.executable(), ["--config=\(configFile.path)", "--stanza=\(Self.stanza)"] + args)
    }

    func writeServerFile(_ url: URL, _ text: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
        try chownToServer(url.path, recursive: false)
    }

    func chownToServer(_ path: String, recursive: Bool) throws {
        guard let owner = EmbeddedPostgres.serverUser else { return }
        try cluster.run("/bin/chown", asServerUser: false, (recursive ? ["-R"] : []) + [owner, path])
    }
}

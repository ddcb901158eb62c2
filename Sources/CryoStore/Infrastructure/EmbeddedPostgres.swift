import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The embedded default: a private PostgreSQL cluster under `.cryoledger/` (or `CRYOLEDGER_HOME`),
/// listening on a Unix socket only. Run as root, the server runs as the unprivileged `postgres` user,
/// because initdb and postgres refuse to run as root.
public struct EmbeddedPostgres: Sendable {
    public let home: URL
    /// Where the cluster lives: `home`, unless we are root and the postgres user cannot reach it
    /// (a checkout under /root, say); then a private directory under /var/lib/cryoledger.
    public var clusterRoot: URL {
        guard Self.serverUser != nil, !Self.othersCanTraverse(home.deletingLastPathComponent()) else { return home }
        let digest = home.path.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return URL(fileURLWithPath: "/var/lib/cryoledger/\(String(digest, radix: 16))")
    }
    public var dataDirectory: URL { clusterRoot.appendingPathComponent("pgdata") }
    public var socketDirectory: URL { clusterRoot.appendingPathComponent("run") }
    public var logFile: URL { clusterRoot.appendingPathComponent("postgres.log") }

    static func othersCanTraverse(_ dir: URL) -> Bool {
        var current = dir.standardizedFileURL
        while true {
            guard let attrs = try? FileManager.default.attributesOfItem(atPath: current.path),
                  let mode = attrs[.posixPermissions] as? Int else { return false }
            if mode & 0o001 == 0 { return false }
            if current.path == "/" { return true }
            current = current.deletingLastPathComponent()
        }
    }
    public static let databaseName = "cryoledger"
    public static let superuser = "postgres"
    /// Created by migration 002; has no UPDATE, DELETE or TRUNCATE on the custody log.
    public static let applicationRole = "cryoledger_app"

    public init(home: URL? = nil) {
        if let home {
            self.home = home
        } else if let env = ProcessInfo.processInfo.environment["CRYOLEDGER_HOME"], !env.isEmpty {
            self.home = URL(fileURLWithPath: env, isDirectory: true)
        } else {
            self.home = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".cryoledger", isDirectory: true)
        }
    }

    public var url: DatabaseURL {
        DatabaseURL(user: Self.superuser, socketDirectory: socketDirectory.path, database: Self.databaseName)
    }

    public var isInitialised: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    /// Initialises the cluster the first time, starts it if it is not running, and creates the database.
    public func ensureRunning() throws {
        let bin = try Self.binDirectory()
        if !isInitialised { try initialise(bin: bin) }
        if try !isRunning(bin: bin) { try start(bin: bin) }
        try createDatabaseIfNeeded(bin: bin)
        try ContinuousBackup(self).ensureStanza()
    }

    public func isRunning() throws -> Bool { try isRunning(bin: try Self.binDirectory()) }

    public func stop() throws {
        let bin = try Self.binDirectory()
        guard isInitialised, try isRunning(bin: bin) else { return }
        try run(bin.appendingPathComponent("pg_ctl").path, ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
    }

    public func start() throws {
        let bin = try Self.binDirectory()
        if !isInitialised { try initialise(bin: bin) }
        if try !isRunning(bin: bin) { try start(bin: bin) }
        try createDatabaseIfNeeded(bin: bin)
        try ContinuousBackup(self).ensureStanza()
    }

    private func initialise(bin: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: home, withIntermediateDirectories: true)
        try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        if let owner = Self.serverUser {
            try run("/bin/chown", asServerUser: false, ["-R", owner, dataDirectory.path, socketDirectory.path])
        }
        try run(bin.appendingPathComponent("initdb").path, [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
        ])
    }

    private func start(bin: URL) throws {
        try preparePrivateLog()
        // Archiving (pgBackRest) is configured before every start, so an older cluster gets it on its next start.
        try ContinuousBackup(self).configureServer()
        // The server keeps inherited descriptors open, so pg_ctl start must not write into a pipe we read to the end.
        try run(bin.appendingPathComponent("pg_ctl").path, captureOutput: false, [
            "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "600",
            "-o", "-k \(socketDirectory.path) -c listen_addresses= -c max_connections=200 -c shared_buffers=256MB",
            "start",
        ])
    }

    /// The server log can hold statements and the values in them: it is created, and kept, readable by its owner
    /// only (pg_ctl -l would create it with the process umask, usually 0644), owned by the server's user.
    func preparePrivateLog() throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: logFile.path) {
            guard fm.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError.embedded("cannot create the server log \(logFile.path)")
            }
        }
        try fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: logFile.path)
        if let owner = Self.serverUser { try run("/bin/chown", asServerUser: false, [owner, logFile.path]) }
    }

    private func isRunning(bin: URL) throws -> Bool {
        guard isInitialised else { return false }
        return (try? run(bin.appendingPathComponent("pg_ctl").path, ["-D", dataDirectory.path, "status"])) != nil
    }

    private func createDatabaseIfNeeded(bin: URL) throws {
        let psql = bin.appendingPathComponent("psql").path
        let common = ["-h", socketDirectory.path, "-U", Self.superuser, "-d", "postgres", "-tAq", "-v", "ON_ERROR_STOP=1"]
        let exists = try run(psql, common + ["-c", "SELECT 1 FROM pg_database WHERE datname = '\(Self.databaseName)'"])
        if exists.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try run(psql, common + ["-c", "CREATE DATABASE \(Self.databaseName)"])
        }
    }

    /// One statement through psql as the superuser over the socket; its unaligned, trimmed output.
    func psql(_ sql: String, database: String = "postgres") throws -> String {
        let psql = try Self.binDirectory().appendingPathComponent("psql").path
        return try run(psql, ["-h", socketDirectory.path, "-U", Self.superuser, "-d", database, "-tAq", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The OS user the server runs as when we are root; nil when we are not root.
    static var serverUser: String? { getuid() == 0 ? "postgres" : nil }

    /// PostgreSQL's server binaries: `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
    public static func binDirectory() throws -> URL {
        let fm = FileManager.default
        if let out = try? EmbeddedPostgres.capture("/usr/bin/env", ["pg_config", "--bindir"]) {
            let dir = out.trimmingCharacters(in: .whitespacesAndNewlines)
            if fm.isExecutableFile(atPath: dir + "/initdb") { return URL(fileURLWithPath: dir) }
        }
        let base = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted(by: >)
        for v in versions where fm.isExecutableFile(atPath: "\(base)/\(v)/bin/initdb") {
            return URL(fileURLWithPath: "\(base)/\(v)/bin")
        }
        for dir in ["/usr/local/pgsql/bin", "/usr/pgsql-15/bin"] where fm.isExecutableFile(atPath: dir + "/initdb") {
            return URL(fileURLWithPath: dir)
        }
        throw StoreError.embedded("PostgreSQL server binaries not found (no initdb from pg_config --bindir or in /usr/lib/postgresql/*/bin). Install them with: apt-get install -y postgresql   — or set DATABASE_URL to an existing server.")
    }

    @discardableResult
    func run(_ tool: String, asServerUser: Bool = true, captureOutput: Bool = true, _ args: [String]) throws -> String {
        do {
            if asServerUser, let user = Self.serverUser {
                return try Self.capture("/usr/sbin/runuser", ["-u", user, "--", tool] + args, captureOutput: captureOutput)
            }
            return try Self.capture(tool, args, captureOutput: captureOutput)
        } catch let StoreError.embedded(message) where !captureOutput {
            let log = (try? String(contentsOf: logFile, encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw StoreError.embedded(message + "\nserver log (\(logFile.path)):\n" + log)
        }
    }

    /// Runs a tool and returns its output. Output goes to a temporary file rather than a pipe, and the
    /// child is reaped with waitpid: pg_ctl leaves a daemon behind that must not keep us waiting.
    @discardableResult
    static func capture(_ tool: String, _ args: [String], captureOutput: Bool = true) throws -> String {
        let outPath = FileManager.default.temporaryDirectory.appendingPathComponent("cryoledger-\(UUID().uuidString).out").path
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, captureOutput ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([tool] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, tool, &actions, nil, argv, environ)
        guard spawned == 0 else { throw StoreError.embedded("cannot start \(tool): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = captureOutput ? ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "") : ""
        let exited = status & 0x7f == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard code == 0 else {
            throw StoreError.embedded("\((tool as NSString).lastPathComponent) \(args.joined(separator: " ")) failed (exit \(code)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}

import Foundation

/// The embedded default: a private PostgreSQL cluster under `.cryoledger/` (or `CRYOLEDGER_HOME`),
/// listening on a Unix socket only. Run as root, the server runs as the unprivileged `postgres` user,
/// because initdb and postgres refuse to run as root.
public struct EmbeddedPostgres: Sendable {
    public let home: URL
    public var dataDirectory: URL { home.appendingPathComponent("pgdata") }
    public var socketDirectory: URL { home.appendingPathComponent("run") }
    public var logFile: URL { home.appendingPathComponent("postgres.log") }
    public static let databaseName = "cryoledger"
    public static let superuser = "postgres"

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
    }

    private func initialise(bin: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: socketDirectory.path)
        if let owner = Self.serverUser {
            try run("/bin/chown", ["-R", owner, dataDirectory.path, socketDirectory.path], asServerUser: false)
            if !fm.fileExists(atPath: logFile.path) { fm.createFile(atPath: logFile.path, contents: nil) }
            try run("/bin/chown", [owner, logFile.path], asServerUser: false)
        }
        try run(bin.appendingPathComponent("initdb").path, [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
        ])
    }

    private func start(bin: URL) throws {
        try run(bin.appendingPathComponent("pg_ctl").path, [
            "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60",
            "-o", "-k \(socketDirectory.path) -c listen_addresses= -c max_connections=200 -c shared_buffers=256MB",
            "start",
        ])
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
    private func run(_ tool: String, _ args: [String], asServerUser: Bool = true) throws -> String {
        if asServerUser, let user = Self.serverUser {
            return try Self.capture("/usr/sbin/runuser", ["-u", user, "--", tool] + args)
        }
        return try Self.capture(tool, args)
    }

    @discardableResult
    static func capture(_ tool: String, _ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = args
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw StoreError.embedded("\((tool as NSString).lastPathComponent) \(args.joined(separator: " ")) failed (exit \(process.terminationStatus)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return text
    }
}

import Crypto
import Foundation
import Logging
import PostgresNIO

public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
    public var checksum: String
}

/// Applies `db/migrations/NNN_name.sql` in order, each in its own transaction, recording a checksum.
/// A session advisory lock makes concurrent runs wait for each other instead of racing.
public struct Migrator: Sendable {
    static let lockKey: Int64 = 0x4352_594F_4C45_4447 // "CRYOLEDG"
    public let migrations: [Migration]

    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var seen: [Int: String] = [:]
        migrations = try files.map { file in
            guard let m = file.wholeMatch(of: /([0-9]+)_([A-Za-z0-9_-]+)\.sql/), let version = Int(m.1) else {
                throw StoreError.migration("migration file '\(file)' must be named NNN_name.sql")
            }
            if let other = seen[version] { throw StoreError.migration("migrations '\(other)' and '\(file)' share version \(version)") }
            seen[version] = file
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            guard let sql = String(data: data, encoding: .utf8) else { throw StoreError.migration("\(file) is not UTF-8") }
            let checksum = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
            return Migration(version: version, name: String(m.2), sql: sql, checksum: checksum)
        }
    }

    /// `CRYOLEDGER_MIGRATIONS`, else `db/migrations` in the working directory or above the executable.
    public static func defaultDirectory() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["CRYOLEDGER_MIGRATIONS"] { return URL(fileURLWithPath: explicit) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 { candidates.append(dir); dir = dir.deletingLastPathComponent() }
        candidates.append(URL(fileURLWithPath: "/usr/share/cryoledger"))
        for base in candidates {
            let url = base.appendingPathComponent("db/migrations")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw StoreError.migration("cannot find db/migrations; run from the repository or set CRYOLEDGER_MIGRATIONS")
    }

    /// Returns the names of the migrations applied by this run.
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [String] {
        try await client.withConnection { conn in
            try await conn.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await self.applyPending(conn, logger: logger)
                try await conn.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(_ conn: PostgresConnection, logger: Logger) async throws -> [String] {
        try await conn.query("""
            CREATE TABLE IF NOT EXISTS schema_migration (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done: [Int: (String, String)] = [:]
        for try await (version, name, checksum) in try await conn.query(
            "SELECT version, name, checksum FROM schema_migration", logger: logger
        ).decode((Int, String, String).self) {
            done[version] = (name, checksum)
        }
        var applied: [String] = []
        for migration in migrations {
            let label = String(format: "%03d_%@", migration.version, migration.name)
            if let (_, checksum) = done[migration.version] {
                guard checksum == migration.checksum else {
                    throw StoreError.migration("migration \(label).sql was changed after it was applied (checksum \(checksum.prefix(12))… in the database, \(migration.checksum.prefix(12))… on disk); write a new migration instead of editing an applied one")
                }
                continue
            }
            try await conn.withTransaction(logger: logger) { tx in
                for statement in SQLScript.statements(in: migration.sql) {
                    try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await tx.query("""
                    INSERT INTO schema_migration (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
            }
            logger.info("applied migration", metadata: ["migration": "\(label)"])
            applied.append(label)
        }
        return applied
    }
}

import Foundation

/// Backups with PostgreSQL's own tools: `pg_dump --format=custom`, and `pg_restore` with triggers disabled
/// during the data load, so the custody log comes back byte for byte (the chain trigger would otherwise
/// re-stamp every event) and `audit verify` passes on the restored database. Both need a superuser URL.
public enum Backup {
    public static func dump(_ url: DatabaseURL, to path: String) throws {
        try run("pg_dump", url, ["--format=custom", "--no-password", "--file", path, "--dbname", url.database])
    }

    /// Replaces the database's contents with the backup's, in one transaction.
    public static func restore(_ url: DatabaseURL, from path: String) throws {
        guard FileManager.default.isReadableFile(atPath: path) else { throw StoreError.configuration("input: cannot read \(path)") }
        try run("pg_restore", url, ["--clean", "--if-exists", "--single-transaction", "--disable-triggers", "--exit-on-error",
                                    "--no-password", "--dbname", url.database, path])
    }

    private static func run(_ tool: String, _ url: DatabaseURL, _ args: [String]) throws {
        let bin = try EmbeddedPostgres.binDirectory().appendingPathComponent(tool).path
        var connection = ["--username", url.user]
        if let dir = url.socketDirectory { connection += ["--host", dir] } else { connection += ["--host", url.host ?? "localhost"] }
        connection += ["--port", String(url.port)]
        if let password = url.password { setenv("PGPASSWORD", password, 1) }
        _ = try EmbeddedPostgres.capture(bin, connection + args)
    }
}

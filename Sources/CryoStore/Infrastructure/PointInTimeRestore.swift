import Foundation
import Logging
import PostgresNIO

/// Where a point-in-time restore stops.
public enum RestoreTarget: Sendable {
    /// Every commit in the archive.
    case latest
    /// Every commit at or before this instant.
    case time(Date)
    /// Every commit before the transaction that wrote a custody event (recovery_target_xid, exclusive): the event's
    /// own transaction id is exact where its timestamps are not (two commits can share a microsecond, and
    /// `occurred_at` is the transaction's start, not its commit).
    case beforeEvent(EventTransaction)
}

/// The transaction that wrote custody event `eventId`: its id (the row's xmin), when it committed, and the events it wrote.
public struct EventTransaction: Sendable {
    public var eventId: Int64
    public var xid: String
    public var committedAt: Date
    public var firstEventId: Int64
    public var lastEventId: Int64

    /// Reads the event's inserting transaction. Custody events are never updated, so xmin is the inserting
    /// transaction's; its commit time comes from track_commit_timestamp (on in the embedded cluster since
    /// continuous backups), else the event's occurred_at (the transaction's start, so never after its commit).
    public static func lookup(eventId: Int64, client: PostgresClient, logger: Logger) async throws -> EventTransaction {
        let rows = try await client.query("""
            SELECT e.xmin::text AS xid,
                   extract(epoch FROM coalesce(
                       CASE WHEN current_setting('track_commit_timestamp') = 'on' THEN pg_xact_commit_timestamp(e.xmin) END,
                       e.occurred_at))::float8 AS committed,
                   (SELECT min(f.id) FROM custody_event f WHERE f.xmin = e.xmin) AS first_id,
                   (SELECT max(f.id) FROM custody_event f WHERE f.xmin = e.xmin) AS last_id
            FROM custody_event e WHERE e.id = \(eventId)
            """, logger: logger).named { c in
            EventTransaction(eventId: eventId, xid: try c("xid"), committedAt: Date(timeIntervalSince1970: try c("committed", as: Double.self)),
                             firstEventId: try c("first_id"), lastEventId: try c("last_id"))
        }
        guard let found = rows.first else { throw StoreError.configuration("before-event: there is no custody event \(eventId)") }
        return found
    }
}

/// A database restored from the backups must pass `audit verify` before the server runs on it: `restore` leaves this
/// file in the new home, a passing verification removes it, and `serve` refuses to start while it is there.
public enum RestoreMarker {
    public static func file(home: URL) -> URL { home.appendingPathComponent("RESTORED-NOT-VERIFIED") }

    public static func isPresent(home: URL) -> Bool { FileManager.default.fileExists(atPath: file(home: home).path) }

    public static func write(home: URL, _ text: String) throws {
        try Data(text.utf8).write(to: file(home: home), options: .atomic)
    }

    public static func clear(home: URL) { try? FileManager.default.removeItem(at: file(home: home)) }
}

/// What a restore did, for the operator and for the record kept in the new home.
public struct RestoreOutcome: Sendable, Encodable {
    public var home: String
    public var dataDirectory: String
    public var backupSet: String
    public var target: String
    public var events: Int64
    public var lastEventId: Int64?
    public var lastEventAt: String?
    public var seconds: Double
}

extension ContinuousBackup {
    /// Restores this cluster's backups into a NEW embedded home (`into`, which must not exist or be empty), replays the
    /// archive to `target`, promotes, and starts the restored cluster there. The source cluster is not touched; its
    /// keys (audit.key, tlog.key) are copied so checkpoints and signed heads still verify.
    public func restore(to target: RestoreTarget, into home: URL) throws -> RestoreOutcome {
        let started = Date()
        let fm = FileManager.default
        guard fm.fileExists(atPath: configFile.path) else {
            throw StoreError.configuration("no backup configuration at \(configFile.path): nothing to restore from")
        }
        let existing = (try? fm.contentsOfDirectory(atPath: home.path)) ?? []
        guard existing.isEmpty else { throw StoreError.configuration("target-dir: \(home.path) is not empty; restore into a new directory") }
        let restored = EmbeddedPostgres(home: home)
        guard restored.dataDirectory.path != cluster.dataDirectory.path else {
            throw StoreError.configuration("target-dir: that is the current cluster's home")
        }
        // While the source runs, push its current WAL segment so the newest commits can be reached.
        if (try? cluster.isRunning()) == true { try archiveNow() }

        let info = try self.info()
        var options: [String]
        let description: String
        let cutoff: Date?
        switch target {
        case .latest:
            options = ["--type=default"]
            description = "the end of the archive"
            cutoff = nil
        case .time(let time):
            options = ["--type=time", "--target=\(Self.postgresTime(time))", "--target-action=promote"]
            description = "time \(Self.postgresTime(time))"
            cutoff = time
        case .beforeEvent(let tx):
            options = ["--type=xid", "--target=\(tx.xid)", "--target-exclusive", "--target-action=promote"]
            description = "before event \(tx.eventId) (transaction \(tx.xid), which wrote events \(tx.firstEventId)–\(tx.lastEventId))"
            cutoff = tx.committedAt
        }
        let set: BackupInfo.Backup
        if let cutoff {
            guard let found = info.backup(before: cutoff) else {
                let oldest = info.earliestRecoverable.map { " (the oldest backup ends at \(Self.postgresTime($0)))" } ?? " (there is no backup yet)"
                throw StoreError.configuration("no backup ends before \(Self.postgresTime(cutoff))\(oldest): that point cannot be restored")
            }
            set = found
        } else {
            guard let newest = info.backups.filter({ !$0.error }).max(by: { $0.stopped < $1.stopped }) else {
                throw StoreError.configuration("there is no backup yet: run cryoledger db backup")
            }
            set = newest
        }
        options += ["--set=\(set.label)"]

        for dir in [home, restored.clusterRoot, restored.dataDirectory, restored.socketDirectory] where !fm.fileExists(atPath: dir.path) {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: home.path)
        for dir in [restored.dataDirectory, restored.socketDirectory] {
            try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dir.path)
            try chownToServer(dir.path, recursive: false)
        }
        for key in ["audit.key", "tlog.key"] {
            let from = cluster.home.appendingPathComponent(key)
            if fm.fileExists(atPath: from.path) { try fm.copyItem(at: from, to: home.appendingPathComponent(key)) }
        }
        try RestoreMarker.write(home: home, """
            Restored from backup \(set.label) to \(description) at \(Self.postgresTime(Date())).
            Run `cryoledger audit verify` with CRYOLEDGER_HOME=\(home.path); the server will not start here until it passes.

            """)
        try pgbackrest(["--pg1-path=\(restored.dataDirectory.path)"] + options + ["restore"])
        try ContinuousBackup(restored).recordRestoredFrom(self)
        try restored.start()
        let summary = try restored.psql("""
            SELECT count(*)::text || '|' || coalesce(max(id)::text, '') || '|' ||
                   coalesce((SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM custody_event ORDER BY id DESC LIMIT 1), '')
            FROM custody_event
            """, database: EmbeddedPostgres.databaseName).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        return RestoreOutcome(home: home.path, dataDirectory: restored.dataDirectory.path, backupSet: set.label, target: description,
                              events: Int64(summary[0]) ?? 0, lastEventId: summary.count > 1 ? Int64(summary[1]) : nil,
                              lastEventAt: summary.count > 2 && !summary[2].isEmpty ? summary[2] : nil,
                              seconds: Date().timeIntervalSince(started))
    }

    /// A timestamp PostgreSQL and pgBackRest both read, to the microsecond: "2026-12-07 10:41:00.123456+00".
    static func postgresTime(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var micros = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        if micros == 1_000_000 { seconds += 1; micros = 0 }
        return f.string(from: Date(timeIntervalSince1970: seconds)) + String(format: ".%06d+00", micros)
    }

    /// Reads "2026-12-07 10:41:00Z", "2026-12-07T10:41:00.123456+01:00" and the like, keeping every fractional digit
    /// (Foundation's ISO 8601 parser stops at milliseconds); a time without a zone is refused.
    public static func parseTime(_ text: String) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let match = t.wholeMatch(of: /(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}(?::?\d{2})?)/) else { return nil }
        var zone = String(match.output.4)
        if zone.count == 3 { zone += ":00" }
        if zone.count == 5 { zone.insert(":", at: zone.index(zone.startIndex, offsetBy: 3)) }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let whole = plain.date(from: "\(match.output.1)T\(match.output.2)\(zone)") else { return nil }
        let fraction = match.output.3.flatMap { Double("0" + $0) } ?? 0
        return whole.addingTimeInterval(fraction)
    }
}

import Foundation
import Metrics

/// The embedded cluster's backups as gauges on /metrics, read afresh at each scrape: whether the last `db backup` and
/// `db backup-verify` succeeded and when they ran, and whether WAL archiving is failing now (its last failure is newer
/// than its last success). Alert on `cryoledger_backup_last_run_succeeded == 0`, on a timestamp older than a day, and on
/// `cryoledger_wal_archive_failing == 1`.
public enum BackupMetrics {
    public static func refresh(_ backup: ContinuousBackup) {
        for operation in ["backup", "verify"] {
            guard let run = backup.lastRun(operation) else { continue }
            Gauge(label: "cryoledger_backup_last_run_succeeded", dimensions: [("operation", operation)]).record(run.succeeded ? 1 : 0)
            Gauge(label: "cryoledger_backup_last_run_timestamp_seconds", dimensions: [("operation", operation)])
                .record(run.finishedAt.timeIntervalSince1970)
        }
        guard ContinuousBackup.isEnabled,
              let row = try? backup.cluster.psql("SELECT coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) FROM pg_stat_archiver")
        else { return }
        Gauge(label: "cryoledger_wal_archive_failing").record(row == "t" ? 1 : 0)
    }
}

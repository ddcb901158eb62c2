import ArgumentParser
import CryoStore
import Foundation

extension DatabaseCommand {
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restore the embedded cluster's backups to a point in time, into a new home (or a pg_dump file with --input).",
            discussion: """
                Point in time (pgBackRest): give one of --to, --to-latest, --before-event, and --target-dir, a new directory \
                that becomes a complete embedded home (its cluster is started there; the current one is not touched). \
                The server will not start on it until `CRYOLEDGER_HOME=DIR cryoledger audit verify` passes.
                With --input FILE: replace the current database's contents with a pg_dump file, in one transaction.
                """)
        @Option(help: "Restore to this instant, e.g. \"2026-12-07 10:41:00Z\" (a zone is required).") var to: String?
        @Flag(help: "Restore every commit in the archive.") var toLatest = false
        @Option(help: "Restore to just before the transaction that wrote this custody event.") var beforeEvent: Int64?
        @Option(help: "The new home to restore into (must not exist, or be empty).") var targetDir: String?
        @Option(help: "A pg_dump file to restore into the current database instead.") var input: String?
        @Option(name: .customLong("output"), help: "Output format: text or json.") var format: OutputFormat = .text

        func validate() throws {
            let chosen = [to != nil, toLatest, beforeEvent != nil, input != nil].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError("give exactly one of --to, --to-latest, --before-event or --input") }
            if input == nil, targetDir == nil { throw ValidationError("--target-dir: a point-in-time restore goes into a new directory; name it") }
            if input != nil, targetDir != nil { throw ValidationError("--target-dir applies to point-in-time restores, not to --input") }
            if let to, ContinuousBackup.parseTime(to) == nil {
                throw ValidationError("--to: not a time with a zone, like \"2026-12-07 10:41:00Z\" or \"2026-12-07T10:41:00+01:00\"")
            }
        }

        func run() async throws {
            try await runReporting {
                if let input {
                    try Backup.restore(try Database.url(admin: true), from: input)
                    print("restored from \(input); check it with: cryoledger audit verify")
                    return
                }
                let backup = try DatabaseCommand.continuousBackup(start: false)
                let target: RestoreTarget
                if let to, let time = ContinuousBackup.parseTime(to) {
                    target = .time(time)
                } else if let beforeEvent {
                    guard (try? backup.cluster.isRunning()) == true else {
                        throw StoreError.configuration("--before-event reads event \(beforeEvent)'s transaction from the current database, which is not running: start it (cryoledger db start), or restore --to a time")
                    }
                    target = .beforeEvent(try await Database.withClient(admin: true) { client, logger in
                        try await EventTransaction.lookup(eventId: beforeEvent, client: client, logger: logger)
                    })
                } else {
                    target = .latest
                }
                let home = URL(fileURLWithPath: targetDir!, isDirectory: true).standardizedFileURL
                let outcome = try backup.restore(to: target, into: home)
                Output.emit(outcome, format) { o in
                    """
                    restored backup \(o.backupSet) to \(o.target) in \(String(format: "%.1f", o.seconds)) s
                    \(o.events) custody events\(o.lastEventId.map { ", the last \($0) at \(o.lastEventAt ?? "?")" } ?? "")
                    the restored cluster is running in \(o.dataDirectory)
                    next: CRYOLEDGER_HOME=\(o.home) cryoledger audit verify   (the server refuses to start there until it passes)
                    """
                }
            }
        }
    }
}

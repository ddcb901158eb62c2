import ArgumentParser
import CryoDomain
import CryoReports
import CryoStore
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify the custody log, seal it with checkpoints, export reports.",
        subcommands: [Verify.self, Checkpoint.self, Export.self, PublicKey.self, Head.self, Inclusion.self, Consistency.self])

    static func key() throws -> AuditKey { try Database.auditKey() }

    static func describe(_ r: VerificationReport) -> String {
        var lines = [r.intact
            ? "intact: \(r.eventsChecked) events, \(r.subjectsChecked) subjects, \(r.checkpointsChecked) checkpoints verified"
            : "BROKEN: \(r.problems.count) problems in \(r.eventsChecked) events"]
        if !r.chainHead.isEmpty { lines.append("chain head: \(r.chainHead)") }
        for p in r.problems {
            lines.append("  \(p.kind)\(p.eventId.map { " event \($0)" } ?? "")\(p.subject.map { " [\($0)]" } ?? ""): \(p.detail)")
        }
        return lines.joined(separator: "\n")
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every hash, chain and checkpoint; exit 0 when intact, 2 when anything is broken.",
            discussion: "With --file, verifies a JSON export offline, without the database.")
        @OptionGroup var user: UserOptions
        @Option(help: "A JSON export to verify offline.") var file: String?

        func run() async throws {
            try await runReporting {
                let report: VerificationReport
                if let file {
                    guard let data = FileManager.default.contents(atPath: file) else { throw DomainError.invalid(field: "file", rule: "cannot read \(file)") }
                    let events: [ExportedEvent]
                    if let doc = try? JSONDecoder().decode(CustodyExportDocument.self, from: data) {
                        events = doc.events
                    } else {
                        // NDJSON from the API: a header line, then one event per line.
                        let lines = data.split(separator: UInt8(ascii: "\n")).dropFirst()
                        do { events = try lines.map { try JSONDecoder().decode(ExportedEvent.self, from: Data($0)) } } catch {
                            throw DomainError.invalid(field: "file", rule: "not a CryoLedger JSON or NDJSON export: \(error)")
                        }
                    }
                    report = ExportVerifier.verify(events: events)
                } else {
                    let key = try AuditCommand.key()
                    report = try await Database.withStore { store, logger in
                        try await store.verifyAuditTrail(key: key, actor: try await user.principal(store, logger), logger: logger)
                    }
                }
                Output.emit(report, user.format) { AuditCommand.describe($0) }
                if !report.intact { throw ExitCode(2) }
                // A restored embedded database is cleared for `serve` once its custody log verifies.
                if file == nil, !Database.isExternal, RestoreMarker.isPresent(home: EmbeddedPostgres().home) {
                    RestoreMarker.clear(home: EmbeddedPostgres().home)
                    print("this restored database is verified: the server may start on it")
                }
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Seal every event written so far with a keyed checkpoint.")
        func run() async throws {
            try await runReporting {
                let key = try AuditCommand.key()
                let made = try await Database.withStore { store, logger in try await store.checkpoint(key: key, logger: logger) }
                print(made.map { "checkpoint sealed \($0.eventCount) events up to event \($0.lastEventId) (key \(key.id))" } ?? "nothing new to seal")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a chain-of-custody report as CSV, JSON or PDF.")
        @OptionGroup var auth: TokenOption
        @Option var vial: String?
        @Option var lot: String?
        @Option var donor: String?
        @Option(help: "A patient's coded subject id: its record, allocations and every vial reserved for it.") var patient: String?
        @Option(help: "YYYY-MM-DD") var from: String?
        @Option(help: "YYYY-MM-DD") var to: String?
        @Option(help: "csv, json or pdf") var format: ReportFormat
        @Option(help: "File to write.") var output: String

        func run() async throws {
            try await runReporting {
                let scope = try ExportScope.parse(vial: vial, lot: lot, donor: donor, patient: patient, from: from, to: to)
                let key = try AuditCommand.key()
                let signer = try AuditCommand.logSigner()
                let (count, path) = try await Database.withStore { store, logger in
                    let actor = try await auth.principal(store, logger)
                    return (try await ReportWriter.write(store: store, scope: scope, format: format, to: output, actor: actor, key: key, signer: signer, logger: logger), output)
                }
                print("wrote \(count) events to \(path)")
            }
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}

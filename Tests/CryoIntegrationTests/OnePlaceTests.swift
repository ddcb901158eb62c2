@testable import CryoStore
import CryoDomain
import Foundation
import PostgresNIO
import Testing

/// Issue 24, item 8 (the parts of the transport helper): release as a signing step in the database too, the 3+3
/// decision taken under the cohort's lock, db/schema.sql generated from the migrations, and (item 7) the database
/// server's log created 0600.
@Suite("One place: release signing in SQL, 3+3 under lock, schema.sql, server log mode")
struct OnePlaceTests {
    @Test("release is a signing step in the database: quarantine -> released without a signed event is refused at commit; lot_is_signing_step() agrees with LotStatus.isSigningStep on every pair")
    func releaseSigned() async throws {
        try await withFixture { f in
            try await f.lot("LOT-SIG1")
            _ = try await f.store.transitionLot(number: "LOT-SIG1", to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.recordQcResult(lotNumber: "LOT-SIG1", QcResultInput(testCode: "viability", numericValue: 92, unit: "%", method: "7-AAD flow cytometry",
                                                                                     instrument: "FACSLyric 2", analyst: "J. Analyst"),
                                                 actor: f.user(.qc), logger: Fixture.logger)
            // Swift bypassed: a disposition on record but no signed custody event.
            let qa = f.user(.qa).id
            await #expect {
                try await f.client.withTransaction(logger: Fixture.logger) { conn in
                    try await conn.query("INSERT INTO lot_disposition (lot_number, decision, kind, decided_by) VALUES ('LOT-SIG1', 'released', 'standard', \(qa))",
                                         logger: Fixture.logger)
                    try await conn.query("UPDATE lot SET status = 'released' WHERE lot_number = 'LOT-SIG1'", logger: Fixture.logger)
                }
            } throws: { error in
                let inner = (error as? PostgresTransactionError).flatMap { $0.commitError ?? $0.closureError } ?? error
                let psql = inner as? PSQLError
                return psql?.serverInfo?[.sqlState] == "CL409" && psql?.serverInfo?[.message]?.contains("signing step") == true
            }
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE lot_number = 'LOT-SIG1' AND status = 'quarantine'") == 1)
            // The signed path commits.
            let lot = try await f.store.releaseLot(number: "LOT-SIG1", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [], reason: "all pass",
                                                   signature: SignatureInput(password: Fixture.qaPassword, meaning: "approved for release"),
                                                   actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .released)
            for from in LotStatus.allCases {
                for to in LotStatus.allCases where to != from {
                    let sql = try await f.client.query("SELECT lot_is_signing_step(\(from.rawValue), \(to.rawValue))", logger: Fixture.logger)
                        .decode(Bool.self).first { _ in true }
                    #expect(sql == LotStatus.isSigningStep(from: from, to: to), "\(from.rawValue) -> \(to.rawValue)")
                }
            }
        }
    }

    @Test("two people confirm the same 3+3 decision at once: exactly one decision is recorded, the others are told the cohort changed")
    func concurrentCohortDecision() async throws {
        try await withFixture { f in
            try await f.clinical()
            for s in ["RES-001", "RES-002", "RES-003"] { try await f.enrol(s) }
            for a in try await f.dispenseToThawed(["RES-001", "RES-002", "RES-003"]) {
                _ = try await f.store.administerVial(id: a.vialIds[0], scannedSubjectId: a.subjectId, signature: f.nurseSignature,
                                                     actor: f.user(.pharmacy), logger: Fixture.logger)
            }
            // Every DLT window has closed with no DLT: the rules say escalate.
            let later = Store(client: f.client, clock: { Date().addingTimeInterval(29 * 86_400) })
            let decision = try await later.cohortDecision(cohortId: Fixture.cohort, actor: f.user(.clinical), logger: Fixture.logger)
            #expect(decision.decision == .escalate && decision.actionable, "\(decision.rationale)")
            let signature = f.nurseSignature, clinician = f.user(.clinical)
            // Two confirmations at once, made to meet: the test holds the cohort's row lock until both are waiting on
            // the database, then lets go. Deciding before locking, both would have read "escalate" by then.
            async let confirmations: [String] = withTaskGroup(of: String.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            _ = try await later.confirmCohortDecision(cohortId: Fixture.cohort, decision: .escalate, signature: signature,
                                                                       actor: clinician, logger: Fixture.logger)
                            return "recorded"
                        } catch let error as DomainError {
                            return error.description.contains("changed meanwhile") || error.description.contains("say '") ? "conflict" : "\(error)"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            try await f.client.withTransaction(logger: Fixture.logger) { conn in
                try await conn.query("SELECT 1 FROM cohort WHERE id = \(Fixture.cohort) FOR UPDATE", logger: Fixture.logger)
                for _ in 0..<600 {
                    let waiting = try await f.count("""
                        SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                        """)
                    if waiting >= 2 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let outcomes = await confirmations
            #expect(outcomes.filter { $0 == "recorded" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == "conflict" }.count == 1, "\(outcomes)")
            #expect(try await f.count("SELECT count(*)::int FROM cohort_decision WHERE cohort_id = '\(Fixture.cohort)'") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'cohort.decided'") == 1)
        }
    }

    /// db/schema.sql next to the migrations.
    static let schemaFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("db/schema.sql")

    static let schemaHeader = """
        -- The schema of a freshly migrated database (db/migrations, in order): pg_dump --schema-only --no-owner, normalised.
        -- Generated; do not edit. Regenerate with db/schema.sh after adding a migration; the test suite
        -- (OnePlaceTests/schemaMatchesMigrations) fails while it differs from what the migrations make.

        """

    /// pg_dump's text without what changes from run to run or machine to machine: comments, SET lines, the
    /// \restrict key, runs of blank lines.
    static func normalise(_ dump: String) -> String {
        var out: [Substring] = []
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("--") || line.hasPrefix("SET ") || line.hasPrefix("SELECT pg_catalog.set_config") || line.hasPrefix("\\restrict")
                || line.hasPrefix("\\unrestrict") { continue }
            if line.trimmingCharacters(in: .whitespaces).isEmpty, out.last?.isEmpty ?? true { continue }
            out.append(line.trimmingCharacters(in: .whitespaces).isEmpty ? "" : line)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    @Test("db/schema.sql is what the migrations make (regenerate with db/schema.sh)")
    func schemaMatchesMigrations() async throws {
        let dump = try await TestDatabase.withDatabase { _, url in
            var args = ["--schema-only", "--no-owner", "--no-password", "--username", url.user, "--port", String(url.port)]
            args += ["--host", url.socketDirectory ?? url.host ?? "localhost", "--dbname", url.database]
            return try EmbeddedPostgres.capture(try EmbeddedPostgres.binDirectory().appendingPathComponent("pg_dump").path, args)
        }
        let schema = Self.normalise(dump)
        if ProcessInfo.processInfo.environment["CRYOLEDGER_WRITE_SCHEMA"] == "1" {
            try (Self.schemaHeader + schema).write(to: Self.schemaFile, atomically: true, encoding: .utf8)
        }
        let onFile = Self.normalise(try String(contentsOf: Self.schemaFile, encoding: .utf8))
        #expect(onFile == schema, "db/schema.sql differs from what the migrations make: run db/schema.sh")
        #expect(schema.contains("CREATE FUNCTION public.lot_is_signing_step") && schema.contains("CREATE TRIGGER"))
    }

    @Test("the embedded cluster's server log is created 0600, and an older, wider log is narrowed to 0600")
    func serverLogMode() throws {
        let home = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cryoledger-logmode-\(UUID().uuidString.prefix(8))")
        let embedded = EmbeddedPostgres(home: home)
        defer {
            try? embedded.stop()
            try? FileManager.default.removeItem(at: embedded.clusterRoot)
            try? FileManager.default.removeItem(at: home)
        }
        try embedded.start()
        func mode() throws -> Int { (try FileManager.default.attributesOfItem(atPath: embedded.logFile.path)[.posixPermissions] as? Int ?? -1) & 0o777 }
        let created = try mode()
        #expect(created == 0o600, "a new log is \(String(created, radix: 8))")
        try embedded.stop()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: embedded.logFile.path)
        try embedded.start()
        let restarted = try mode()
        #expect(restarted == 0o600, "a restarted cluster's log is \(String(restarted, radix: 8))")
    }
}

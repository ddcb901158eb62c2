import CryoDomain
import CryoReports
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Tampering as a superuser with the log's triggers disabled: verification must name every kind of change.
@Suite("Audit trail verification")
struct AuditTests {
    static let key = AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8))

    /// Some history: a lot with three placed vials, one moved; sealed by a checkpoint.
    func history(_ f: Fixture) async throws -> [VialRecord] {
        let vials = try await f.lot("LOT-A1", vials: 3, box: "BOX-1")
        _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 1, column: 1), reason: "consolidation",
                                       actor: f.user(.manufacturing), logger: Fixture.logger)
        _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 1, column: 2), reason: "consolidation",
                                       actor: f.user(.manufacturing), logger: Fixture.logger)
        try await f.store.checkpoint(key: Self.key, logger: Fixture.logger)
        return vials
    }

    func tamper(_ f: Fixture, _ sql: String) async throws {
        try await f.client.withConnection { conn in
            try await conn.query("ALTER TABLE custody_event DISABLE TRIGGER USER", logger: Fixture.logger)
            try await conn.query("ALTER TABLE custody_head DISABLE TRIGGER USER", logger: Fixture.logger)
            try await conn.query(PostgresQuery(unsafeSQL: sql), logger: Fixture.logger)
            try await conn.query("ALTER TABLE custody_event ENABLE TRIGGER USER", logger: Fixture.logger)
            try await conn.query("ALTER TABLE custody_head ENABLE TRIGGER USER", logger: Fixture.logger)
        }
    }

    func verify(_ f: Fixture) async throws -> VerificationReport {
        try await f.store.verifyAuditTrail(key: Self.key, actor: f.user(.auditor), logger: Fixture.logger)
    }

    func eventId(_ f: Fixture, vial: String, seq: Int) async throws -> Int {
        try await f.count("SELECT id::int FROM custody_event WHERE subject_type = 'vial' AND subject_id = '\(vial)' AND seq = \(seq)")
    }

    @Test("an intact log passes, checkpoints included")
    func intact() async throws {
        try await withFixture { f in
            _ = try await history(f)
            let report = try await verify(f)
            #expect(report.intact, "\(report.problems)")
            #expect(report.checkpointsChecked == 1)
            #expect(report.eventsChecked == (try await f.count("SELECT count(*)::int FROM custody_event")))
        }
    }

    @Test("an edited field is reported as edited, at that event")
    func edited() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            let id = try await eventId(f, vial: vials[0].id, seq: 2)
            try await tamper(f, "UPDATE custody_event SET reason = 'nothing happened' WHERE id = \(id)")
            let report = try await verify(f)
            #expect(!report.intact)
            #expect(report.problems.contains { $0.kind == "edited" && $0.eventId == Int64(id) })
        }
    }

    @Test("a deleted event is reported as missing, and the checkpoint no longer matches")
    func deleted() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            let id = try await eventId(f, vial: vials[0].id, seq: 2)
            try await tamper(f, "DELETE FROM custody_event WHERE id = \(id)")
            let report = try await verify(f)
            #expect(report.problems.contains { $0.kind == "missing" && $0.subject == "vial/\(vials[0].id)" })
            #expect(report.problems.contains { $0.kind == "checkpoint-mismatch" })
        }
    }

    @Test("a forged event, even with a correct digest, is reported")
    func forged() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            try await tamper(f, """
                INSERT INTO custody_event (subject_type, subject_id, seq, action, actor_name, actor_role, reason, prev_hash, hash, occurred_at)
                SELECT 'vial', '\(vials[1].id)', h.seq + 1, 'vial.destroyed', 'Nobody', 'qa', 'forged', h.hash, '\\x00', now()
                FROM custody_head h WHERE h.subject_type = 'vial' AND h.subject_id = '\(vials[1].id)';
                """)
            try await tamper(f, "UPDATE custody_event e SET hash = custody_event_digest(e) WHERE reason = 'forged'")
            let report = try await verify(f)
            #expect(!report.intact)
            #expect(report.problems.contains { $0.subject == "vial/\(vials[1].id)" && $0.kind == "head-mismatch" })
        }
    }

    @Test("reordering two events of a subject is reported")
    func reordered() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            let a = try await eventId(f, vial: vials[0].id, seq: 2), b = try await eventId(f, vial: vials[0].id, seq: 3)
            try await tamper(f, "UPDATE custody_event SET seq = -1 WHERE id = \(a)")
            try await tamper(f, "UPDATE custody_event SET seq = 2 WHERE id = \(b)")
            try await tamper(f, "UPDATE custody_event SET seq = 3 WHERE id = \(a)")
            let report = try await verify(f)
            #expect(report.problems.contains { $0.kind == "out-of-order" || $0.kind == "edited" })
            #expect(report.problems.contains { $0.eventId == Int64(a) || $0.eventId == Int64(b) })
        }
    }

    @Test("deleting the newest events is reported")
    func newestDeleted() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            // Events written after the checkpoint, then removed: only the chain head remembers them.
            _ = try await f.store.moveVial(id: vials[2].id, to: Position(boxId: "BOX-2", row: 5, column: 5), reason: "late move",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            try await tamper(f, "DELETE FROM custody_event WHERE id = (SELECT max(id) FROM custody_event)")
            var report = try await verify(f)
            #expect(report.problems.contains { $0.kind == "missing" && $0.subject == "vial/\(vials[2].id)" })
            // Sealed events removed from the end: the checkpoint catches them too.
            try await tamper(f, "DELETE FROM custody_event WHERE subject_id = '\(vials[0].id)' AND seq >= 2")
            report = try await verify(f)
            #expect(report.problems.contains { $0.kind == "checkpoint-mismatch" })
        }
    }

    @Test("concurrent appends to one subject may commit a later seq under a lower id; the log is still intact")
    func lowerIdLaterSeq() async throws {
        try await withFixture { f in
            let vials = try await history(f)
            let subject = vials[2].id
            let insert: PostgresQuery = "INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, prev_hash, hash) VALUES ('vial', \(subject), 'vial.inspected', 'T', 'qa', '\\x', '\\x')"
            try await f.client.withConnection { holder in
                try await holder.query("BEGIN", logger: Fixture.logger)
                try await holder.query("SELECT 1 FROM custody_head WHERE subject_type = 'vial' AND subject_id = \(subject) FOR UPDATE", logger: Fixture.logger)
                // This append takes its id now and then waits for the chain head.
                let waiting = Task { try await f.client.query(insert, logger: Fixture.logger) }
                for _ in 0..<200 {
                    let blocked = try await f.count(
                        "SELECT count(*)::int FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO custody_event%'")
                    if blocked > 0 { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                try await holder.query(insert, logger: Fixture.logger)
                try await holder.query("COMMIT", logger: Fixture.logger)
                _ = try await waiting.value
            }
            let ids = try await f.client.query("SELECT id, seq FROM custody_event WHERE subject_id = \(subject) AND action = 'vial.inspected' ORDER BY seq", logger: Fixture.logger)
                .decode((Int64, Int64).self).rows()
            #expect(ids.count == 2 && ids[0].0 > ids[1].0, "the later seq should carry the lower id: \(ids)")
            let report = try await verify(f)
            #expect(report.intact, "\(report.problems)")
        }
    }

    @Test("a checkpoint sealed with another key is reported")
    func wrongKey() async throws {
        try await withFixture { f in
            _ = try await history(f)
            let report = try await f.store.verifyAuditTrail(key: AuditKey(Data("another-key-another-key-another-key".utf8)), actor: f.user(.auditor), logger: Fixture.logger)
            #expect(report.problems.contains { $0.kind == "seal-invalid" })
        }
    }

    @Test("checkpoints taken while writers append keep the log verifiable")
    func concurrentCheckpoints() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-A2", vials: 20, box: "BOX-1")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, v) in vials.enumerated() {
                    group.addTask {
                        _ = try await f.store.moveVial(id: v.id, to: Position(boxId: "BOX-2", row: 1 + i / 9, column: 1 + i % 9), reason: "move",
                                                       actor: f.user(.manufacturing), logger: Fixture.logger)
                    }
                }
                for _ in 0..<5 {
                    group.addTask { try await f.store.checkpoint(key: Self.key, logger: Fixture.logger) }
                }
                try await group.waitForAll()
            }
            try await f.store.checkpoint(key: Self.key, logger: Fixture.logger)
            let report = try await verify(f)
            #expect(report.intact, "\(report.problems)")
            #expect(report.checkpointsChecked >= 1)
        }
    }

    /// The checkpoint's boundary step must wait for appends in flight: an event whose transaction is still open
    /// when the checkpoint starts has a lower id than events committed meanwhile, and a checkpoint that sealed those
    /// without waiting would leave it below the seal, unsealed (verification: not intact).
    @Test("a checkpoint waits for an append in flight below its boundary and seals it")
    func checkpointWaitsForAppendInFlight() async throws {
        try await withFixture { f in
            _ = try await history(f)
            func append(_ conn: PostgresConnection, _ subject: String) async throws {
                try await conn.query("""
                    INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, prev_hash, hash)
                    VALUES ('storage', \(subject), 'storage.noted', 'Test', 'manufacturing', '\\x', '\\x')
                    """, logger: Fixture.logger)
            }
            try await f.client.withConnection { writer in
                try await writer.query("BEGIN", logger: Fixture.logger)
                try await append(writer, "BOX-IN-FLIGHT")
                let inFlight = try await writer.query("SELECT max(id) FROM custody_event", logger: Fixture.logger).decode(Int64.self).rows()[0]
                try await f.client.withConnection { other in try await append(other, "BOX-COMMITTED") }
                async let sealed = f.store.checkpoint(key: Self.key, logger: Fixture.logger)
                // Until the checkpoint is seen waiting for the writer's lock on custody_event.
                var waiting = 0
                for _ in 0..<200 where waiting == 0 {
                    waiting = try await f.count("SELECT count(*)::int FROM pg_locks WHERE relation = 'custody_event'::regclass AND NOT granted")
                    if waiting == 0 { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(waiting == 1)
                try await writer.query("COMMIT", logger: Fixture.logger)
                let made = try await sealed
                #expect((made?.lastEventId ?? 0) > inFlight)
            }
            let report = try await verify(f)
            #expect(report.intact, "\(report.problems)")
        }
    }

    @Test("the application's role cannot update or delete the log, but can append to it")
    func appRole() async throws {
        try await TestDatabase.withDatabase { superClient, url in
            _ = try await Fixture.make(superClient)
            var appURL = url
            appURL.user = "cryoledger_app"
            try await TestDatabase.withClient(appURL) { app in
                for sql in ["UPDATE custody_event SET reason = 'x'", "DELETE FROM custody_event", "TRUNCATE custody_event"] {
                    await #expect {
                        try await app.query(PostgresQuery(unsafeSQL: sql), logger: Fixture.logger)
                    } throws: { error in
                        (error as? PSQLError)?.serverInfo?[.sqlState] == "42501"
                    }
                }
                let store = Store(client: app)
                let issued = try await store.createUser(name: "App Role Maker", role: .manufacturing, password: nil, logger: Fixture.logger)
                _ = try await store.registerDonor(DonorRegistration(code: "DN-000555", eligibility: .pending, screeningTests: [], hla: []),
                                                  actor: issued.user, logger: Fixture.logger)
                try await store.checkpoint(key: Self.key, logger: Fixture.logger)
            }
        }
    }
}

@Suite("Custody reports")
struct ReportTests {
    @Test("a lot report lists every event of every vial in order, agrees with the per-vial history, and re-verifies offline")
    func lotReport() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-R1", vials: 4, box: "BOX-1")
            _ = try await f.store.moveVial(id: vials[1].id, to: Position(boxId: "BOX-2", row: 2, column: 2), reason: "moved, \"quoted\"",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cl-report-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let json = dir.appendingPathComponent("lot.json").path
            let n = try await ReportWriter.write(store: f.store, scope: .lot("LOT-R1"), format: .json, to: json, actor: f.user(.auditor), key: nil, logger: Fixture.logger)
            let doc = try JSONDecoder().decode(CustodyExportDocument.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
            #expect(doc.events.count == n)
            for v in vials {
                let history = try await f.store.custodyEvents(subjectType: "vial", subjectId: v.id, actor: f.user(.auditor), logger: Fixture.logger)
                let exported = doc.events.filter { $0.subjectId == v.id }
                #expect(exported.map(\.seq) == history.map(\.seq))
                #expect(exported.map(\.action) == history.map(\.action))
                #expect(exported.map(\.hash) == history.map(\.hash))
            }
            #expect(doc.events.contains { $0.subjectType == "lot" && $0.action == "lot.registered" })
            #expect(ExportVerifier.verify(events: doc.events).intact)
            var edited = doc.events
            edited[1].hashedFields[12] = "edited"
            edited[1].reason = "edited"
            #expect(ExportVerifier.verify(events: edited).problems.contains { $0.kind == "edited" })

            let csv = dir.appendingPathComponent("lot.csv").path
            #expect(try await ReportWriter.write(store: f.store, scope: .lot("LOT-R1"), format: .csv, to: csv, actor: f.user(.auditor), key: nil, logger: Fixture.logger) == n)
            let text = try String(contentsOfFile: csv, encoding: .utf8)
            #expect(text.hasPrefix("id,subject_type"))
            #expect(text.contains("\"moved, \"\"quoted\"\"\""))
        }
    }

    @Test("the CSV export written straight from the rows is byte for byte the CSV of the exported events")
    func csvFastPath() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-R3", vials: 3, box: "BOX-1")
            let reasons = ["comma, inside", "a \"quoted\" word", "two\nlines", "carriage\rreturn", "µL, 5 °C — Zürich ✓ 🧊", "tab\tand ; semicolon", "plain"]
            for (i, reason) in reasons.enumerated() {
                _ = try await f.store.moveVial(id: vials[i % 2].id, to: Position(boxId: "BOX-2", row: 1 + i, column: 1 + i % 2), reason: reason,
                                               actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            _ = try await f.store.transitionLot(number: "LOT-R3", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "LOT-R3", to: .rejected, reason: "endotoxin, \"high\"",
                                                signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected: out of specification, see \"QC-7\""),
                                                actor: f.user(.qa), logger: Fixture.logger)
            let first = try await f.store.custodyEvents(subjectType: "vial", subjectId: vials[2].id, actor: f.user(.qa), logger: Fixture.logger)[0]
            _ = try await f.store.correctCustodyEvent(eventId: first.id, reason: "label, reprinted", corrected: ["toLocation": "BOX-1:\"C3\""],
                                                      actor: f.user(.qa), logger: Fixture.logger)
            // Timestamps far from today, written by a superuser: the hand-made formatter must match to_char everywhere.
            try await f.client.withConnection { conn in
                try await conn.query("ALTER TABLE custody_event DISABLE TRIGGER USER", logger: Fixture.logger)
                try await conn.query("""
                    INSERT INTO custody_event (subject_type, subject_id, seq, action, actor_name, actor_role, occurred_at, reason, prev_hash, hash)
                    SELECT 'vial', \(vials[2].id), 1000 + n, 'vial.inspected', 'Clock', 'qa', t AT TIME ZONE 'UTC', 'odd clock', '\\x'::bytea, '\\x'::bytea
                    FROM unnest(ARRAY['4713-11-24 00:00:00 BC', '0001-12-31 23:59:59.999999 BC', '0001-01-01 00:00:00', '0099-03-01 01:02:03.04',
                                      '1582-10-10 10:10:10', '1900-02-28 23:59:59', '1969-12-31 23:59:59.5', '1999-12-31 23:59:59.999999',
                                      '2000-01-01 00:00:00', '2000-02-29 12:34:56.000001', '2024-02-29 23:00:00.123', '2100-03-01 00:00:00',
                                      '9999-12-31 23:59:59.999999', '10000-01-01 00:00:00', '294276-12-31 23:59:59.999999']::timestamp[]) WITH ORDINALITY AS u(t, n)
                    UNION ALL
                    SELECT 'vial', \(vials[2].id), 2000 + g, 'vial.inspected', 'Clock', 'qa',
                           timestamptz '1970-01-01 00:00:00+00' + (random() * 9.0e12 - 2.1e11) * interval '1 second' + floor(random() * 1e6) * interval '1 microsecond',
                           NULL, '\\x', '\\x'
                    FROM generate_series(1, 500) g
                    """, logger: Fixture.logger)
                try await conn.query("ALTER TABLE custody_event ENABLE TRIGGER USER", logger: Fixture.logger)
            }
            let scopes: [ExportScope] = [.period(from: CalendarDay("2000-01-01")!, to: CalendarDay("2100-01-01")!), .lot("LOT-R3"), .vial(vials[2].id), .donor("DN-000001")]
            for scope in scopes {
                var reference = Array(CustodyCSV.header.utf8)
                let n = try await f.store.exportCustody(scope: scope, actor: f.user(.auditor), logger: Fixture.logger) { ReferenceCSV.append($0, to: &reference) }
                var fast: [UInt8] = []
                var chunks = 0
                let m = try await f.store.exportCustodyCSV(scope: scope, actor: f.user(.auditor), logger: Fixture.logger, chunkSize: 700) { fast += $0; chunks += 1 }
                #expect(m == n && n > 0)
                #expect(chunks > 1)
                let a = String(decoding: reference, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let b = String(decoding: fast, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                let same = fast == reference
                #expect(same, "\(scope): first difference: \(zip(a, b).first { $0 != $1 }.map { "\($0)\n  vs \($1)" } ?? "lengths \(a.count) vs \(b.count)")")
            }
            // The file written by the report writer is that same CSV.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cl-csv-\(UUID().uuidString).csv").path
            defer { unlink(path) }
            var reference = Array(CustodyCSV.header.utf8)
            _ = try await f.store.exportCustody(scope: .lot("LOT-R3"), actor: f.user(.auditor), logger: Fixture.logger) { ReferenceCSV.append($0, to: &reference) }
            _ = try await ReportWriter.write(store: f.store, scope: .lot("LOT-R3"), format: .csv, to: path, actor: f.user(.auditor), key: nil, logger: Fixture.logger)
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            let same = written == reference
            #expect(same, "the CSV file differs from the reference CSV")
        }
    }

    @Test("the PDF report renders to a page image")
    func pdf() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-R2", vials: 3, box: "BOX-1")
            _ = try await f.store.transitionLot(number: "LOT-R2", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "LOT-R2", to: .rejected, reason: "endotoxin 9 EU/mL",
                                                signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected: out of specification"),
                                                actor: f.user(.qa), logger: Fixture.logger)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cl-pdf-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("lot.pdf").path
            let n = try await ReportWriter.write(store: f.store, scope: .lot("LOT-R2"), format: .pdf, to: path, actor: f.user(.auditor),
                                                 key: AuditTests.key, logger: Fixture.logger)
            #expect(n == vials.count + 3)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(data.starts(with: Array("%PDF".utf8)))
            let render = Process()
            render.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
            render.arguments = ["-png", "-r", "60", "-f", "1", "-l", "1", path, dir.appendingPathComponent("page").path]
            try render.run()
            render.waitUntilExit()
            #expect(render.terminationStatus == 0)
            let pngs = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".png") }
            #expect(pngs.count == 1)
        }
    }
}

@Suite("Audit through the API")
struct AuditAPITests {
    @Test("verifyAuditTrail and the custody exports: streamed CSV and NDJSON, JSON, PDF, clear errors")
    func endpoints() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-X1", vials: 5, box: "BOX-1")
            let auditor = f.tokens[.auditor]
            let (status, body, _) = try await http.call(.get, "/audit/verify", token: auditor)
            #expect(status == .ok && body["intact"] as? Bool == true)
            var (s, _, text) = try await http.call(.get, "/audit/export/csv?lot=LOT-X1", token: auditor)
            #expect(s == .ok)
            #expect(text.split(separator: "\n").count == 1 + 1 + vials.count)
            (s, _, text) = try await http.call(.get, "/audit/export/ndjson?vial=\(vials[0].id)", token: auditor)
            #expect(s == .ok)
            let events = text.split(separator: "\n").dropFirst().map { try! JSONDecoder().decode(ExportedEvent.self, from: Data($0.utf8)) }
            #expect(events.count == 1 && ExportVerifier.verify(events: events).intact)
            (s, _, text) = try await http.call(.get, "/audit/export/pdf?lot=LOT-X1", token: auditor)
            #expect(s == .ok && text.hasPrefix("%PDF"))
            var json: [String: Any]
            (s, json, _) = try await http.call(.get, "/audit/export/json?lot=LOT-X1", token: auditor)
            #expect(s == .ok && (json["events"] as? [Any])?.count == 1 + vials.count)
            for format in ["csv", "ndjson", "json", "pdf"] {
                (s, _, _) = try await http.call(.get, "/audit/export/\(format)?lot=NO-LOT", token: auditor)
                #expect(s == .notFound, "\(format)")
                let (s2, problem, _) = try await http.call(.get, "/audit/export/\(format)", token: auditor)
                #expect(s2 == .badRequest && problem["field"] as? String == "scope", "\(format)")
            }
            (s, _, _) = try await http.call(.get, "/audit/verify", token: nil)
            #expect(s == .unauthorized)
        }
    }
}

/// The CSV record of an exported event built the slow, obvious way from its strings: the oracle the streaming
/// `CustodyCSV` writer must match byte for byte.
enum ReferenceCSV {
    static func append(_ e: ExportedEvent, to out: inout [UInt8]) {
        let fields = [String(e.id), e.subjectType, e.subjectId, String(e.seq), e.occurredAt, e.action, e.actorName, e.actorRole, e.fromState,
                      e.toState, e.fromLocation, e.toLocation, e.reason, e.signature, e.details, e.prevHash, e.hash]
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if i == 0 || i == 3 { out.append(contentsOf: field.utf8) } else { CSVCell.append(field.utf8, to: &out) }
        }
        out.append(0x0A)
    }
}

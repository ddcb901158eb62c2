import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 28, notifications: the outbox is written by the database in the transaction of the custody event that
/// causes it (trigger `custody_event_notifies`), decided by `notification_kind()`, the twin of `NotificationRule.kind`.
@Suite("Notifications: the transactional outbox")
struct NotificationOutboxTests {
    @Test("notification_kind() and NotificationRule.kind agree on every action of EventSentences.catalogue")
    func rulesAgree() async throws {
        try await withFixture { f in
            let toStates: [String?] = [nil, "rejected", "released", "on-hold", "quarantine", "locked", "expired"]
            let sources: [String?] = [nil, "manual", "excursion", "look-back", "shipment-excursion"]
            var cases: [(String, String?, String?)] = []
            for action in EventSentences.catalogue.keys.sorted() + ["lot.rejected", "unknown.thing"] {
                for to in toStates { for source in sources { cases.append((action, to, source)) } }
            }
            let rows = try await f.client.query("""
                SELECT a, notification_kind(a, NULLIF(t, ''), NULLIF(s, '')) AS kind
                FROM unnest(\(cases.map(\.0))::text[], \(cases.map { $0.1 ?? "" })::text[], \(cases.map { $0.2 ?? "" })::text[])
                     WITH ORDINALITY AS u(a, t, s, n) ORDER BY n
                """, logger: Fixture.logger).decode((String, String?).self).rows()
            #expect(rows.count == cases.count)
            var notifying = Set<String>()
            for ((action, to, source), (_, sqlKind)) in zip(cases, rows) {
                let swiftKind = NotificationRule.kind(for: action, toState: to, source: source)?.rawValue
                #expect(swiftKind == sqlKind, "\(action) to \(to ?? "-") source \(source ?? "-"): Swift \(swiftKind ?? "none"), SQL \(sqlKind ?? "none")")
                if let swiftKind { notifying.insert(swiftKind) }
            }
            // Every kind has its words (notification_kind_text), and nothing else does.
            let worded = try await f.client.query("SELECT kind FROM notification_kind_text", logger: Fixture.logger).decode(String.self).rows()
            #expect(Set(worded) == Set(NotificationKind.allCases.map(\.rawValue)))
            // Every kind is reachable from an action people can read.
            #expect(notifying == Set(NotificationKind.allCases.map(\.rawValue)))
            #expect(NotificationKind.allCases.allSatisfy { kind in
                EventSentences.catalogue.keys.contains { NotificationRule.kind(for: $0, toState: "rejected") == kind || NotificationRule.kind(for: $0) == kind }
            })
        }
    }

    @Test("a hold placed writes its notification and one delivery per subscribed endpoint, coded ids only")
    func holdNotifies() async throws {
        try await withFixture { f in
            try await f.lot("LOT-N1")
            try await f.client.query("""
                INSERT INTO webhook_endpoint (name, url, secret, kinds) VALUES
                    ('all', 'http://127.0.0.1:18961/hook', 'whsec_c2VjcmV0', '{}'),
                    ('holds', 'http://127.0.0.1:18962/hook', 'whsec_c2VjcmV0', '{hold.placed}'),
                    ('releases', 'http://127.0.0.1:18963/hook', 'whsec_c2VjcmV0', '{lot.released}')
                """, logger: Fixture.logger)
            let hold = try await f.store.placeHold(on: .lot, id: "LOT-N1", reason: "Patient Jane Doe's nurse saw a crack", actor: f.user(.qa), logger: Fixture.logger)
            let rows = try await f.client.query("""
                SELECT n.kind, n.subject_type, n.subject_id, n.sentence, n.payload::text, e.action
                FROM notification n JOIN custody_event e ON e.id = n.event_id
                """, logger: Fixture.logger).decode((String, String, String, String, String, String).self).rows()
            #expect(rows.count == 1)
            let (kind, type, id, sentence, payload, action) = try #require(rows.first)
            #expect(kind == "hold.placed" && type == "lot" && id == "LOT-N1" && action == "hold.placed")
            #expect(sentence == "Hold placed on lot LOT-N1")
            #expect(payload.contains("\"hold\": \"\(hold.id)\"") && payload.contains("\"subjectId\": \"LOT-N1\""))
            #expect(!payload.contains("Jane") && !payload.contains("crack"), "the payload carries coded ids only: \(payload)")
            let endpoints = try await f.client.query("""
                SELECT w.name FROM notification_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id WHERE d.state = 'pending' ORDER BY w.name
                """, logger: Fixture.logger).decode(String.self).rows()
            #expect(endpoints == ["all", "holds"])
        }
    }

    @Test("a change rolled back writes no notification; an excursion notifies once, not once per held vial")
    func rolledBackAndExcursion() async throws {
        try await withFixture { f in
            try await f.lot("LOT-N2", vials: 3, box: "BOX-1")
            struct Abort: Error {}
            await #expect(throws: PostgresTransactionError.self) {
                try await f.client.withTransaction(logger: Fixture.logger) { conn in
                    try await conn.query("""
                        INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, prev_hash, hash)
                        VALUES ('lot', 'LOT-N2', 'hold.placed', 'x', 'qa', '\\x', '\\x')
                        """, logger: Fixture.logger)
                    #expect(try await conn.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM notification"), logger: Fixture.logger).decode(Int.self).rows() == [1])
                    throw Abort()
                }
            }
            #expect(try await f.count("SELECT count(*)::int FROM notification") == 0)
            let mfg = f.user(.manufacturing)
            _ = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -180, measuredAt: Date(), probe: "P1", actor: mfg, logger: Fixture.logger)
            _ = try await f.store.recordTemperature(freezerId: "FRZ-1", celsius: -100, measuredAt: Date(), probe: "P1", actor: mfg, logger: Fixture.logger)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'hold.placed'") == 3)
            #expect(try await f.count("SELECT count(*)::int FROM notification") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE kind = 'temperature.excursion' AND subject_id = 'FRZ-1'") == 1)
        }
    }

    @Test("notifications are history: the application role cannot rewrite them")
    func history() async throws {
        try await withFixture { f in
            try await f.lot("LOT-N3")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-N3", reason: "check", actor: f.user(.qa), logger: Fixture.logger)
            let update = await RuleTwinTests.refusal(f, "UPDATE notification SET sentence = 'nothing happened'")
            #expect(update != nil)
            #expect(try await f.count("SELECT count(*)::int FROM notification WHERE sentence = 'Hold placed on lot LOT-N3'") == 1)
        }
    }
    @Test("an audit trail that fails verification notifies administrators (audit.verification-failed); an intact one does not")
    func failedVerificationNotifies() async throws {
        try await withFixture { f in
            try await f.lot("LOT-N4")
            #expect(try await f.store.verifyAuditTrail(key: nil, actor: f.user(.auditor), logger: Fixture.logger).intact)
            #expect(try await f.count("SELECT count(*)::int FROM notification") == 0)
            try await f.client.withConnection { conn in
                try await conn.query("ALTER TABLE custody_event DISABLE TRIGGER USER", logger: Fixture.logger)
                try await conn.query("UPDATE custody_event SET reason = 'edited behind its back' WHERE subject_id = 'LOT-N4'", logger: Fixture.logger)
                try await conn.query("ALTER TABLE custody_event ENABLE TRIGGER USER", logger: Fixture.logger)
            }
            #expect(try await !f.store.verifyAuditTrail(key: nil, actor: f.user(.auditor), logger: Fixture.logger).intact)
            #expect(try await f.count("""
                SELECT count(*)::int FROM notification WHERE kind = 'audit.verification-failed' AND subject_type = 'security'
                AND sentence = 'The audit trail failed verification' AND payload->>'action' = 'audit.verification-failed'
                """) == 1)
        }
    }
}

import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

@Suite("Custody log")
struct CustodyTests {
    @Test("every state change writes its event in the same transaction; the chain links each event to the previous one")
    func eventsAndChain() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-C1", vials: 3, box: "BOX-1")
            _ = try await f.store.moveVial(id: vials[0].id, to: Position(boxId: "BOX-2", row: 5, column: 5), reason: "rack reorganisation",
                                           actor: f.user(.manufacturing), logger: Fixture.logger)
            let events = try await f.store.custodyEvents(subjectType: "vial", subjectId: vials[0].id, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(events.map(\.action) == ["vial.created", "vial.moved"])
            #expect(events[0].toLocation == "BOX-1:A1")
            #expect(events[1].fromLocation == "BOX-1:A1" && events[1].toLocation == "BOX-2:E5")
            #expect(events[1].reason == "rack reorganisation")
            // Recompute every hash with the digest function: an intact chain has no mismatch.
            let broken = try await f.count("""
                SELECT count(*)::int FROM custody_event e
                LEFT JOIN custody_event p ON p.subject_type = e.subject_type AND p.subject_id = e.subject_id AND p.seq = e.seq - 1
                WHERE e.hash <> custody_event_digest(e) OR e.prev_hash <> coalesce(p.hash, '\\x'::bytea)
                """)
            #expect(broken == 0)
            let total = try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_type = 'vial'")
            #expect(total == 4)
        }
    }

    @Test("concurrent appends, to one subject and to many: every chain is 1…n without gaps or duplicates, links, and verifies")
    func concurrentAppends() async throws {
        try await TestDatabase.withDatabase(maxConnections: 24) { client, _ in
            let f = try await Fixture.make(client)
            let writers = 24, perWriter = 25
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    group.addTask {
                        for i in 0..<perWriter {
                            // Every writer appends to the shared subject, to a subject of its own, and to one of
                            // three subjects shared by a few writers; one statement sometimes writes two events.
                            let own = "CONC-OWN-\(w)", few = "CONC-FEW-\(w % 3)"
                            let subjects = i % 5 == 0 ? ["CONC-ALL", own, few, "CONC-ALL"] : ["CONC-ALL", own, few]
                            let query: PostgresQuery = """
                                INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, reason, details, prev_hash, hash)
                                SELECT 'vial', s, 'vial.inspected', 'Writer', 'qa', 'writer ' || \(w) || ', round ' || \(i), jsonb_build_object('w', \(w), 'i', \(i)), '\\x', '\\x'
                                FROM unnest(\(subjects)::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n
                                """
                            try await client.query(query, logger: Fixture.logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rounds5 = (perWriter + 4) / 5
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE subject_id = 'CONC-ALL'") == writers * (perWriter + rounds5))
            // Per subject: seq runs 1…n with no gap or duplicate, each event links to its predecessor, each hash recomputes,
            // and the chain head holds the last seq and hash.
            let bad = try await f.count("""
                SELECT count(*)::int FROM (
                    SELECT e.subject_type, e.subject_id, count(*) AS n, count(DISTINCT e.seq) AS d, min(e.seq) AS lo, max(e.seq) AS hi,
                           count(*) FILTER (WHERE e.hash <> custody_event_digest(e) OR e.prev_hash <> coalesce(p.hash, '\\x'::bytea)) AS broken
                    FROM custody_event e
                    LEFT JOIN custody_event p ON p.subject_type = e.subject_type AND p.subject_id = e.subject_id AND p.seq = e.seq - 1
                    WHERE e.subject_id LIKE 'CONC-%'
                    GROUP BY 1, 2) s
                JOIN custody_head h USING (subject_type, subject_id)
                LEFT JOIN custody_event l ON l.subject_type = s.subject_type AND l.subject_id = s.subject_id AND l.seq = s.hi
                WHERE s.n <> s.d OR s.lo <> 1 OR s.hi <> s.n OR s.broken > 0 OR h.seq <> s.hi OR h.hash IS DISTINCT FROM l.hash
                """)
            #expect(bad == 0)
            #expect(try await f.count("SELECT count(DISTINCT subject_id)::int FROM custody_event WHERE subject_id LIKE 'CONC-%'") == 1 + writers + 3)
            let report = try await f.store.verifyAuditTrail(key: nil, actor: f.user(.auditor), logger: Fixture.logger)
            #expect(report.intact, "\(report.problems.prefix(5))")
        }
    }

    @Test("the chain trigger computes the digest inline, without a SQL-function call per append (migration 029)")
    func digestInlined() async throws {
        try await withFixture { f in
            let calls = try await f.client.withConnection { conn in
                try await conn.query("SET track_functions = 'all'", logger: Fixture.logger)
                try await conn.query("BEGIN", logger: Fixture.logger)
                // A first event of a subject and a later one: both paths of the trigger.
                try await conn.query("""
                    INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, prev_hash, hash)
                    VALUES ('vial', 'INLINE-1', 'vial.inspected', 'T', 'qa', '\\x', '\\x'), ('vial', 'INLINE-1', 'vial.inspected', 'T', 'qa', '\\x', '\\x')
                    """, logger: Fixture.logger)
                let counts = try await conn.query("""
                    SELECT coalesce(pg_stat_get_xact_function_calls('custody_event_digest_with(custody_event,bigint,bytea)'::regprocedure), 0)::int,
                           coalesce(pg_stat_get_xact_function_calls('custody_event_chain()'::regprocedure), 0)::int
                    """, logger: Fixture.logger).decode((Int, Int).self).rows()
                try await conn.query("COMMIT", logger: Fixture.logger)
                return counts
            }
            #expect(calls.first?.1 == 2, "the trigger should have run twice: \(calls)")
            #expect(calls.first?.0 == 0, "custody_event_digest_with ran as a SQL-function call, not inlined: \(calls)")
        }
    }

    @Test("events cannot be updated, deleted or truncated through SQL")
    func immutable() async throws {
        try await withFixture { f in
            try await f.lot("LOT-C2")
            for sql in ["UPDATE custody_event SET reason = 'edited'", "DELETE FROM custody_event", "TRUNCATE custody_event CASCADE"] {
                await #expect(throws: PSQLError.self, "\(sql)") {
                    try await f.client.query(PostgresQuery(unsafeSQL: sql), logger: Fixture.logger)
                }
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE reason = 'edited'") == 0)
        }
    }

    @Test("a refused change writes no event")
    func refusedChangeWritesNothing() async throws {
        try await withFixture { f in
            try await f.lot("LOT-C3")
            let before = try await f.count("SELECT count(*)::int FROM custody_event")
            await #expect(throws: DomainError.self) {
                _ = try await f.store.transitionLot(number: "LOT-C3", to: .expired, reason: "x", actor: f.user(.qa), logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == before)
            #expect(try await f.store.lot(number: "LOT-C3", actor: f.user(.auditor), logger: Fixture.logger).status == .inProcess)
        }
    }
}

@Suite("Corrections and unlocking")
struct CorrectionTests {
    @Test("a correction is a new event naming the corrected one; the original is untouched and the log stays intact")
    func correction() async throws {
        try await withFixture { f in
            let vials = try await f.lot("LOT-K1", vials: 1, box: "BOX-1")
            let original = try await f.store.custodyEvents(subjectType: "vial", subjectId: vials[0].id, actor: f.user(.qa), logger: Fixture.logger)[0]
            await #expect(throws: DomainError.forbidden(role: .manufacturing, action: .correctRecords)) {
                _ = try await f.store.correctCustodyEvent(eventId: original.id, reason: "x", corrected: ["toLocation": "BOX-1:A2"], actor: f.user(.manufacturing), logger: Fixture.logger)
            }
            let fix = try await f.store.correctCustodyEvent(eventId: original.id, reason: "label printed for A2, vial is in A2",
                                                            corrected: ["toLocation": "BOX-1:A2"], actor: f.user(.qa), logger: Fixture.logger)
            #expect(fix.action == "correction" && fix.seq == 2)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE corrects_event = \(original.id)") == 1)
            let after = try await f.store.custodyEvents(subjectType: "vial", subjectId: vials[0].id, actor: f.user(.qa), logger: Fixture.logger)[0]
            #expect(after == original)
            #expect(try await f.store.verifyAuditTrail(key: nil, actor: f.user(.auditor), logger: Fixture.logger).intact)
        }
    }

    @Test("an admin unlocks a locked account; nobody else may")
    func unlock() async throws {
        try await withFixture { f in
            try await f.lot("LOT-K2")
            _ = try await f.store.transitionLot(number: "LOT-K2", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            for _ in 1...5 {
                await #expect(throws: DomainError.self) {
                    _ = try await f.store.transitionLot(number: "LOT-K2", to: .rejected, reason: "x", signature: SignatureInput(password: "wrong", meaning: "rejected"),
                                                        actor: f.user(.qa), logger: Fixture.logger)
                }
            }
            await #expect(throws: DomainError.forbidden(role: .qa, action: .manageUsers)) {
                try await f.store.unlockUser(name: "Test qa", actor: f.user(.qa), logger: Fixture.logger)
            }
            try await f.store.unlockUser(name: "Test qa", actor: f.user(.admin), logger: Fixture.logger)
            let lot = try await f.store.transitionLot(number: "LOT-K2", to: .rejected, reason: "x", signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected"),
                                                      actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .rejected)
        }
    }
}

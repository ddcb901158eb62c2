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
            #expect(try await f.store.lot(number: "LOT-C3", actor: f.user(.auditor), logger: Fixture.logger).status == "in-process")
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
            #expect(lot.status == "rejected")
        }
    }
}

import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// PRODUCT.md rule 4: release needs every specified test recorded and within limits (or a signed OOS
/// decision), and a QA signer other than the person who recorded the results.
@Suite("Lot release")
struct ReleaseTests {
    func quarantined(_ f: Fixture, _ lot: String) async throws {
        try await f.lot(lot, vials: 2)
        _ = try await f.store.transitionLot(number: lot, to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
    }

    func viability(_ f: Fixture, _ lot: String, _ value: Double, by: Principal? = nil) async throws -> QcResultRecord {
        try await f.store.recordQcResult(lotNumber: lot, QcResultInput(testCode: "viability", numericValue: value, unit: "%", method: "7-AAD flow cytometry",
                                                                       instrument: "FACSLyric 2", analyst: "J. Analyst"),
                                         actor: by ?? f.user(.qc), logger: Fixture.logger)
    }

    let sign = SignatureInput(password: Fixture.qaPassword, meaning: "approved for release")

    @Test("refused while a specified test has no result; then released with every test passing")
    func missingThenReleased() async throws {
        try await withFixture { f in
            try await quarantined(f, "LOT-Q1")
            await #expect {
                _ = try await f.store.releaseLot(number: "LOT-Q1", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                 reason: nil, signature: sign, actor: f.user(.qa), logger: Fixture.logger)
            } throws: { error in
                (error as? DomainError)?.description.contains("no result recorded for: viability") == true
            }
            #expect(try await f.store.lot(number: "LOT-Q1", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
            let r = try await viability(f, "LOT-Q1", 91.5)
            #expect(r.outcome == "pass")
            let lot = try await f.store.releaseLot(number: "LOT-Q1", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                   reason: "all tests pass", signature: sign, actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .released)
            let events = try await f.store.custodyEvents(subjectType: "lot", subjectId: "LOT-Q1", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(events.map(\.action).suffix(2) == ["qc.recorded", "lot.released"])
        }
    }

    @Test("an out-of-specification result blocks release except by a justified OOS release for named patients")
    func outOfSpec() async throws {
        try await withFixture { f in
            try await quarantined(f, "LOT-Q2")
            #expect(try await viability(f, "LOT-Q2", 62).outcome == "fail")
            await #expect {
                _ = try await f.store.releaseLot(number: "LOT-Q2", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                 reason: nil, signature: sign, actor: f.user(.qa), logger: Fixture.logger)
            } throws: { error in
                (error as? DomainError)?.description.contains("out of specification: viability") == true
            }
            await #expect(throws: DomainError.invalid(field: "restrictedTo", rule: "an out-of-specification release is for named patients only")) {
                _ = try await f.store.releaseLot(number: "LOT-Q2", kind: .outOfSpecification, justification: "no alternative therapy", pendingTests: [],
                                                 restrictedTo: [], reason: nil, signature: sign, actor: f.user(.qa), logger: Fixture.logger)
            }
            let lot = try await f.store.releaseLot(number: "LOT-Q2", kind: .outOfSpecification, justification: "single-patient use; no alternative therapy",
                                                   pendingTests: [], restrictedTo: ["RES-SLE-004"], reason: nil,
                                                   signature: SignatureInput(password: Fixture.qaPassword, meaning: "approved for single-patient OOS use"),
                                                   actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .released)
            #expect(try await f.count("SELECT cardinality(restricted_to)::int FROM lot_disposition WHERE lot_number = 'LOT-Q2'") == 1)
        }
    }

    @Test("the signer may not be anyone who recorded a result, and the database enforces it too")
    func twoPersonRule() async throws {
        try await withFixture { f in
            try await quarantined(f, "LOT-Q3")
            // A QA user who also recorded a result (given the QC role's permission by direct SQL, as a misconfiguration would).
            let qa = f.user(.qa)
            try await f.client.query("""
                INSERT INTO qc_result (lot_number, product_code, spec_version, test_code, numeric_value, unit, method, analyst, recorded_by, outcome)
                VALUES ('LOT-Q3', 'ALLO-501', 1, 'viability', 90, '%', 'flow', 'Test qa', \(qa.id), 'pass')
                """, logger: Fixture.logger)
            await #expect {
                _ = try await f.store.releaseLot(number: "LOT-Q3", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                 reason: nil, signature: sign, actor: qa, logger: Fixture.logger)
            } throws: { error in
                (error as? DomainError)?.description.contains("recorded QC results") == true
            }
            // Straight to the database: the status cannot become released without a disposition.
            await #expect(throws: PSQLError.self) {
                try await f.client.query("UPDATE lot SET status = 'released' WHERE lot_number = 'LOT-Q3'", logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM lot WHERE lot_number = 'LOT-Q3' AND status = 'quarantine'") == 1)
        }
    }

    @Test("a correction supersedes a result with a reason; the original stays on record")
    func correction() async throws {
        try await withFixture { f in
            try await quarantined(f, "LOT-Q4")
            let first = try await viability(f, "LOT-Q4", 62)
            await #expect(throws: DomainError.self) {
                _ = try await f.store.recordQcResult(lotNumber: "LOT-Q4", QcResultInput(testCode: "viability", numericValue: 88, method: "flow", analyst: "J",
                                                                                      supersedes: first.id), actor: f.user(.qc), logger: Fixture.logger)
            }
            let second = try await f.store.recordQcResult(lotNumber: "LOT-Q4", QcResultInput(testCode: "viability", numericValue: 88, method: "flow", analyst: "J",
                                                                                           supersedes: first.id, correctionReason: "transcription error: 62 for 88"),
                                                          actor: f.user(.qc), logger: Fixture.logger)
            let all = try await f.store.qcResults(lotNumber: "LOT-Q4", actor: f.user(.auditor), logger: Fixture.logger)
            #expect(all.count == 2)
            #expect(all.first { $0.id == first.id }?.current == false && all.first { $0.id == second.id }?.current == true)
            let lot = try await f.store.releaseLot(number: "LOT-Q4", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                   reason: nil, signature: sign, actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .released)
        }
    }

    @Test("roles: only QC records results, only QA releases; the wrong password refuses release")
    func roles() async throws {
        try await withFixture { f in
            try await quarantined(f, "LOT-Q5")
            await #expect(throws: DomainError.forbidden(role: .qa, action: .recordQc)) { _ = try await viability(f, "LOT-Q5", 90, by: f.user(.qa)) }
            _ = try await viability(f, "LOT-Q5", 90)
            await #expect(throws: DomainError.forbidden(role: .qc, action: .dispositionLot)) {
                _ = try await f.store.releaseLot(number: "LOT-Q5", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                 reason: nil, signature: sign, actor: f.user(.qc), logger: Fixture.logger)
            }
            await #expect(throws: DomainError.signatureRejected("wrong password for the electronic signature")) {
                _ = try await f.store.releaseLot(number: "LOT-Q5", kind: .standard, justification: nil, pendingTests: [], restrictedTo: [],
                                                 reason: nil, signature: SignatureInput(password: "nope", meaning: "approved"), actor: f.user(.qa), logger: Fixture.logger)
            }
            #expect(try await f.store.lot(number: "LOT-Q5", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
        }
    }
}

@Suite("Signing steps in the database")
struct SignedTransitionTests {
    @Test("rejecting a lot by direct SQL without a signed custody event is refused at commit")
    func unsignedRejectRefused() async throws {
        try await withFixture { f in
            try await f.lot("LOT-Z1")
            _ = try await f.store.transitionLot(number: "LOT-Z1", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            await #expect(throws: (any Error).self) {
                try await f.client.withTransaction(logger: Fixture.logger) { conn in
                    try await conn.query("UPDATE lot SET status = 'rejected' WHERE lot_number = 'LOT-Z1'", logger: Fixture.logger)
                }
            }
            await #expect(throws: (any Error).self) {
                try await f.client.withTransaction(logger: Fixture.logger) { conn in
                    try await conn.query("UPDATE lot SET status = 'rejected' WHERE lot_number = 'LOT-Z1'", logger: Fixture.logger)
                    try await conn.query("""
                        INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, to_state, prev_hash, hash)
                        VALUES ('lot', 'LOT-Z1', 'lot.status-changed', 'T', 'qa', 'rejected', '\\x', '\\x')
                        """, logger: Fixture.logger)
                }
            }
            #expect(try await f.store.lot(number: "LOT-Z1", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
            // The application's signed path passes.
            let lot = try await f.store.transitionLot(number: "LOT-Z1", to: .rejected, reason: "sterility failure",
                                                      signature: SignatureInput(password: Fixture.qaPassword, meaning: "rejected"),
                                                      actor: f.user(.qa), logger: Fixture.logger)
            #expect(lot.status == .rejected)
        }
    }

    @Test("a lot held from quarantine cannot come off hold as released, even by direct SQL")
    func holdReturnsWhereItWas() async throws {
        try await withFixture { f in
            try await f.lot("LOT-Z2")
            _ = try await f.store.transitionLot(number: "LOT-Z2", to: .quarantine, reason: "done", actor: f.user(.manufacturing), logger: Fixture.logger)
            _ = try await f.store.transitionLot(number: "LOT-Z2", to: .onHold, reason: "deviation", actor: f.user(.qa), logger: Fixture.logger)
            await #expect(throws: (any Error).self) {
                try await f.client.withTransaction(logger: Fixture.logger) { conn in
                    try await conn.query("UPDATE lot SET status = 'released', held_from = NULL WHERE lot_number = 'LOT-Z2'", logger: Fixture.logger)
                    try await conn.query("""
                        INSERT INTO custody_event (subject_type, subject_id, action, actor_name, actor_role, to_state, signature, prev_hash, hash)
                        VALUES ('lot', 'LOT-Z2', 'lot.status-signed', 'T', 'qa', 'released', '{}', '\\x', '\\x')
                        """, logger: Fixture.logger)
                }
            }
            #expect(try await f.store.lot(number: "LOT-Z2", actor: f.user(.auditor), logger: Fixture.logger).status == .onHold)
        }
    }
}

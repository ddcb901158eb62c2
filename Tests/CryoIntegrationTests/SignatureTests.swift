import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Testing

/// Issue 13 items 6 and 7: a signing password is compared in full, and the five-try lockout holds under concurrency.
@Suite("Electronic signatures: full comparison, atomic lockout, unlocking")
struct SignatureTests {
    static func quarantined(_ f: Fixture, _ lot: String) async throws {
        try await f.lot(lot)
        _ = try await f.store.transitionLot(number: lot, to: .quarantine, reason: "run complete", actor: f.user(.manufacturing), logger: Fixture.logger)
    }

    static func reject(_ f: Fixture, _ lot: String, password: String, as user: Principal) async throws -> LotRecord {
        try await f.store.transitionLot(number: lot, to: .rejected, reason: "out of specification",
                                        signature: SignatureInput(password: password, meaning: "rejected"), actor: user, logger: Fixture.logger)
    }

    @Test("the right password followed by a NUL and more, or beyond bcrypt's 72 bytes, is a wrong password and counts as one")
    func fullComparison() async throws {
        try await withFixture { f in
            try await Self.quarantined(f, "LOT-P1")
            let long = String(repeating: "L", count: 72)
            let longQA = try await f.store.createUser(name: "Long QA", role: .qa, password: long, logger: Fixture.logger).user
            for (password, user) in [(Fixture.qaPassword + "\u{0}zzz", f.user(.qa)), (long + "zzz", longQA)] {
                await #expect(throws: DomainError.signatureRejected("wrong password for the electronic signature")) {
                    _ = try await Self.reject(f, "LOT-P1", password: password, as: user)
                }
                #expect(try await f.count("SELECT failed_signatures FROM app_user WHERE id = \(user.id)") == 1)
                #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'signature.failed' AND subject_id = '\(user.id)'") == 1)
            }
            #expect(try await f.store.lot(number: "LOT-P1", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
            // Such passwords cannot be set either.
            for bad in ["twelve-chars-and\u{0}more", String(repeating: "é", count: 37)] {
                await #expect(throws: DomainError.invalid(field: "password", rule: SigningPassword.rule)) {
                    _ = try await f.store.createUser(name: "Bad Password", role: .qa, password: bad, logger: Fixture.logger)
                }
            }
            // The whole password, exactly, still signs.
            #expect(try await Self.reject(f, "LOT-P1", password: long, as: longQA).status == .rejected)
            #expect(try await f.count("SELECT failed_signatures FROM app_user WHERE id = \(longQA.id)") == 0)
        }
    }

    @Test("20 concurrent wrong passwords: five are checked and recorded, the fifth locks the account, the rest are refused unchecked")
    func concurrentLockout() async throws {
        try await withFixture { f in
            try await Self.quarantined(f, "LOT-P2")
            let qa = f.user(.qa)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 1...20 {
                    group.addTask {
                        do { return try await Self.reject(f, "LOT-P2", password: "not-the-password", as: qa).status.rawValue }
                        catch let error as DomainError { return error.description }
                    }
                }
                var all: [String] = []
                for try await o in group { all.append(o) }
                return all
            }
            #expect(outcomes.filter { $0 == "wrong password for the electronic signature" }.count == 4, "\(outcomes)")
            #expect(outcomes.filter { $0 == "wrong password; the account is now locked" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0.hasPrefix("the account is locked after 5 failed signatures") }.count == 15, "\(outcomes)")
            #expect(try await f.count("SELECT failed_signatures FROM app_user WHERE id = \(qa.id)") == 5)
            #expect(try await f.count("SELECT count(*)::int FROM app_user WHERE id = \(qa.id) AND locked_at IS NOT NULL") == 1)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'signature.failed' AND subject_id = '\(qa.id)'") == 5)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'signature.failed' AND subject_id = '\(qa.id)' AND to_state = 'locked'") == 1)
            #expect(try await f.count("""
                SELECT count(DISTINCT details->>'failuresInARow')::int FROM custody_event WHERE action = 'signature.failed' AND subject_id = '\(qa.id)'
                """) == 5)
            // Locked: the right password is refused too, and the lot is untouched.
            await #expect(throws: DomainError.self) { _ = try await Self.reject(f, "LOT-P2", password: Fixture.qaPassword, as: qa) }
            #expect(try await f.store.lot(number: "LOT-P2", actor: f.user(.auditor), logger: Fixture.logger).status == .quarantine)
        }
    }

    @Test("an admin unlocks an account through the API (POST /users/{userId}/unlock), with a custody event; nobody else may")
    func unlockThroughAPI() async throws {
        try await withApp { f, http in
            try await Self.quarantined(f, "LOT-P3")
            let qa = f.user(.qa)
            for _ in 1...5 { _ = try? await Self.reject(f, "LOT-P3", password: "wrong-password", as: qa) }
            #expect(try await f.count("SELECT count(*)::int FROM app_user WHERE id = \(qa.id) AND locked_at IS NOT NULL") == 1)
            for role in Role.allCases where role != .admin {
                let (status, body, text) = try await http.call(.post, "/users/\(qa.id)/unlock", token: f.tokens[role])
                #expect(status == .forbidden && body["detail"] as? String == "unlockUser is done by admin; you are \(role.rawValue)", "\(text)")
            }
            var (status, body, text) = try await http.call(.post, "/users/\(qa.id)/unlock", token: f.tokens[.admin])
            #expect(status == .ok && body["locked"] as? Bool == false && body["failedSignatures"] as? Int == 0 && body["name"] as? String == "Test qa", "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.unlocked' AND subject_id = '\(qa.id)' AND actor_role = 'admin'") == 1)
            (status, body, text) = try await http.call(.post, "/users/\(qa.id)/unlock", token: f.tokens[.admin])
            #expect(status == .conflict, "\(text)")
            (status, _, text) = try await http.call(.post, "/users/999999/unlock", token: f.tokens[.admin])
            #expect(status == .notFound, "\(text)")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.unlocked'") == 1)
            #expect(try await Self.reject(f, "LOT-P3", password: Fixture.qaPassword, as: qa).status == .rejected)
        }
    }
}

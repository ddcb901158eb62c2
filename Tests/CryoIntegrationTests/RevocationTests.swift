import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import Testing

/// Issue 24 item 5: deactivation, revocation and role changes count from the next request on every server process,
/// and the failed-authentication limiter never refuses a valid secret.
@Suite("Revocation is immediate on every process; the limiter slows only failures")
struct RevocationTests {
    /// A second server process on the same database: its own pool, store and router.
    static func withSecondServer(_ url: DatabaseURL, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await TestDatabase.withClient(url, maxConnections: 5) { client in
            let router = try buildRouter(store: Store(client: client), auditKey: nil)
            try await Application(router: router, logger: TestDatabase.logger).test(.router) { http in try await body(http) }
        }
    }

    @Test("a deactivated user's token is refused on the very next request by a second server process")
    func deactivationOnSecondProcess() async throws {
        try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            try await f.lot("LOT-R1")
            try await f.lot("LOT-R0")
            let qa = try #require(f.tokens[.qa])
            try await Self.withSecondServer(url) { http in
                #expect(try await http.call(.post, "/holds", token: qa, json: #"{"subjectType":"lot","subjectId":"LOT-R0","reason":"check"}"#).0 == .created)
                // Deactivated through the first process (its store), then used at once on the second.
                try await f.store.deactivateUser(userId: f.user(.qa).id, reason: "left the company", actor: f.user(.admin), logger: Fixture.logger)
                #expect(try await http.call(.get, "/lots", token: qa).0 == .unauthorized)
                let hold = #"{"subjectType":"lot","subjectId":"LOT-R1","reason":"suspected contamination"}"#
                #expect(try await http.call(.post, "/holds", token: qa, json: hold).0 == .unauthorized)
                #expect(try await f.count("SELECT count(*)::int FROM hold WHERE subject_id = 'LOT-R1'") == 0)
            }
        }
    }

    @Test("a revoked token and a role change count from the next request on a second server process")
    func revocationAndRoleChange() async throws {
        try await TestDatabase.withDatabase { client, url in
            let f = try await Fixture.make(client)
            let second = try await f.store.createUser(name: "Second Admin", role: .admin, password: nil, logger: Fixture.logger)
            let admin = try #require(f.tokens[.admin]), auditor = try #require(f.tokens[.auditor])
            let qaId = f.user(.qa).id
            try await Self.withSecondServer(url) { http in
                // An admin may unlock (409: not locked); an auditor may not (403).
                #expect(try await http.call(.post, "/users/\(qaId)/unlock", token: admin).0 == .conflict)
                #expect(try await http.call(.post, "/users/\(qaId)/unlock", token: auditor).0 == .forbidden)
                try await f.store.changeRole(userId: f.user(.admin).id, to: .auditor, reason: "moved to audit", actor: second.user, logger: Fixture.logger)
                try await f.store.changeRole(userId: f.user(.auditor).id, to: .admin, reason: "new administrator", actor: second.user, logger: Fixture.logger)
                #expect(try await http.call(.post, "/users/\(qaId)/unlock", token: admin).0 == .forbidden)
                #expect(try await http.call(.post, "/users/\(qaId)/unlock", token: auditor).0 == .conflict)
                // Replaced through the first process: the old token fails on the second at once, the new one works.
                await #expect(throws: DomainError.self) {
                    _ = try await f.store.replaceTokens(userId: f.user(.auditor).id, reason: " ", actor: second.user, logger: Fixture.logger)
                }
                await #expect(throws: DomainError.self) {
                    _ = try await f.store.replaceTokens(userId: f.user(.auditor).id, reason: "leaked", actor: f.user(.qa), logger: Fixture.logger)
                }
                let issued = try await f.store.replaceTokens(userId: f.user(.auditor).id, reason: "token pasted in a ticket", actor: second.user, logger: Fixture.logger)
                #expect(try await http.call(.get, "/lots", token: auditor).0 == .unauthorized)
                #expect(try await http.call(.get, "/lots", token: issued.token).0 == .ok)
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.role-changed'") == 2)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.tokens-replaced' AND details->>'revoked' = '1'") == 1)
        }
    }

    @Test("many bad secrets for a token id never stop its real holder: failures get 429, the valid secret 200")
    func limiterNeverRefusesValidSecret() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let pharmacy = try #require(f.tokens[.pharmacy])
            // A process that has never seen the token: nothing verified earlier can let it through.
            let router = try buildRouter(store: Store(client: client), auditKey: nil)
            try await Application(router: router, logger: TestDatabase.logger).test(.router) { http in
                let parts = pharmacy.split(separator: "_", maxSplits: 2)
                var statuses: [HTTPResponse.Status] = []
                for i in 0..<20 { statuses.append(try await http.call(.get, "/lots", token: "cl_\(parts[1])_guess\(i)").0) }
                #expect(statuses.prefix(10).allSatisfy { $0 == .unauthorized })
                #expect(statuses.suffix(10).allSatisfy { $0 == .tooManyRequests }, "\(statuses)")
                for _ in 1...3 { #expect(try await http.call(.get, "/lots", token: pharmacy).0 == .ok) }
                // The guesser is still slowed.
                #expect(try await http.call(.get, "/lots", token: "cl_\(parts[1])_guess-more").0 == .tooManyRequests)
            }
        }
    }
}

import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

/// Issue 13 item 11 and issue 18: API tokens are checked with one SHA-256, once per token however many
/// requests carry it at once, failures cost what successes cost, and failed authentications are limited.
@Suite("API tokens: one fast verification per token, upgrade from bcrypt, limits on failures")
struct TokenTests {
    @Test("200 concurrent requests with one token all succeed and share a few verifications")
    func singleFlight() async throws {
        try await withApp { f, http in
            let token = try #require(f.tokens[.auditor])
            let before = f.store.tokenVerifications
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 1...200 { group.addTask { try await http.call(.get, "/lots", token: token).0 } }
                var all: [HTTPResponse.Status] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(statuses.count == 200 && statuses.allSatisfy { $0 == .ok })
            // Each request is verified by a check that started after it arrived, shared with the others waiting for it.
            #expect(f.store.tokenVerifications - before < 50, "\(f.store.tokenVerifications - before) verifications")
            // 200 concurrent requests with one wrong secret: one verification too, all 401.
            let wrong = String(token.dropLast(4)) + "AAAA"
            let wrongBefore = f.store.tokenVerifications
            let refused = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 1...200 { group.addTask { try await http.call(.get, "/lots", token: wrong).0 } }
                var all: [HTTPResponse.Status] = []
                for try await s in group { all.append(s) }
                return all
            }
            #expect(refused.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests })
            #expect(f.store.tokenVerifications - wrongBefore < 50)
        }
    }

    @Test("secrets are stored as SHA-256; an unknown id, a wrong secret and a revoked token are refused alike, each after one verification")
    func storedAndRefused() async throws {
        try await withFixture { f in
            #expect(try await f.count("SELECT count(*)::int FROM api_token WHERE secret_hash !~ '^sha256:[0-9a-f]{64}$'") == 0)
            let token = try #require(f.tokens[.qc])
            let parts = token.split(separator: "_", maxSplits: 2)
            let unknownId = "cl_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())_\(parts[2])"
            let wrongSecret = "cl_\(parts[1])_\(String(parts[2].reversed()))"
            let store = Store(client: f.client)
            for bad in [unknownId, wrongSecret] {
                let before = store.tokenVerifications
                await #expect(throws: DomainError.unauthenticated("the bearer token is not valid")) {
                    _ = try await store.authenticate(token: bad, logger: Fixture.logger)
                }
                #expect(store.tokenVerifications - before == 1)
            }
            await #expect(throws: DomainError.unauthenticated("the bearer token is malformed")) {
                _ = try await store.authenticate(token: "cl_nothex_x", logger: Fixture.logger)
            }
            #expect(try await store.authenticate(token: token, logger: Fixture.logger) == f.user(.qc))
            // Revoked: refused at once, by the store that verified it a moment ago too.
            _ = try await f.client.query("UPDATE api_token SET revoked_at = now() WHERE id = \(UUID(uuidString: Self.dashed(String(parts[1])))!)", logger: Fixture.logger)
            await #expect(throws: DomainError.unauthenticated("the bearer token is not valid")) {
                _ = try await store.authenticate(token: token, logger: Fixture.logger)
            }
        }
    }

    @Test("a token issued with a bcrypt hash still works, once verified with bcrypt, and is then stored as SHA-256")
    func bcryptUpgrade() async throws {
        try await withFixture { f in
            let id = UUID(), secret = "legacy-secret-0123456789abcdefghijklmnopqrstuv"
            let token = "cl_\(id.uuidString.replacingOccurrences(of: "-", with: "").lowercased())_\(secret)"
            let userId = f.user(.pharmacy).id
            _ = try await f.client.query("CREATE EXTENSION IF NOT EXISTS pgcrypto", logger: Fixture.logger)
            _ = try await f.client.query("""
                INSERT INTO api_token (id, user_id, secret_hash) VALUES (\(id), \(userId), crypt(\(secret), gen_salt('bf', 10)))
                """, logger: Fixture.logger)
            await #expect(throws: DomainError.unauthenticated("the bearer token is not valid")) {
                _ = try await Store(client: f.client).authenticate(token: token + "x", logger: Fixture.logger)
            }
            #expect(try await f.count("SELECT count(*)::int FROM api_token WHERE id = '\(id)' AND secret_hash LIKE '$2%'") == 1)
            #expect(try await Store(client: f.client).authenticate(token: token, logger: Fixture.logger) == f.user(.pharmacy))
            #expect(try await f.count("SELECT count(*)::int FROM api_token WHERE id = '\(id)' AND secret_hash LIKE 'sha256:%'") == 1)
            #expect(try await Store(client: f.client).authenticate(token: token, logger: Fixture.logger) == f.user(.pharmacy))
            await #expect(throws: DomainError.self) {
                _ = try await Store(client: f.client).authenticate(token: token + "x", logger: Fixture.logger)
            }
        }
    }

    @Test("failed authentications past the limit get 429 problem+json with Retry-After; a valid token is never refused; the window resets")
    func limitFailures() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let limits = AuthFailureLimiter.Limits(failures: 3, window: .seconds(2))
            let router = try buildRouter(store: f.store, auditKey: nil, authFailureLimits: limits)
            try await Application(router: router, logger: TestDatabase.logger).test(.router) { http in
                let good = try #require(f.tokens[.auditor])
                let bad = String(good.dropLast(3)) + "zzz"
                #expect(try await http.call(.get, "/lots", token: f.tokens[.qa]).0 == .ok)
                for _ in 1...3 { #expect(try await http.call(.get, "/lots", token: bad).0 == .unauthorized) }
                try await http.execute(uri: "/lots", method: .get, headers: [.authorization: "Bearer \(bad)"]) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let seconds = Int(response.headers[.retryAfter] ?? "") ?? 0
                    #expect((1...2).contains(seconds), "Retry-After: \(response.headers[.retryAfter] ?? "none")")
                }
                // From this client and with this token id, a valid secret still gets in: only failures are slowed.
                #expect(try await http.call(.get, "/lots", token: good).0 == .ok)
                #expect(try await http.call(.get, "/lots", token: f.tokens[.qa]).0 == .ok)
                // Missing headers guess nothing and are not counted (nor limited).
                #expect(try await http.call(.get, "/lots", token: nil).0 == .unauthorized)
                try await Task.sleep(for: .milliseconds(2_100))
                #expect(try await http.call(.get, "/lots", token: bad).0 == .unauthorized)
                #expect(try await http.call(.get, "/lots", token: good).0 == .ok)
            }
        }
    }

    @Test("the limit counts per client address and per token id separately")
    func limitKeys() throws {
        let limiter = AuthFailureLimiter(limits: .init(failures: 2, window: .seconds(60)))
        try limiter.recordFailure(["address 10.0.0.1", "token a"])
        try limiter.recordFailure(["address 10.0.0.2", "token a"])
        // Token a is past its limit from any address; the addresses are not.
        #expect(throws: AuthenticationThrottled.self) { try limiter.recordFailure(["address 10.0.0.3", "token a"]) }
        try limiter.recordFailure(["address 10.0.0.1", "token b"])
        #expect(throws: AuthenticationThrottled.self) { try limiter.recordFailure(["address 10.0.0.1", "token c"]) }
        try limiter.recordFailure(["address 10.0.0.2", "token d"])
    }

    static func dashed(_ hex: String) -> String {
        let h = Array(hex)
        return "\(String(h[0..<8]))-\(String(h[8..<12]))-\(String(h[12..<16]))-\(String(h[16..<20]))-\(String(h[20..<32]))"
    }
}

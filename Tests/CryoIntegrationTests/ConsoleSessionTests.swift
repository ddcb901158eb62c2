import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// Issue 24 item 7: console sessions have an absolute lifetime and a cap per user; the sign-in form has a CSRF token.
@Suite("Console sessions: lifetime, cap, sign-in CSRF")
struct ConsoleSessionTests {
    static let password = "console-password-0001"

    static func cookie(_ response: TestResponse, _ name: String) -> String? {
        for field in response.headers[fields: .setCookie] {
            let text = field.value
            if text.hasPrefix(name + "="), let end = text.firstIndex(of: ";") {
                return String(text[text.index(text.startIndex, offsetBy: name.count + 1)..<end])
            }
        }
        return nil
    }

    static func postSignIn(_ http: any TestClientProtocol, csrf: String?, cookie: String?) async throws -> (HTTPResponse.Status, String?) {
        var body = "login=qa.console&password=\(password)"
        if let csrf { body += "&_csrf=\(csrf)" }
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = "cl_sign_in=\(cookie)" }
        return try await http.execute(uri: "/console/sign-in", method: .post, headers: headers, body: ByteBuffer(string: body)) { r in
            (r.status, Self.cookie(r, "cl_session"))
        }
    }

    @Test("the sign-in form carries a CSRF token: a POST without it, or with another, is refused and opens no session")
    func signInCSRF() async throws {
        try await withApp { f, http in
            _ = try await f.store.createUser(name: "Console QA", role: .qa, password: Self.password, login: "qa.console", logger: Fixture.logger)
            let (token, field) = try await http.execute(uri: "/console/sign-in", method: .get) { r in
                let html = String(buffer: r.body)
                let field = html.firstMatch(of: /name="_csrf" value="([^"]+)"/).map { String($0.1) }
                return (Self.cookie(r, "cl_sign_in"), field)
            }
            let cookie = try #require(token)
            #expect(field == cookie && cookie.count >= 40)
            #expect(try await Self.postSignIn(http, csrf: nil, cookie: cookie).0 == .forbidden)
            #expect(try await Self.postSignIn(http, csrf: cookie, cookie: nil).0 == .forbidden)
            #expect(try await Self.postSignIn(http, csrf: String(cookie.reversed()), cookie: cookie).0 == .forbidden)
            #expect(try await f.count("SELECT count(*)::int FROM console_session") == 0)
            let (status, session) = try await Self.postSignIn(http, csrf: cookie, cookie: cookie)
            #expect(status == .seeOther || status == .found)
            #expect(session != nil)
            #expect(try await f.count("SELECT count(*)::int FROM console_session WHERE ended_at IS NULL") == 1)
        }
    }

    @Test("a session ends 12 hours after sign-in however active it is")
    func absoluteLifetime() async throws {
        try await withApp { f, http in
            _ = try await f.store.createUser(name: "Console QA", role: .qa, password: Self.password, login: "qa.console", logger: Fixture.logger)
            let (cookie, _) = try await f.store.signIn(login: "qa.console", password: Self.password, address: "local", replacing: nil, logger: Fixture.logger)
            let get: @Sendable () async throws -> HTTPResponse.Status = {
                try await http.execute(uri: "/console", method: .get, headers: [.cookie: "cl_session=\(cookie)"]) { $0.status }
            }
            #expect(try await get() == .ok)
            // Active a minute ago, signed in 11 h 59 min ago: still live; 12 h 1 min ago: ended as expired.
            _ = try await f.client.query("UPDATE console_session SET created_at = now() - interval '11 hours 59 minutes', last_seen_at = now() - interval '1 minute'", logger: Fixture.logger)
            #expect(try await get() == .ok)
            _ = try await f.client.query("UPDATE console_session SET created_at = now() - interval '12 hours 1 minute', last_seen_at = now() - interval '1 minute'", logger: Fixture.logger)
            #expect(try await get() == .found)
            #expect(try await f.count("SELECT count(*)::int FROM console_session WHERE end_reason = 'expired'") == 1)
        }
    }

    @Test("a user has at most three sessions open: a fourth sign-in ends the least recently used; the database refuses a fourth")
    func sessionCap() async throws {
        try await withFixture { f in
            let user = try await f.store.createUser(name: "Console QA", role: .qa, password: Self.password, login: "qa.console", logger: Fixture.logger).user
            var cookies: [String] = []
            for i in 1...4 {
                cookies.append(try await f.store.signIn(login: "qa.console", password: Self.password, address: "10.4.0.\(i)", replacing: nil, logger: Fixture.logger).cookie)
            }
            #expect(try await f.count("SELECT count(*)::int FROM console_session WHERE user_id = \(user.id) AND ended_at IS NULL") == 3)
            #expect(try await f.count("SELECT count(*)::int FROM console_session WHERE user_id = \(user.id) AND end_reason = 'capped'") == 1)
            #expect(try await f.store.consoleSession(cookie: cookies[0], idleTimeout: .seconds(900), logger: Fixture.logger) == nil)
            for cookie in cookies.dropFirst() {
                #expect(try await f.store.consoleSession(cookie: cookie, idleTimeout: .seconds(900), logger: Fixture.logger) != nil)
            }
            // Concurrent sign-ins cannot exceed it either.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 1...6 {
                    group.addTask { _ = try? await f.store.signIn(login: "qa.console", password: Self.password, address: "10.5.0.\(i)", replacing: nil, logger: Fixture.logger) }
                }
                try await group.waitForAll()
            }
            #expect(try await f.count("SELECT count(*)::int FROM console_session WHERE user_id = \(user.id) AND ended_at IS NULL") == 3)
            // Direct SQL: the trigger refuses a fourth open session.
            await #expect(throws: PSQLError.self) {
                _ = try await f.client.query("""
                    INSERT INTO console_session (id_hash, user_id, csrf_token)
                    VALUES (sha256('x'::bytea), \(user.id), repeat('c', 40))
                    """, logger: Fixture.logger)
            }
        }
    }
}

import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Issue 24 item 5 in the console: an administrator changes a role and replaces a user's API tokens from the Users
/// page; both count from the user's next request.
@Suite("Console users page: role change and token replacement")
struct ConsoleUsersPageTests {
    typealias Page = ConsolePageTests

    @Test("a role change and a token replacement from the Users page count at the next request; a blank reason is refused beside the form")
    func roleAndTokens() async throws {
        try await withApp { f, http in
            let admin = try await Page.signIn(f, .admin)
            let qa = f.user(.qa), qaToken = try #require(f.tokens[.qa])
            var (status, html, _) = try await Page.page(http, .get, "/console/users", admin)
            #expect(status == .ok && html.contains("/console/users/\(qa.id)/role") && html.contains("/console/users/\(qa.id)/token"))

            (status, html, _) = try await Page.page(http, .post, "/console/users/\(qa.id)/role", admin,
                                                    form: [("_csrf", admin.csrf), ("role", "auditor"), ("reason", "")])
            #expect(status == .badRequest && html.contains("id=\"form-error\""), "\(html)")
            #expect(try await http.call(.post, "/holds", token: qaToken, json: #"{"subjectType":"lot","subjectId":"L","reason":"r"}"#).0 != .forbidden)

            (status, html, _) = try await Page.page(http, .post, "/console/users/\(qa.id)/role", admin,
                                                    form: [("_csrf", admin.csrf), ("role", "auditor"), ("reason", "moved to audit")])
            #expect(status == .ok && html.contains("is now auditor"), "\(html)")
            #expect(try await http.call(.post, "/holds", token: qaToken, json: #"{"subjectType":"lot","subjectId":"L","reason":"r"}"#).0 == .forbidden)

            (status, html, _) = try await Page.page(http, .post, "/console/users/\(qa.id)/token", admin,
                                                    form: [("_csrf", admin.csrf), ("reason", "pasted in a ticket")])
            #expect(status == .ok && html.contains("tokens are revoked"), "\(html)")
            let token = try #require(html.firstMatch(of: /cl_[0-9a-f]{32}_[A-Za-z0-9_-]+/)).output
            #expect(try await http.call(.get, "/lots", token: qaToken).0 == .unauthorized)
            #expect(try await http.call(.get, "/lots", token: String(token)).0 == .ok)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action IN ('user.role-changed', 'user.tokens-replaced')") == 2)

            // Not for other roles.
            let pharmacy = try await Page.signIn(f, .pharmacy)
            (status, _, _) = try await Page.page(http, .post, "/console/users/\(qa.id)/token", pharmacy,
                                                 form: [("_csrf", pharmacy.csrf), ("reason", "x")])
            #expect(status == .forbidden)
        }
    }
}

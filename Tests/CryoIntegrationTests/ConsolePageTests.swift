import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The console's typed pages through the router (issue 25: the structure underneath, and errors where the eye is):
/// status codes per role, the CSRF check, HTML escaping of stored values, and the refusal layout.
@Suite("Console pages through the router")
struct ConsolePageTests {
    struct Session { let cookie: String; let csrf: String }
    static let password = "console-page-test-pw-1"

    /// A console user of the role, signed in: the session cookie and its CSRF token.
    static func signIn(_ f: Fixture, _ role: Role) async throws -> Session {
        let login = "page-\(role.rawValue)"
        _ = try await f.store.createUser(name: "Page \(role.rawValue) <b>", role: role, password: password, login: login, logger: Fixture.logger)
        let (cookie, session) = try await f.store.signIn(login: login, password: password, address: "127.0.0.1", replacing: nil, logger: Fixture.logger)
        return Session(cookie: cookie, csrf: session.csrfToken)
    }

    static func page(_ http: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ session: Session?,
                     form: [(String, String)]? = nil) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        var headers = HTTPFields()
        if let session { headers[.cookie] = "cl_session=\(session.cookie)" }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
        }
        return try await http.execute(uri: uri, method: method, headers: headers, body: body) { r in (r.status, String(buffer: r.body), r.headers) }
    }

    @Test("every converted page answers 200 to every role, and sends a visitor without a session to sign in")
    func pagesPerRole() async throws {
        try await withApp { f, http in
            try await f.lot("A901-26001")
            let pages = ["/console/lots/A901-26001/qc", "/console/release", "/console/release/A901-26001", "/console/donors/DN-000001",
                         "/console/freezers/FRZ-1/temperatures", "/console/import", "/console/audit"]
            var sessions: [Role: Session] = [:]
            for role in Role.allCases {
                let session = try await Self.signIn(f, role)
                sessions[role] = session
                for uri in pages {
                    let (status, html, headers) = try await Self.page(http, .get, uri, session)
                    #expect(status == .ok, "\(uri) as \(role.rawValue): \(status)")
                    #expect(headers[.contentType] == "text/html; charset=utf-8")
                    #expect(html.contains("Page \(role.rawValue) &lt;b&gt;"), "the signed-in name, escaped, on \(uri)")
                }
            }
            for uri in pages {
                let (status, _, headers) = try await Self.page(http, .get, uri, nil)
                #expect(status == .found && headers[.location] == "/console/sign-in", "\(uri) without a session")
            }
            let (status, _, _) = try await Self.page(http, .get, "/console/lots/NO-SUCH/qc", sessions[.clinical])
            #expect(status == .notFound)
        }
    }

    @Test("a POST without the session's CSRF token is refused (403) and changes nothing")
    func csrf() async throws {
        try await withApp { f, http in
            try await f.lot("A902-26001")
            let qc = try await Self.signIn(f, .qc)
            let fields = [("testCode", "viability"), ("value", "88.5"), ("method", "flow"), ("analyst", "A. Analyst")]
            let (refused, html, _) = try await Self.page(http, .post, "/console/lots/A902-26001/qc", qc, form: fields + [("_csrf", "forged")])
            #expect(refused == .forbidden)
            #expect(html.contains("security token"))
            #expect(try await f.count("SELECT count(*)::int FROM qc_result") == 0)
            let (done, _, headers) = try await Self.page(http, .post, "/console/lots/A902-26001/qc", qc, form: fields + [("_csrf", qc.csrf)])
            #expect(done == .seeOther, "\(done)")
            #expect(try await f.count("SELECT count(*)::int FROM qc_result") == 1)
            // The confirmation names what was recorded, announced to screen readers.
            let (_, page, _) = try await Self.page(http, .get, try #require(headers[.location]), qc)
            #expect(page.contains(#"role="status""#) && page.contains("Result recorded for Viability: 88.5"), "\(page)")
        }
    }

    @Test("a refused form comes back with a focused summary, the message by its field and every value kept")
    func refusalLayout() async throws {
        try await withApp { f, http in
            try await f.lot("A903-26001")
            let qc = try await Self.signIn(f, .qc)
            let (status, html, _) = try await Self.page(http, .post, "/console/lots/A903-26001/qc", qc, form: [
                ("_csrf", qc.csrf), ("testCode", "viability"), ("value", "eighty <i>"), ("method", "flow \"gated\""), ("analyst", "A. Analyst"),
                ("instrument", "FACS-2")])
            #expect(status == .badRequest)
            #expect(html.contains(#"id="refusal-summary" role="alert" tabindex="-1""#))
            #expect(html.contains(##"<a href="#value-viability">"##), "the summary links to the field")
            #expect(html.contains(#"id="value-viability-error""#), "the message is beside the field")
            #expect(html.contains(#"value="eighty &lt;i&gt;""#), "the value typed is kept, escaped")
            #expect(html.contains(#"value="flow &quot;gated&quot;""#))
            #expect(html.contains(#"value="FACS-2""#))
            #expect(try await f.count("SELECT count(*)::int FROM qc_result") == 0)
        }
    }

    @Test("stored values are escaped: a probe name with markup shows as text")
    func escaping() async throws {
        try await withApp { f, http in
            let mfg = try await Self.signIn(f, .manufacturing)
            let (status, _, headers) = try await Self.page(http, .post, "/console/freezers/FRZ-1/temperatures", mfg,
                                                           form: [("_csrf", mfg.csrf), ("celsius", "-190"), ("probe", "<script>alert(1)</script>")])
            #expect(status == .seeOther)
            let (_, html, _) = try await Self.page(http, .get, try #require(headers[.location]), mfg)
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<script>alert(1)"))
            #expect(html.contains("Reading recorded, within limits"))
        }
    }

    @Test("the same refusal gets the same status as in the API: a role that may not (403), a rejected signature (403)")
    func statuses() async throws {
        try await withApp { f, http in
            try await f.lot("A904-26001")
            let auditor = try await Self.signIn(f, .auditor)
            let (forbidden, html, _) = try await Self.page(http, .post, "/console/freezers/FRZ-1/temperatures", auditor,
                                                          form: [("_csrf", auditor.csrf), ("celsius", "-190")])
            #expect(forbidden == .forbidden, "\(html)")
            let qa = try await Self.signIn(f, .qa)
            let (placed, _, _) = try await Self.page(http, .post, "/console/release/A904-26001/holds", qa,
                                                     form: [("_csrf", qa.csrf), ("subject", "lot"), ("reason", "deviation DV-1")])
            #expect(placed == .seeOther)
            let holdId = try await f.count("SELECT max(id)::int FROM hold")
            let (rejected, page, _) = try await Self.page(http, .post, "/console/release/A904-26001/holds/\(holdId)/lift", qa,
                                                          form: [("_csrf", qa.csrf), ("reason", "closed"), ("signaturePassword", "wrong")])
            #expect(rejected == .forbidden, "a rejected signature is 403, as in the API")
            #expect(page.contains(#"value="closed""#), "the reason is kept")
            #expect(!page.contains(#"value="wrong""#), "the password is never echoed")
            #expect(DomainError.signatureRejected("x").httpStatus == 403)
        }
    }
}

import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The inventory pages through the router (issue 25): vial card and move, lots, freezers and the map, sign-in, users;
/// status codes per role, the CSRF check, escaping of stored values, the refusal layout and the confirmation.
@Suite("Console inventory pages through the router")
struct ConsoleInventoryPageTests {
    typealias Pages = ConsolePageTests

    @Test("every inventory page answers 200 to every role and sends a visitor without a session to sign in; users is for admins")
    func pagesPerRole() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("A911-26001", vials: 2, box: "BOX-1")
            let pages = ["/console", "/console/lots", "/console/lots/A911-26001", "/console/freezers", "/console/freezers/FRZ-1",
                         "/console/vials/\(vials[0].id)", "/console/patients"]
            var sessions: [Role: Pages.Session] = [:]
            for role in Role.allCases {
                let session = try await Pages.signIn(f, role)
                sessions[role] = session
                for uri in pages {
                    let (status, html, headers) = try await Pages.page(http, .get, uri, session)
                    #expect(status == .ok, "\(uri) as \(role.rawValue): \(status)")
                    #expect(headers[.contentType] == "text/html; charset=utf-8")
                    #expect(html.contains("Page \(role.rawValue) &lt;b&gt;"), "the signed-in name, escaped, on \(uri)")
                }
                let (users, _, _) = try await Pages.page(http, .get, "/console/users", session)
                #expect(users == (role == .admin ? .ok : .forbidden), "users as \(role.rawValue): \(users)")
            }
            for uri in pages {
                let (status, _, headers) = try await Pages.page(http, .get, uri, nil)
                #expect(status == .found && headers[.location] == "/console/sign-in", "\(uri) without a session")
            }
            let admin = sessions[.admin]
            for uri in ["/console/lots/NO-SUCH", "/console/freezers/NO-SUCH"] {
                let (status, html, _) = try await Pages.page(http, .get, uri, admin)
                #expect(status == .notFound, "\(uri): \(status)")
                #expect(html.contains(#"id="error-message""#))
            }
            let (signIn, html, _) = try await Pages.page(http, .get, "/console/sign-in", nil)
            #expect(signIn == .ok && html.contains(#"name="_csrf""#))
        }
    }

    @Test("a move by row letter is done, confirmed (role=status) and recorded; without the CSRF token or by an auditor it is refused")
    func move() async throws {
        try await withApp { f, http in
            let vial = try #require(try await f.lot("A912-26001", vials: 1, box: "BOX-1").first).id
            let mfg = try await Pages.signIn(f, .manufacturing)
            let fields = [("box", "BOX-2"), ("row", "c"), ("column", "4"), ("reason", "consolidation")]
            let (forged, _, _) = try await Pages.page(http, .post, "/console/vials/\(vial)/move", mfg, form: fields + [("_csrf", "forged")])
            #expect(forged == .forbidden)
            let auditor = try await Pages.signIn(f, .auditor)
            let (audited, _, _) = try await Pages.page(http, .post, "/console/vials/\(vial)/move", auditor, form: fields + [("_csrf", auditor.csrf)])
            #expect(audited == .forbidden)
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'BOX-2'") == 0)
            let (done, _, headers) = try await Pages.page(http, .post, "/console/vials/\(vial)/move", mfg, form: fields + [("_csrf", mfg.csrf)])
            #expect(done == .seeOther)
            #expect(try await f.count("SELECT (row_no * 10 + column_no)::int FROM vial_position WHERE vial_id = '\(vial)' AND box_id = 'BOX-2'") == 34)
            let (_, page, _) = try await Pages.page(http, .get, try #require(headers[.location]), mfg)
            #expect(page.contains(#"role="status""#) && page.contains("Moved to BOX-2:C4"), "\(page)")
            // The confirmation is said only when the vial's record bears it out.
            let other = try #require(try await f.lot("A912-26002", vials: 1, box: "BOX-1").first).id
            let (_, crafted, _) = try await Pages.page(http, .get, "/console/vials/\(other)?done=moved", mfg)
            #expect(!crafted.contains("Moved to"))
        }
    }

    @Test("a refused move comes back with the summary, the message by the row and every value kept, escaped; nothing moves")
    func moveRefusal() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("A913-26001", vials: 2, box: "BOX-1")
            let vial = vials[1].id
            let mfg = try await Pages.signIn(f, .manufacturing)
            let events = try await f.count("SELECT count(*)::int FROM custody_event")
            let (status, html, _) = try await Pages.page(http, .post, "/console/vials/\(vial)/move", mfg, form: [
                ("_csrf", mfg.csrf), ("box", "BOX-2"), ("row", "42"), ("column", "1"), ("reason", "out <b>of</b> \"the\" box")])
            #expect(status == .badRequest)
            #expect(html.contains(#"id="refusal-summary" role="alert" tabindex="-1""#))
            #expect(html.contains(##"<a href="#row">"##), "the summary links to the field")
            #expect(html.contains(#"id="row-error""#) && html.contains(#"aria-invalid="true""#), "the message is beside the field")
            #expect(html.contains(#"value="42""#) && html.contains(#"value="BOX-2""#))
            #expect(html.contains(#"value="out &lt;b&gt;of&lt;/b&gt; &quot;the&quot; box""#), "the reason is kept, escaped")
            #expect(try await f.count("SELECT count(*)::int FROM custody_event") == events)
            // A position that is taken is a conflict (409), as in the API.
            let (taken, page, _) = try await Pages.page(http, .post, "/console/vials/\(vial)/move", mfg, form: [
                ("_csrf", mfg.csrf), ("box", "BOX-1"), ("row", String(UnicodeScalar(UInt8(64 + (vials[0].location?.row ?? 1))))),
                ("column", String(vials[0].location?.column ?? 1)), ("reason", "again")])
            #expect(taken == .conflict, "\(taken)")
            #expect(page.contains(#"id="refusal-summary""#))
        }
    }

    @Test("a refused evacuation comes back on the freezer page with the refusal layout and the values kept")
    func evacuationRefusal() async throws {
        try await withApp { f, http in
            _ = try await f.lot("A914-26001", vials: 2, box: "BOX-1")
            let mfg = try await Pages.signIn(f, .manufacturing)
            let (status, html, _) = try await Pages.page(http, .post, "/console/freezers/FRZ-1/evacuate", mfg, form: [
                ("_csrf", mfg.csrf), ("target", "FRZ-9"), ("mode", "sideways"), ("reason", "LN2 <alarm>")])
            #expect(status == .badRequest, "\(status)")
            #expect(html.contains(#"id="refusal-summary" role="alert""#))
            #expect(html.contains(#"id="evacuate-mode-error""#))
            #expect(html.contains(#"value="FRZ-9""#) && html.contains(#"value="LN2 &lt;alarm&gt;""#))
            #expect(try await f.count("SELECT count(*)::int FROM vial_position WHERE box_id = 'BOX-1'") == 2)
        }
    }

    @Test("the map shows each vial's full lot number; stored values on the lot page are escaped")
    func mapAndEscaping() async throws {
        try await withApp { f, http in
            _ = try await f.lot("A915-26001", vials: 1, box: "BOX-1")
            let qa = try await Pages.signIn(f, .qa)
            let (placed, _, _) = try await Pages.page(http, .post, "/console/release/A915-26001/holds", qa,
                                                      form: [("_csrf", qa.csrf), ("subject", "lot"), ("reason", "<script>alert(1)</script>")])
            #expect(placed == .seeOther)
            let (_, map, _) = try await Pages.page(http, .get, "/console/freezers/FRZ-1", qa)
            #expect(map.contains("<small>A915-26001</small>"))
            #expect(map.contains(#"<table class="grid" aria-label="Box BOX-1">"#))
            let (_, lot, _) = try await Pages.page(http, .get, "/console/lots/A915-26001", qa)
            #expect(lot.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !lot.contains("<script>alert(1)"))
            let (_, lots, _) = try await Pages.page(http, .get, "/console/lots?product=%3Cb%3E", qa)
            #expect(lots.contains(#"value="&lt;b&gt;""#) && lots.contains("No lots match."))
        }
    }

    @Test("sign-in without the form's token is refused (403); a wrong password keeps the login name, escaped, never the password")
    func signIn() async throws {
        try await withApp { f, http in
            let (forged, html, _) = try await Pages.page(http, .post, "/console/sign-in", nil,
                                                         form: [("login", "someone"), ("password", "x"), ("_csrf", "forged")])
            #expect(forged == .forbidden && html.contains(#"id="sign-in-error""#))
            let (_, page, headers) = try await Pages.page(http, .get, "/console/sign-in", nil)
            let cookie = try #require(headers[.setCookie]?.split(separator: ";").first.map(String.init))
            let token = try #require(page.firstRange(of: #"name="_csrf" value=""#).map { page[$0.upperBound...].prefix { $0 != "\"" } })
            let body = "login=%3Cb%3Eno-one&password=secret-never-echoed&_csrf=\(token)"
            let (refused, answer) = try await http.execute(uri: "/console/sign-in", method: .post,
                                                           headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                                           body: .init(string: body)) { r in (r.status, String(buffer: r.body)) }
            #expect(refused == .unauthorized, "\(refused)")
            #expect(answer.contains(#"value="&lt;b&gt;no-one""#) && !answer.contains("secret-never-echoed"))
        }
    }
}

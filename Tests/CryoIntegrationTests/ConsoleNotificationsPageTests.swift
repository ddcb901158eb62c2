import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Issue 28 in the console, through the router: the bell on every page, the notifications page and its read marker,
/// a person's settings refused beside the form, and the administrators' pages closed to others.
@Suite("Console notifications: the bell and its pages")
struct ConsoleNotificationsPageTests {
    typealias Page = ConsolePageTests

    @Test("the bell counts the person's unread notifications on every page; the page links each one and marks them read")
    func bell() async throws {
        try await withApp { f, http in
            let pharmacy = try await Page.signIn(f, .pharmacy)
            var (status, html, _) = try await Page.page(http, .get, "/console", pharmacy)
            #expect(status == .ok && html.contains("Notifications: none unread"))
            try await f.lot("LOT-B1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-B1", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            (status, html, _) = try await Page.page(http, .get, "/console/pharmacy", pharmacy)
            #expect(html.contains("Notifications: 1 unread") && html.contains("bell-unread"))
            (status, html, _) = try await Page.page(http, .get, "/console/notifications", pharmacy)
            #expect(status == .ok && html.contains("<a href=\"/console/lots/LOT-B1\">Hold placed on lot LOT-B1</a>") && html.contains(">New<"))
            let newest = try #require(html.firstMatch(of: /name="upTo" value="(\d+)"/)).output.1
            (status, _, _) = try await Page.page(http, .post, "/console/notifications/read", pharmacy, form: [("_csrf", pharmacy.csrf), ("upTo", String(newest))])
            #expect(status == .seeOther || status == .found)
            (status, html, _) = try await Page.page(http, .get, "/console/notifications?done=read", pharmacy)
            #expect(html.contains("Notifications: none unread") && html.contains("Marked as read.") && !html.contains(">New<"))
            // Without the form's security token nothing is marked.
            (status, _, _) = try await Page.page(http, .post, "/console/notifications/read", pharmacy, form: [("upTo", "0")])
            #expect(status == .forbidden)
        }
    }

    @Test("settings list only the kinds the role may receive, in people's words; a refused choice is said beside its form and changes nothing")
    func settings() async throws {
        try await withApp { f, http in
            let clinical = try await Page.signIn(f, .clinical)
            var (status, html, _) = try await Page.page(http, .get, "/console/notifications/settings", clinical)
            #expect(status == .ok && html.contains(NotificationKind.holdPlaced.words) && !html.contains(NotificationKind.signInBurst.words))
            (status, html, _) = try await Page.page(http, .post, "/console/notifications/settings", clinical,
                                                    form: [("_csrf", clinical.csrf), ("kind", "security.sign-in-burst"), ("mode", "immediate"), ("scopeType", "all")])
            #expect(status == .badRequest && html.contains("id=\"refusal-summary\""))
            (status, html, _) = try await Page.page(http, .post, "/console/notifications/settings", clinical,
                                                    form: [("_csrf", clinical.csrf), ("kind", "hold.placed"), ("mode", "daily"), ("scopeType", "study"), ("scopeId", "NOPE")])
            #expect(status == .badRequest && html.contains("id=\"error-hold-placed\"") && html.contains("no study NOPE"))
            #expect(html.contains("id=\"scope-id-hold-placed\" name=\"scopeId\" autocomplete=\"off\" value=\"NOPE\""), "what was typed is kept")
            #expect(try await f.count("SELECT count(*)::int FROM notification_subscription") == 0)
            (status, html, _) = try await Page.page(http, .post, "/console/notifications/email", clinical, form: [("_csrf", clinical.csrf), ("email", "nobody")])
            #expect(status == .badRequest && html.contains("id=\"email-error\"") && html.contains("value=\"nobody\""))
        }
    }

    @Test("the role defaults and webhooks pages are for administrators only")
    func adminPages() async throws {
        try await withApp { f, http in
            let admin = try await Page.signIn(f, .admin), qa = try await Page.signIn(f, .qa)
            var (status, html, _) = try await Page.page(http, .get, "/console/admin/webhooks", admin)
            #expect(status == .ok && html.contains("href=\"/console/admin/webhooks\""))
            (status, html, _) = try await Page.page(http, .get, "/console/admin/notifications", admin)
            #expect(status == .ok && html.contains("default-hold-placed-clinical"))
            for path in ["/console/admin/webhooks", "/console/admin/notifications"] {
                (status, html, _) = try await Page.page(http, .get, path, qa)
                #expect(status == .forbidden, "\(path)")
            }
            (status, _, _) = try await Page.page(http, .post, "/console/admin/notifications", qa,
                                                 form: [("_csrf", qa.csrf), ("kind", "hold.placed"), ("role", "qa"), ("mode", "off")])
            #expect(status == .forbidden)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'notification.default-set'") == 0)
        }
    }
}

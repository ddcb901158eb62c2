import CryoDomain
import Foundation
import Testing

@Suite("Notification e-mails and audiences")
struct NotificationMailMessageTests {
    let item = NotificationMail.Item(kind: "hold.placed", sentence: "Hold placed on lot LOT-<1>", subjectType: "lot", subjectId: "LOT-<1>",
                                     occurredAt: Date(timeIntervalSince1970: 1_796_000_000))

    @Test("a message has a plain and an HTML part, links to the console page, no recipient in its headers, HTML escaped")
    func message() {
        let id = UUID()
        let text = NotificationMail(idempotencyId: id, items: [item], digest: nil, from: "cryoledger@site.example",
                                    consoleURL: "https://cryo.site.example/").message()
        #expect(text.contains("To: undisclosed-recipients:;\r\n"))
        #expect(text.contains("Message-ID: <\(id.uuidString.lowercased())@cryoledger>"))
        #expect(text.contains("Subject: CryoLedger: Hold placed on lot LOT-<1>\r\n"))
        #expect(text.contains("Content-Type: text/plain; charset=utf-8") && text.contains("Content-Type: text/html; charset=utf-8"))
        #expect(text.contains("https://cryo.site.example/console/lots/LOT-%3C1%3E"))
        #expect(text.contains("&lt;1&gt;") && !text.contains("<a href=\"https://cryo.site.example/console/lots/LOT-<1>"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends only")
    }

    @Test("links: a page per subject; none for a box or for another role's page; an e-mail links only pages anyone may open")
    func links() {
        #expect(NotificationLink.path(kind: "hold.placed", subjectType: "vial", subjectId: "CV1", role: .qa) == "/console/vials/CV1")
        #expect(NotificationLink.path(kind: "box.nearly-full", subjectType: "storage", subjectId: "BOX-1", role: .qa) == nil)
        #expect(NotificationLink.path(kind: "freezer.nearly-full", subjectType: "storage", subjectId: "LN2-01", role: .qa) == "/console/freezers/LN2-01")
        #expect(NotificationLink.path(kind: "security.sign-in-burst", subjectType: "security", subjectId: "sign-in", role: .admin) == "/console/users")
        #expect(NotificationLink.path(kind: "security.sign-in-burst", subjectType: "security", subjectId: "sign-in", role: nil) == nil)
        let mail = NotificationMail(idempotencyId: UUID(), items: [.init(kind: "security.sign-in-burst", sentence: "A burst of failed sign-ins",
                                                                         subjectType: "security", subjectId: "x", occurredAt: Date())],
                                    digest: nil, from: "a@b.example", consoleURL: "http://x")
        #expect(mail.plainText.contains("A burst of failed sign-ins") && !mail.plainText.contains("/console/users"))
    }

    @Test("a digest's subject counts its notifications")
    func digestSubject() {
        let mail = NotificationMail(idempotencyId: UUID(), items: [item, item], digest: "daily", from: "a@b.example", consoleURL: "http://x")
        #expect(mail.subject == "CryoLedger daily digest: 2 notifications")
    }

    @Test("NotificationAudience.mode: no choice → the role's default; choices → the strongest that covers; forbidden → off")
    func modes() {
        let sub = [NotificationAudience.Subscription(kind: .holdPlaced, scope: .freezer("F1"), mode: .hourly),
                   .init(kind: .holdPlaced, scope: .site("S1"), mode: .immediate)]
        #expect(NotificationAudience.mode(kind: .holdPlaced, role: .qa, subscriptions: [], roleDefault: .daily, site: nil, freezer: nil, study: nil) == .daily)
        #expect(NotificationAudience.mode(kind: .holdPlaced, role: .qa, subscriptions: sub, roleDefault: .daily, site: "S1", freezer: "F1", study: nil) == .immediate)
        #expect(NotificationAudience.mode(kind: .holdPlaced, role: .qa, subscriptions: sub, roleDefault: .daily, site: "S2", freezer: "F1", study: nil) == .hourly)
        #expect(NotificationAudience.mode(kind: .holdPlaced, role: .qa, subscriptions: sub, roleDefault: .daily, site: "S2", freezer: nil, study: nil) == .off)
        #expect(NotificationAudience.mode(kind: .signInBurst, role: .clinical, subscriptions: [], roleDefault: .immediate, site: nil, freezer: nil, study: nil) == .off)
    }

    @Test("digest windows end on the hour and at midnight UTC")
    func windows() {
        let t = Date(timeIntervalSince1970: 1_796_003_723)  // 2026-11-30 01:55:23 UTC
        #expect(DigestWindow.latestEnd(.hourly, now: t) == Date(timeIntervalSince1970: 1_796_000_400))
        #expect(DigestWindow.latestEnd(.daily, now: t) == Date(timeIntervalSince1970: 1_795_996_800))
        #expect(DigestWindow.latestEnd(.immediate, now: t) == nil)
    }
}

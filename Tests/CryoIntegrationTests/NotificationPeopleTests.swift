import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 28, notifications to people through the store: the bell (a person's notifications, the unread count, the read
/// marker), a person's own choices and e-mail address, the role defaults administrators set, and the test send.
@Suite("Notifications: the bell and people's choices")
struct NotificationPeopleTests {
    static let log = Fixture.logger

    @Test("a person sees the kinds they get, newest first and paged; the bell counts what is newer than the read marker, which never moves back")
    func bellAndReadMarker() async throws {
        try await withFixture { f in
            let pharmacy = f.user(.pharmacy), clinical = f.user(.clinical)
            for i in 1...3 {
                try await f.lot("LOT-N\(i)")
                _ = try await f.store.placeHold(on: .lot, id: "LOT-N\(i)", reason: "Cracked cap", actor: f.user(.qa), logger: Self.log)
            }
            let mine = try await f.store.myNotifications(actor: pharmacy, logger: Self.log)
            #expect(mine.map(\.subjectId) == ["LOT-N3", "LOT-N2", "LOT-N1"])
            #expect(mine.allSatisfy { $0.kind == "hold.placed" && !$0.read && $0.sentence == "Hold placed on lot \($0.subjectId)" })
            // Clinical gets holds only if it chooses to (its default is off).
            #expect(try await f.store.myNotifications(actor: clinical, logger: Self.log).isEmpty)
            #expect(try await f.store.unreadNotificationCount(actor: clinical, logger: Self.log) == 0)

            let first = try await f.store.myNotifications(limit: 2, actor: pharmacy, logger: Self.log)
            let next = try await f.store.myNotifications(before: first.last?.id, limit: 2, actor: pharmacy, logger: Self.log)
            #expect(first.map(\.subjectId) == ["LOT-N3", "LOT-N2"] && next.map(\.subjectId) == ["LOT-N1"])

            #expect(try await f.store.unreadNotificationCount(actor: pharmacy, logger: Self.log) == 3)
            #expect(try await f.store.unreadNotificationCount(cap: 2, actor: pharmacy, logger: Self.log) == 2)
            try await f.store.markNotificationsRead(upTo: mine[1].id, actor: pharmacy, logger: Self.log)
            #expect(try await f.store.unreadNotificationCount(actor: pharmacy, logger: Self.log) == 1)
            // A page opened earlier cannot move the marker back.
            let marker = try await f.store.markNotificationsRead(upTo: mine[2].id, actor: pharmacy, logger: Self.log)
            #expect(marker == mine[1].id)
            #expect(try await f.store.myNotifications(actor: pharmacy, logger: Self.log).map(\.read) == [false, true, true])
            try await f.store.markNotificationsRead(actor: pharmacy, logger: Self.log)
            #expect(try await f.store.unreadNotificationCount(actor: pharmacy, logger: Self.log) == 0)
            // Marking read is one person's: QA's bell still counts all three.
            #expect(try await f.store.unreadNotificationCount(actor: f.user(.qa), logger: Self.log) == 3)

            try await f.lot("LOT-N4")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-N4", reason: "Cracked cap", actor: f.user(.qa), logger: Self.log)
            #expect(try await f.store.unreadNotificationCount(actor: pharmacy, logger: Self.log) == 1)
            await #expect(throws: DomainError.invalid(field: "upTo", rule: "the id to mark read up to is 0 or more")) {
                try await f.store.markNotificationsRead(upTo: -1, actor: pharmacy, logger: Self.log)
            }
        }
    }

    @Test("a subscription the role may not have is refused naming the kind (Swift first, the trigger behind it); an unknown place names the scope")
    func forbiddenSubscription() async throws {
        try await withFixture { f in
            let clinical = f.user(.clinical)
            await #expect(throws: DomainError.invalid(field: "kind", rule: "“A burst of failed sign-ins” notifications go to qa, auditor or admin only; you are clinical")) {
                try await f.store.setMySubscription(.init(kind: .signInBurst, scope: .all, mode: .immediate), actor: clinical, logger: Self.log)
            }
            // A principal whose role changed in the database since it signed in: the trigger refuses, with the same field.
            let stale = Principal(id: clinical.id, name: clinical.name, role: .admin)
            do {
                try await f.store.setMySubscription(.init(kind: .signInBurst, scope: .all, mode: .immediate), actor: stale, logger: Self.log)
                Issue.record("the database accepted a security subscription for a clinical user")
            } catch let error as DomainError {
                guard case .invalid(let field, _) = error else { Issue.record("\(error)"); return }
                #expect(field == "kind")
            }
            await #expect(throws: DomainError.invalid(field: "scope", rule: "there is no freezer FRZ-NOPE")) {
                try await f.store.setMySubscription(.init(kind: .holdPlaced, scope: .freezer("FRZ-NOPE"), mode: .immediate), actor: clinical, logger: Self.log)
            }
            #expect(try await f.count("SELECT count(*)::int FROM notification_subscription") == 0)
        }
    }

    @Test("a scoped subscription brings only what happens there; removing it gives the role's default back")
    func scopedSubscription() async throws {
        try await withFixture { f in
            let clinical = f.user(.clinical)
            try await f.store.setMySubscription(.init(kind: .holdPlaced, scope: .freezer("FRZ-1"), mode: .daily), actor: clinical, logger: Self.log)
            try await f.store.setMySubscription(.init(kind: .holdPlaced, scope: .freezer("FRZ-1"), mode: .immediate), actor: clinical, logger: Self.log)
            #expect(try await f.store.mySubscriptions(actor: clinical, logger: Self.log) == [.init(kind: .holdPlaced, scope: .freezer("FRZ-1"), mode: .immediate)])
            try await f.lot("LOT-S1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-S1", reason: "Cracked cap", actor: f.user(.qa), logger: Self.log)
            _ = try await f.store.placeHold(on: .freezer, id: "FRZ-1", reason: "Alarm", actor: f.user(.qa), logger: Self.log)
            #expect(try await f.store.myNotifications(actor: clinical, logger: Self.log).map(\.subjectId) == ["FRZ-1"])
            try await f.store.removeMySubscription(kind: .holdPlaced, scope: .freezer("FRZ-1"), actor: clinical, logger: Self.log)
            #expect(try await f.store.myNotifications(actor: clinical, logger: Self.log).isEmpty)
            await #expect(throws: DomainError.self) {
                try await f.store.removeMySubscription(kind: .holdPlaced, scope: .freezer("FRZ-1"), actor: clinical, logger: Self.log)
            }
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action LIKE 'notification.subscription-%' AND subject_id = '\(clinical.id)'") == 3)
        }
    }

    @Test("PersonEmail.check and the CHECK app_user_email agree; the address is set and cleared, never written to the custody log")
    func email() async throws {
        try await withFixture { f in
            let qa = f.user(.qa)
            let candidates = ["qa@site.example", "a.b+c@x-y.example", "no-at.example", "two@@x.example", "sp ace@x.example", "x@", "@x.example",
                              "x@y..example", String(repeating: "a", count: 250) + "@x.ex", "ü@x.example", "x@y"]
            for address in candidates {
                let swift = (try? PersonEmail.check(address)) != nil
                var database = true
                do { try await f.client.query("UPDATE app_user SET email = \(address) WHERE id = \(qa.id)", logger: Self.log) } catch { database = false }
                #expect(swift == database, "\(address)")
            }
            await #expect(throws: DomainError.self) { try await f.store.setMyEmail("no-at.example", actor: qa, logger: Self.log) }
            do { try await f.store.setMyEmail("bad", actor: qa, logger: Self.log) } catch let DomainError.invalid(field, _) { #expect(field == "email") }
            try await f.store.setMyEmail("  qa@site.example ", actor: qa, logger: Self.log)
            #expect(try await f.store.myEmail(actor: qa, logger: Self.log) == "qa@site.example")
            try await f.store.setMyEmail("", actor: qa, logger: Self.log)
            #expect(try await f.store.myEmail(actor: qa, logger: Self.log) == nil)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.email-set' AND details::text LIKE '%@%'") == 0)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'user.email-set'") == 2)
        }
    }

    @Test("administrators set a role's default, with its custody event; others are refused; a kind the role may not receive is refused naming the kind")
    func roleDefaults() async throws {
        try await withFixture { f in
            let admin = f.user(.admin), clinical = f.user(.clinical)
            let before = try await f.store.notificationDefaults(actor: admin, logger: Self.log)
            #expect(before.contains(.init(kind: .holdPlaced, role: .clinical, mode: .off)))
            #expect(!before.contains { $0.kind == .signInBurst && $0.role == .clinical })
            try await f.store.setNotificationDefault(kind: .holdPlaced, role: .clinical, mode: .immediate, actor: admin, logger: Self.log)
            try await f.lot("LOT-R1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-R1", reason: "Cracked cap", actor: f.user(.qa), logger: Self.log)
            #expect(try await f.store.unreadNotificationCount(actor: clinical, logger: Self.log) == 1)
            let event = try await f.client.query("""
                SELECT subject_type, from_state, to_state FROM custody_event WHERE action = 'notification.default-set'
                """, logger: Self.log).decode((String, String, String).self).rows()
            #expect(event.count == 1 && event.first?.0 == "security" && event.first?.1 == "off" && event.first?.2 == "immediate")
            await #expect(throws: DomainError.self) {
                try await f.store.setNotificationDefault(kind: .holdPlaced, role: .clinical, mode: .off, actor: f.user(.qa), logger: Self.log)
            }
            do {
                try await f.store.setNotificationDefault(kind: .signInBurst, role: .clinical, mode: .daily, actor: admin, logger: Self.log)
                Issue.record("a security default was set for clinical")
            } catch let DomainError.invalid(field, _) { #expect(field == "kind") }
            await #expect(throws: DomainError.self) { try await f.store.notificationDefaults(actor: clinical, logger: Self.log) }
        }
    }

    @Test("a test send reaches its endpoint only, through the outbox; an unknown endpoint is not found; only administrators may")
    func testSend() async throws {
        try await withFixture { f in
            let admin = f.user(.admin)
            for name in ["A", "B"] {
                _ = try await f.store.addWebhookEndpoint(name: name, url: "http://127.0.0.1:18991/\(name)", kinds: [], actor: admin, logger: Self.log)
            }
            let delivery = try await f.store.requestWebhookTest(endpoint: "A", actor: admin, logger: Self.log)
            #expect(delivery.endpoint == "A" && delivery.kind == "webhook.test" && delivery.state == "pending")
            let rows = try await f.client.query("""
                SELECT w.name FROM notification_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id
                JOIN notification n ON n.id = d.notification_id WHERE n.kind = 'webhook.test'
                """, logger: Self.log).decode(String.self).rows()
            #expect(rows == ["A"])
            await #expect(throws: DomainError.notFound(kind: "webhook endpoint", id: "C")) {
                try await f.store.requestWebhookTest(endpoint: "C", actor: admin, logger: Self.log)
            }
            await #expect(throws: DomainError.self) { try await f.store.requestWebhookTest(endpoint: "A", actor: f.user(.qa), logger: Self.log) }
            // Two test sends at once each find their own delivery.
            async let one = f.store.requestWebhookTest(endpoint: "A", actor: admin, logger: Self.log)
            async let two = f.store.requestWebhookTest(endpoint: "B", actor: admin, logger: Self.log)
            let (a, b) = try await (one, two)
            #expect(a.endpoint == "A" && b.endpoint == "B" && a.id != b.id)
        }
    }
}

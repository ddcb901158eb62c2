import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 28, notifications to people: the table `notification_audience` and `NotificationAudience.roles(for:)` agree,
/// `notification_mode()` and `NotificationAudience.mode` agree, the database refuses a subscription the role may not
/// have, and an event writes one e-mail per notification to everyone who gets it at once, in the event's transaction (the trigger of the outbox).
@Suite("Notifications: who gets what")
struct NotificationAudienceTests {
    @Test("notification_audience lists exactly the roles NotificationAudience.roles(for:) names, for every kind")
    func audienceAgrees() async throws {
        try await withFixture { f in
            let rows = try await f.client.query("SELECT kind, role FROM notification_audience", logger: Fixture.logger)
                .decode((String, String).self).rows()
            let sql = Dictionary(grouping: rows, by: \.0).mapValues { Set($0.map(\.1)) }
            for kind in NotificationKind.allCases {
                #expect(sql[kind.rawValue] == Set(NotificationAudience.roles(for: kind).map(\.rawValue)), "\(kind.rawValue)")
            }
            #expect(Set(sql.keys) == Set(NotificationKind.allCases.map(\.rawValue)))
        }
    }

    @Test("notification_mode() and NotificationAudience.mode agree on defaults, scoped choices and forbidden kinds")
    func modeAgrees() async throws {
        try await withFixture { f in
            let qa = f.user(.qa), clinical = f.user(.clinical)
            let choices: [[NotificationAudience.Subscription]] = [
                [],
                [.init(kind: .holdPlaced, scope: .all, mode: .daily)],
                [.init(kind: .holdPlaced, scope: .freezer("FRZ-1"), mode: .immediate)],
                [.init(kind: .holdPlaced, scope: .site("SITE-A"), mode: .hourly), .init(kind: .holdPlaced, scope: .study("ALPHA"), mode: .immediate)],
                [.init(kind: .holdPlaced, scope: .all, mode: .off), .init(kind: .holdPlaced, scope: .study("ALPHA"), mode: .daily)],
            ]
            let places: [(String?, String?, String?)] = [(nil, nil, nil), ("SITE-A", "FRZ-1", nil), ("SITE-B", nil, "ALPHA"), ("SITE-A", "FRZ-2", "BETA")]
            for subscriptions in choices {
                try await f.client.query("DELETE FROM notification_subscription", logger: Fixture.logger)
                for s in subscriptions {
                    try await f.client.query("""
                        INSERT INTO notification_subscription (user_id, kind, scope_type, scope_id, mode)
                        VALUES (\(qa.id), \(s.kind.rawValue), \(s.scope.type), \(s.scope.id), \(s.mode.rawValue))
                        """, logger: Fixture.logger)
                }
                for kind in NotificationKind.allCases {
                    for (site, freezer, study) in places {
                        for (user, role) in [(qa.id, Role.qa), (clinical.id, Role.clinical)] {
                            let sqlMode = try await f.client.query("""
                                SELECT notification_mode(\(user), \(role.rawValue), \(kind.rawValue), \(site), \(freezer), \(study)),
                                       (SELECT default_mode FROM notification_audience WHERE kind = \(kind.rawValue) AND role = \(role.rawValue))
                                """, logger: Fixture.logger).decode((String, String?).self).rows().first
                            let mine = role == .qa ? subscriptions : []
                            let swift = NotificationAudience.mode(kind: kind, role: role, subscriptions: mine,
                                                                  roleDefault: NotificationMode(rawValue: sqlMode?.1 ?? "off") ?? .off,
                                                                  site: site, freezer: freezer, study: study)
                            #expect(sqlMode?.0 == swift.rawValue, "\(kind.rawValue) \(role) at \(site ?? "-")/\(freezer ?? "-")/\(study ?? "-") with \(mine.count) choices")
                        }
                    }
                }
            }
        }
    }

    @Test("the database refuses a subscription to a kind the user's role may not receive")
    func forbiddenSubscription() async throws {
        try await withFixture { f in
            #expect(!NotificationAudience.mayReceive(.signInBurst, role: .clinical))
            do {
                try await f.client.query("""
                    INSERT INTO notification_subscription (user_id, kind, mode) VALUES (\(f.user(.clinical).id), 'security.sign-in-burst', 'immediate')
                    """, logger: Fixture.logger)
                Issue.record("a clinical user subscribed to security notifications")
            } catch let error as PSQLError {
                #expect(error.serverInfo?[.constraintName] == "notification_subscription_allowed")
            }
        }
    }

    @Test("a hold writes one e-mail to everyone who gets holds at once, in the event's transaction")
    func immediateMail() async throws {
        try await withFixture { f in
            try await f.lot("LOT-M1")
            for (role, email) in [(Role.qa, "qa@site.example"), (.pharmacy, "pharmacy@site.example"), (.manufacturing, "mfg@site.example")] {
                try await f.client.query("UPDATE app_user SET email = \(email) WHERE id = \(f.user(role).id)", logger: Fixture.logger)
            }
            _ = try await f.store.placeHold(on: .lot, id: "LOT-M1", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            let mails = try await f.client.query("""
                SELECT m.recipients, n.kind FROM mail_message m JOIN notification n ON n.id = m.notification_ids[1]
                """, logger: Fixture.logger).decode(([String], String).self).rows()
            #expect(mails.count == 1)
            #expect(Set(mails.first?.0 ?? []) == ["qa@site.example", "pharmacy@site.example"],
                    "manufacturing gets holds in its daily digest, not at once: \(mails)")
            #expect(mails.first?.1 == "hold.placed")

            // A user who turned holds off, and a deactivated one, get nothing.
            try await f.client.query("""
                INSERT INTO notification_subscription (user_id, kind, mode) VALUES (\(f.user(.pharmacy).id), 'hold.placed', 'off')
                """, logger: Fixture.logger)
            try await f.lot("LOT-M2")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-M2", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            let second = try await f.client.query("SELECT recipients FROM mail_message ORDER BY id DESC LIMIT 1", logger: Fixture.logger)
                .decode([String].self).rows()
            #expect(second == [["qa@site.example"]])
        }
    }
}

import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 28, e-mail: the digests of a closed window are written once per user (even when two servers race), hold what
/// each user gets in that digest and nothing they get at once, and the mails claimed and answered move as the webhook
/// deliveries do (delivered, or pending again after a failure).
@Suite("Notifications: e-mail digests and the mail outbox")
struct NotificationMailTests {
    @Test("a daily digest holds a user's daily notifications, is written once per window, twice-racing servers included")
    func dailyDigest() async throws {
        try await withFixture { f in
            for (role, email) in [(Role.qa, "qa@site.example"), (.manufacturing, "mfg@site.example")] {
                try await f.client.query("UPDATE app_user SET email = \(email) WHERE id = \(f.user(role).id)", logger: Fixture.logger)
            }
            try await f.lot("LOT-D1")
            try await f.lot("LOT-D2")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-D1", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            _ = try await f.store.placeHold(on: .lot, id: "LOT-D2", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            let immediate = try await f.count("SELECT count(*)::int FROM mail_message WHERE digest IS NULL")
            #expect(immediate == 2, "QA gets holds at once: one e-mail per hold")

            // The day closes: tomorrow just after midnight (UTC) both servers write the digests at once.
            let tomorrow = DigestWindow.latestEnd(.daily, now: Date())!.addingTimeInterval(86_400 + 120)
            async let a = f.store.makeDigests(.daily, now: tomorrow, logger: Fixture.logger)
            async let b = f.store.makeDigests(.daily, now: tomorrow, logger: Fixture.logger)
            let written = try await a + b
            #expect(written == 1, "manufacturing gets holds in its daily digest: one e-mail, not one per server")
            let digests = try await f.client.query("""
                SELECT recipients, cardinality(notification_ids) FROM mail_message WHERE digest = 'daily'
                """, logger: Fixture.logger).decode(([String], Int).self).rows()
            #expect(digests.count == 1 && digests.first?.0 == ["mfg@site.example"] && digests.first?.1 == 2, "\(digests)")
            #expect(try await f.store.makeDigests(.daily, now: tomorrow, logger: Fixture.logger) == 0, "a window is done once")

            // The next day's digest starts after the last one: nothing new, no e-mail.
            #expect(try await f.store.makeDigests(.daily, now: tomorrow.addingTimeInterval(86_400), logger: Fixture.logger) == 0)
            // An hourly subscriber gets only what is new since the last hour that closed.
            #expect(try await f.store.makeDigests(.hourly, now: tomorrow, logger: Fixture.logger) == 0)
        }
    }

    @Test("a claimed e-mail carries its notifications; a failed send is pending again after the back-off, a sent one delivered")
    func claimAndAnswer() async throws {
        try await withFixture { f in
            try await f.client.query("UPDATE app_user SET email = 'qa@site.example' WHERE id = \(f.user(.qa).id)", logger: Fixture.logger)
            try await f.lot("LOT-C1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-C1", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            let due = try await f.store.claimDueMail(limit: 10, leaseSeconds: 60, logger: Fixture.logger)
            #expect(due.count == 1)
            let mail = try #require(due.first)
            #expect(mail.recipients == ["qa@site.example"] && mail.items.map(\.sentence) == ["Hold placed on lot LOT-C1"])
            #expect(try await f.store.claimDueMail(limit: 10, leaseSeconds: 60, logger: Fixture.logger).isEmpty, "leased: not claimed twice")

            try await f.store.recordMailAttempt(id: mail.id, status: 75, answer: "msmtp: cannot connect", latencyMs: 12, delivered: false, logger: Fixture.logger)
            let (state, attempts, later) = try #require(try await f.client.query("""
                SELECT state, attempts, next_attempt_at > now() FROM mail_message WHERE id = \(mail.id)
                """, logger: Fixture.logger).decode((String, Int, Bool).self).rows().first)
            #expect(state == "pending" && attempts == 1 && later)
            try await f.store.recordMailAttempt(id: mail.id, status: 0, answer: "", latencyMs: 9, delivered: true, logger: Fixture.logger)
            #expect(try await f.count("SELECT count(*)::int FROM mail_message WHERE state = 'delivered' AND delivered_at IS NOT NULL AND attempts = 2") == 1)
        }
    }
}

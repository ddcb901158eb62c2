@testable import CryoAPI
import CryoDomain
import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Issue 28: endpoints through the API, claiming with SKIP LOCKED, back-off, dead letters and redelivery.
@Suite("Notifications: endpoints and deliveries")
struct NotificationDeliveryTests {
    @Test("admins add, list, rotate and remove endpoints through the API; others are refused; bad input names the field")
    func endpointsThroughAPI() async throws {
        try await withApp { f, http in
            let admin = f.tokens[.admin]!
            let (created, body, _) = try await http.call(.post, "/notifications/endpoints", token: admin,
                                                       json: #"{"name": "MES", "url": "http://127.0.0.1:18969/hook", "kinds": ["hold.placed"]}"#)
            #expect(created == .created)
            let secret = try #require(body["secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            let (forbidden, _, _) = try await http.call(.post, "/notifications/endpoints", token: f.tokens[.qa]!,
                                                         json: #"{"name": "X", "url": "http://127.0.0.1:18969/"}"#)
            #expect(forbidden == .forbidden)
            let (bad, problem, _) = try await http.call(.post, "/notifications/endpoints", token: admin,
                                                        json: #"{"name": "Y", "url": "http://127.0.0.1:18969/", "kinds": ["hold.maybe"]}"#)
            #expect(bad == .badRequest && (problem["field"] as? String) == "kinds")
            let (badURL, problem2, _) = try await http.call(.post, "/notifications/endpoints", token: admin, json: #"{"name": "Z", "url": "ftp://x"}"#)
            #expect(badURL == .badRequest && (problem2["field"] as? String) == "url")
            let (credentials, problem3, _) = try await http.call(.post, "/notifications/endpoints", token: admin,
                                                                 json: #"{"name": "Z", "url": "https://user:pw@mes.example/hook"}"#)
            #expect(credentials == .badRequest && (problem3["field"] as? String) == "url")
            // The database keeps the same rule whoever writes.
            let direct = await RuleTwinTests.refusal(f, "INSERT INTO webhook_endpoint (name, url, secret) VALUES ('Z', 'https://u:p@h/x', 'whsec_c2VjcmV0')")
            #expect(direct?.state == "23514")
            let (_, _, listed) = try await http.call(.get, "/notifications/endpoints", token: admin)
            #expect(listed.contains("\"MES\"") && !listed.contains(secret) && !listed.contains("whsec_"))
            let (rotated, rotation, _) = try await http.call(.post, "/notifications/endpoints/MES/rotate-secret", token: admin)
            #expect(rotated == .ok && (rotation["secret"] as? String) != secret)
            let newSecret = try #require(rotation["secret"] as? String)
            // During the rotation both secrets sign.
            try await f.lot("LOT-D0")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-D0", reason: "x", actor: f.user(.qa), logger: Fixture.logger)
            let due = try await f.store.claimDueDeliveries(limit: 10, leaseSeconds: 60, logger: Fixture.logger)
            #expect(due.count == 1 && due.first?.secrets == [newSecret, secret])
            let (removed, _, _) = try await http.call(.delete, "/notifications/endpoints/MES", token: admin)
            #expect(removed == .noContent)
            #expect(try await f.count("SELECT count(*)::int FROM notification_delivery WHERE state = 'dead'") == 1)
            let (gone, _, _) = try await http.call(.delete, "/notifications/endpoints/MES", token: admin)
            #expect(gone == .notFound)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action LIKE 'webhook.endpoint-%'") == 3)
        }
    }

    @Test("two dispatchers claiming at once never take the same delivery (FOR UPDATE SKIP LOCKED)")
    func concurrentClaims() async throws {
        try await withFixture { f in
            _ = try await f.store.addWebhookEndpoint(name: "A", url: "http://127.0.0.1:18969/", kinds: [], actor: f.user(.admin), logger: Fixture.logger)
            for i in 1...20 {
                try await f.lot("LOT-C\(i)")
                _ = try await f.store.placeHold(on: .lot, id: "LOT-C\(i)", reason: "x", actor: f.user(.qa), logger: Fixture.logger)
            }
            async let one = f.store.claimDueDeliveries(limit: 12, leaseSeconds: 60, logger: Fixture.logger)
            async let two = f.store.claimDueDeliveries(limit: 12, leaseSeconds: 60, logger: Fixture.logger)
            let (a, b) = try await (one, two)
            #expect(Set(a.map(\.id)).isDisjoint(with: b.map(\.id)))
            #expect(a.count + b.count == 20)
            // Claimed: not due again until the lease ends.
            #expect(try await f.store.claimDueDeliveries(limit: 50, leaseSeconds: 60, logger: Fixture.logger).isEmpty)
        }
    }

    @Test("an endpoint that does not answer: each try logged, back-off, dead after the last try; redelivery makes it due again")
    func backOffDeadAndRedeliver() async throws {
        try await withApp { f, http in
            // Nothing listens on this port (the test's own range): the connection is refused.
            _ = try await f.store.addWebhookEndpoint(name: "down", url: "http://127.0.0.1:18968/hook", kinds: [], actor: f.user(.admin), logger: Fixture.logger)
            try await f.lot("LOT-B1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-B1", reason: "x", actor: f.user(.qa), logger: Fixture.logger)
            let dispatcher = NotificationDispatcher(store: f.store, pollInterval: .seconds(1), logger: Fixture.logger, timeout: 2)
            for attempt in 1...DeliveryBackoff.maxAttempts {
                try await f.client.query("UPDATE notification_delivery SET next_attempt_at = now()", logger: Fixture.logger)
                let due = try await f.store.claimDueDeliveries(limit: 5, leaseSeconds: 60, logger: Fixture.logger)
                #expect(due.count == 1)
                for d in due { await dispatcher.deliver(d) }
                #expect(try await f.count("SELECT count(*)::int FROM notification_attempt") == attempt)
                if attempt == 1 {
                    #expect(try await f.count("""
                        SELECT count(*)::int FROM notification_delivery WHERE state = 'pending' AND attempts = 1
                        AND next_attempt_at BETWEEN now() + interval '5 seconds' AND now() + interval '15 seconds' AND last_status IS NULL
                        """) == 1)
                }
            }
            #expect(try await f.count("SELECT count(*)::int FROM notification_delivery WHERE state = 'dead' AND attempts = \(DeliveryBackoff.maxAttempts)") == 1)
            let id = try #require(try await f.store.notificationDeliveries(actor: f.user(.admin), logger: Fixture.logger).first?.id)
            let (status, body, _) = try await http.call(.post, "/notifications/deliveries/\(id)/redeliver", token: f.tokens[.admin]!)
            #expect(status == .ok && (body["state"] as? String) == "pending" && (body["attempts"] as? Int) == 0)
            let (refused, _, _) = try await http.call(.post, "/notifications/deliveries/\(id)/redeliver", token: f.tokens[.pharmacy]!)
            #expect(refused == .forbidden)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'webhook.redelivery-requested'") == 1)
        }
    }

    @Test("back-off doubles from 10 seconds, capped at an hour, dead after the last try")
    func backOff() {
        #expect(DeliveryBackoff.delay(afterAttempt: 1) == 10)
        #expect(DeliveryBackoff.delay(afterAttempt: 2) == 20)
        #expect(DeliveryBackoff.delay(afterAttempt: 7) == 640)
        #expect(DeliveryBackoff.delay(afterAttempt: 7, maxAttempts: 20) == 640)
        #expect(DeliveryBackoff.delay(afterAttempt: 15, maxAttempts: 20) == 3600)
        #expect(DeliveryBackoff.delay(afterAttempt: DeliveryBackoff.maxAttempts) == nil)
        #expect(DeliveryBackoff.step(afterAttempts: 0, delivered: false) == .init(tries: 1, state: "pending", retryAfterSeconds: 10))
        #expect(DeliveryBackoff.step(afterAttempts: 3, delivered: true) == .init(tries: 4, state: "delivered", retryAfterSeconds: 0))
        #expect(DeliveryBackoff.step(afterAttempts: DeliveryBackoff.maxAttempts - 1, delivered: false).state == "dead")
    }
}

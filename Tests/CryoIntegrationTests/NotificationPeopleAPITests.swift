import CryoDomain
import CryoStore
import Foundation
import Testing

/// Issue 28 through the API: a person's own notifications, read marker and choices; an administrator's test send.
@Suite("Notifications: the API of a person's bell and choices")
struct NotificationPeopleAPITests {
    @Test("GET /notifications lists the caller's own with the unread count; POST /notifications/read moves the marker")
    func bellThroughAPI() async throws {
        try await withApp { f, http in
            let pharmacy = f.tokens[.pharmacy]!
            try await f.lot("LOT-A1")
            _ = try await f.store.placeHold(on: .lot, id: "LOT-A1", reason: "Cracked cap", actor: f.user(.qa), logger: Fixture.logger)
            let (ok, body, _) = try await http.call(.get, "/notifications", token: pharmacy)
            #expect(ok == .ok && body["unread"] as? Int == 1)
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.count == 1 && items.first?["sentence"] as? String == "Hold placed on lot LOT-A1" && items.first?["read"] as? Bool == false)
            // Clinical's default for holds is off: nothing for them.
            let (_, clinical, _) = try await http.call(.get, "/notifications", token: f.tokens[.clinical]!)
            #expect((clinical["items"] as? [Any])?.isEmpty == true && clinical["unread"] as? Int == 0)

            let (read, marker, _) = try await http.call(.post, "/notifications/read", token: pharmacy, json: "{}")
            #expect(read == .ok && marker["unread"] as? Int == 0 && (marker["lastReadId"] as? Int ?? 0) >= (items.first?["id"] as? Int ?? 1))
            let (bad, problem, _) = try await http.call(.post, "/notifications/read", token: pharmacy, json: #"{"upTo": 1, "everything": true}"#)
            #expect(bad == .badRequest, "unknown fields are refused: \(problem)")
            // The auditor reads their own bell too.
            let (auditor, _, _) = try await http.call(.get, "/notifications?limit=5", token: f.tokens[.auditor]!)
            #expect(auditor == .ok)
            let (noToken, _, _) = try await http.call(.get, "/notifications", token: nil)
            #expect(noToken == .unauthorized)
        }
    }

    @Test("PUT /notifications/subscriptions sets one choice; a kind the role may not receive is refused naming kind, an unknown freezer naming scope")
    func subscriptionsThroughAPI() async throws {
        try await withApp { f, http in
            let clinical = f.tokens[.clinical]!
            let (ok, body, _) = try await http.call(.put, "/notifications/subscriptions", token: clinical,
                                                    json: #"{"kind": "hold.placed", "scopeType": "freezer", "scopeId": "FRZ-1", "mode": "daily"}"#)
            #expect(ok == .ok)
            let subscriptions = try #require(body["subscriptions"] as? [[String: Any]])
            #expect(subscriptions.count == 1 && subscriptions.first?["scopeId"] as? String == "FRZ-1" && subscriptions.first?["mode"] as? String == "daily")
            #expect((body["roleDefaults"] as? [[String: Any]])?.contains { $0["kind"] as? String == "hold.placed" && $0["mode"] as? String == "off" } == true)

            let (forbidden, problem, _) = try await http.call(.put, "/notifications/subscriptions", token: clinical,
                                                              json: #"{"kind": "security.sign-in-burst", "mode": "immediate"}"#)
            #expect(forbidden == .badRequest && problem["field"] as? String == "kind")
            let (unknownKind, problem2, _) = try await http.call(.put, "/notifications/subscriptions", token: clinical,
                                                                 json: #"{"kind": "hold.maybe", "mode": "immediate"}"#)
            #expect(unknownKind == .badRequest && problem2["field"] as? String == "kind")
            let (noFreezer, problem3, _) = try await http.call(.put, "/notifications/subscriptions", token: clinical,
                                                               json: #"{"kind": "hold.placed", "scopeType": "freezer", "scopeId": "NOPE", "mode": "daily"}"#)
            #expect(noFreezer == .badRequest && problem3["field"] as? String == "scope")
            let (noId, problem4, _) = try await http.call(.put, "/notifications/subscriptions", token: clinical,
                                                          json: #"{"kind": "hold.placed", "scopeType": "site", "mode": "daily"}"#)
            #expect(noId == .badRequest && problem4["field"] as? String == "scopeId")
            let (_, listed, _) = try await http.call(.get, "/notifications/subscriptions", token: clinical)
            #expect((listed["subscriptions"] as? [Any])?.count == 1, "refusals changed nothing")
        }
    }

    @Test("POST /notifications/endpoints/{name}/test: admins only, to that endpoint only")
    func testSendThroughAPI() async throws {
        try await withApp { f, http in
            for name in ["MES", "ERP"] {
                _ = try await f.store.addWebhookEndpoint(name: name, url: "http://127.0.0.1:18992/\(name)", kinds: [], actor: f.user(.admin), logger: Fixture.logger)
            }
            let (ok, delivery, _) = try await http.call(.post, "/notifications/endpoints/MES/test", token: f.tokens[.admin]!)
            #expect(ok == .ok && delivery["endpoint"] as? String == "MES" && delivery["kind"] as? String == "webhook.test")
            #expect(try await f.count("SELECT count(*)::int FROM notification_delivery") == 1)
            let (forbidden, _, _) = try await http.call(.post, "/notifications/endpoints/MES/test", token: f.tokens[.qa]!)
            #expect(forbidden == .forbidden)
            let (missing, _, _) = try await http.call(.post, "/notifications/endpoints/NOPE/test", token: f.tokens[.admin]!)
            #expect(missing == .notFound)
        }
    }
}

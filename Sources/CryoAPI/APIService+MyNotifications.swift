import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

/// A person's own notifications and choices (issue 28): the same store operations as the console's bell and settings.
extension APIService {
    func listMyNotifications(_ input: Operations.ListMyNotifications.Input) async throws -> Operations.ListMyNotifications.Output {
        let me = try caller()
        let items = try await store.myNotifications(before: input.query.before, limit: input.query.limit ?? 50, actor: me, logger: logger)
        let unread = try await store.unreadNotificationCount(actor: me, logger: logger)
        return .ok(.init(body: .json(.init(items: items.map(Self.notification), unread: unread))))
    }

    func markNotificationsRead(_ input: Operations.MarkNotificationsRead.Input) async throws -> Operations.MarkNotificationsRead.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let me = try caller()
        let marker = try await store.markNotificationsRead(upTo: body.upTo, actor: me, logger: logger)
        let unread = try await store.unreadNotificationCount(actor: me, logger: logger)
        return .ok(.init(body: .json(.init(lastReadId: marker, unread: unread))))
    }

    func listMySubscriptions(_ input: Operations.ListMySubscriptions.Input) async throws -> Operations.ListMySubscriptions.Output {
        .ok(.init(body: .json(try await mySubscriptions(try caller()))))
    }

    func setMySubscription(_ input: Operations.SetMySubscription.Input) async throws -> Operations.SetMySubscription.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let me = try caller()
        guard let kind = NotificationKind(rawValue: body.kind) else {
            throw DomainError.invalid(field: "kind", rule: "\(body.kind) is not a kind of notification; the kinds are "
                                      + NotificationKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let type = body.scopeType?.rawValue ?? "all"
        guard let scope = NotificationScope(type: type, id: body.scopeId ?? "") else {
            throw DomainError.invalid(field: "scopeId", rule: type == "all" ? "a choice for everywhere names no site, freezer or study"
                                                                          : "name the \(type) of a \(type) choice")
        }
        guard let mode = NotificationMode(rawValue: body.mode.rawValue) else { throw DomainError.invalid(field: "mode", rule: "immediate, hourly, daily or off") }
        try await store.setMySubscription(.init(kind: kind, scope: scope, mode: mode), actor: me, logger: logger)
        return .ok(.init(body: .json(try await mySubscriptions(me))))
    }

    func testWebhookEndpoint(_ input: Operations.TestWebhookEndpoint.Input) async throws -> Operations.TestWebhookEndpoint.Output {
        .ok(.init(body: .json(Self.delivery(try await store.requestWebhookTest(endpoint: input.path.endpointName, actor: caller(), logger: logger)))))
    }

    func mySubscriptions(_ me: Principal) async throws -> Components.Schemas.MySubscriptions {
        let mine = try await store.mySubscriptions(actor: me, logger: logger)
        let defaults = try await store.myRoleDefaults(actor: me, logger: logger)
        let email = try await store.myEmail(actor: me, logger: logger)
        return .init(
            subscriptions: mine.map { s in
                .init(kind: s.kind.rawValue, scopeType: .init(rawValue: s.scope.type)!, scopeId: s.scope == .all ? nil : s.scope.id,
                      mode: .init(rawValue: s.mode.rawValue)!)
            },
            roleDefaults: NotificationKind.allCases.compactMap { kind in
                defaults[kind].map { .init(kind: kind.rawValue, mode: .init(rawValue: $0.rawValue)!) }
            },
            email: email)
    }

    static func notification(_ n: PersonNotification) -> Components.Schemas.MyNotification {
        .init(id: n.id, kind: n.kind, subjectType: n.subjectType, subjectId: n.subjectId, sentence: n.sentence, createdAt: n.createdAt, read: n.read)
    }
}

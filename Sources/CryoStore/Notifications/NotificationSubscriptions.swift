import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// What a role gets of a kind unless its people choose otherwise (set by administrators).
public struct NotificationDefaultRecord: Sendable, Equatable {
    public var kind: NotificationKind
    public var role: Role
    public var mode: NotificationMode
    public init(kind: NotificationKind, role: Role, mode: NotificationMode) { self.kind = kind; self.role = role; self.mode = mode }
}

extension Store {
    /// The signed-in person's own choices, by kind and scope. Rows of a kind this build does not know are left out.
    public func mySubscriptions(actor: Principal, logger: Logger) async throws -> [NotificationAudience.Subscription] {
        try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT kind, scope_type, scope_id, mode FROM notification_subscription WHERE user_id = \(actor.id)
                ORDER BY kind, scope_type, scope_id
                """, logger: logger).named { c -> NotificationAudience.Subscription? in
                guard let kind = NotificationKind(rawValue: try c("kind")), let mode = NotificationMode(rawValue: try c("mode")),
                      let scope = NotificationScope(type: try c("scope_type"), id: try c("scope_id")) else { return nil }
                return .init(kind: kind, scope: scope, mode: mode)
            }.compactMap { $0 }
        }
    }

    /// Sets one of the person's choices (kind and scope → mode). Refused, naming the field: a kind the person's role
    /// may not receive (`NotificationAudience.mayReceive`; the trigger `notification_subscription_allowed` is the
    /// backstop), a site, freezer or study that does not exist.
    public func setMySubscription(_ subscription: NotificationAudience.Subscription, actor: Principal, logger: Logger) async throws {
        let kind = subscription.kind, scope = subscription.scope
        guard NotificationAudience.mayReceive(kind, role: actor.role) else {
            throw Self.notForRole(kind, actor.role)
        }
        do {
            try await transaction(logger) { conn in
                if scope != .all {
                    let exists = try await conn.guardedQuery("""
                        SELECT CASE \(scope.type)
                            WHEN 'site' THEN EXISTS (SELECT 1 FROM site WHERE code = \(scope.id))
                            WHEN 'freezer' THEN EXISTS (SELECT 1 FROM freezer WHERE id = \(scope.id))
                            WHEN 'study' THEN EXISTS (SELECT 1 FROM study WHERE code = \(scope.id)) END
                        """, logger: logger).decode(Bool?.self).all().first ?? nil
                    guard exists == true else {
                        throw DomainError.invalid(field: "scope", rule: "there is no \(scope.type) \(scope.id)")
                    }
                }
                try await conn.guardedQuery("""
                    INSERT INTO notification_subscription (user_id, kind, scope_type, scope_id, mode)
                    VALUES (\(actor.id), \(kind.rawValue), \(scope.type), \(scope.id), \(subscription.mode.rawValue))
                    ON CONFLICT (user_id, kind, scope_type, scope_id) DO UPDATE SET mode = EXCLUDED.mode
                    """, logger: logger)
                try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(actor.id), action: "notification.subscription-set",
                                                      toState: subscription.mode.rawValue,
                                                      details: ["kind": kind.rawValue, "scope": scope.type, "scopeId": scope.id]),
                                         by: actor, on: conn, logger: logger)
            }
        } catch DomainError.invalid(field: "notification_subscription_allowed", _) {
            // The role changed between the check and the write (an administrator changed it).
            throw Self.notForRole(kind, actor.role)
        }
    }

    static func notForRole(_ kind: NotificationKind, _ role: Role) -> DomainError {
        .invalid(field: "kind", rule: "“\(kind.words)” notifications go to \(NotificationAudience.roles(for: kind).spoken) only; you are \(role.rawValue)")
    }

    /// Removes one of the person's choices; with none left for the kind, the role's default applies again.
    public func removeMySubscription(kind: NotificationKind, scope: NotificationScope, actor: Principal, logger: Logger) async throws {
        try await transaction(logger) { conn in
            let removed = try await conn.guardedQuery("""
                DELETE FROM notification_subscription
                WHERE user_id = \(actor.id) AND kind = \(kind.rawValue) AND scope_type = \(scope.type) AND scope_id = \(scope.id)
                RETURNING mode
                """, logger: logger).decode(String.self).all()
            guard let mode = removed.first else {
                throw DomainError.notFound(kind: "subscription", id: "\(kind.rawValue) \(scope.type) \(scope.id)".trimmingCharacters(in: .whitespaces))
            }
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(actor.id), action: "notification.subscription-removed",
                                                  fromState: mode, details: ["kind": kind.rawValue, "scope": scope.type, "scopeId": scope.id]),
                                     by: actor, on: conn, logger: logger)
        }
    }

    /// The person's e-mail address for notifications, if they gave one.
    public func myEmail(actor: Principal, logger: Logger) async throws -> String? {
        try await read(logger) { conn in
            try await conn.guardedQuery("SELECT email FROM app_user WHERE id = \(actor.id)", logger: logger).decode(String?.self).all().first ?? nil
        }
    }

    /// Sets (or, empty, clears) the person's e-mail address (`PersonEmail.check`, twin of the CHECK `app_user_email`).
    /// The custody event says that it changed, never the address.
    public func setMyEmail(_ email: String?, actor: Principal, logger: Logger) async throws {
        let email = try PersonEmail.check(email)
        try await transaction(logger) { conn in
            try await conn.guardedQuery("UPDATE app_user SET email = \(email) WHERE id = \(actor.id)", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: String(actor.id), action: "user.email-set",
                                                  toState: email == nil ? "none" : "set"), by: actor, on: conn, logger: logger)
        }
    }

    /// How the person's role gets each kind unless they choose otherwise.
    public func myRoleDefaults(actor: Principal, logger: Logger) async throws -> [NotificationKind: NotificationMode] {
        try await read(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT kind, default_mode FROM notification_audience WHERE role = \(actor.role.rawValue)
                """, logger: logger).decode((String, String).self).all()
            return Dictionary(rows.compactMap { row in
                NotificationKind(rawValue: row.0).flatMap { k in NotificationMode(rawValue: row.1).map { (k, $0) } }
            }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Every role's default for every kind it may receive (administrators).
    public func notificationDefaults(actor: Principal, logger: Logger) async throws -> [NotificationDefaultRecord] {
        try actor.require(.manageNotifications)
        return try await read(logger) { conn in
            try await conn.guardedQuery("SELECT kind, role, default_mode FROM notification_audience ORDER BY kind, role", logger: logger)
                .named { c -> NotificationDefaultRecord? in
                    guard let kind = NotificationKind(rawValue: try c("kind")), let role = Role(rawValue: try c("role")),
                          let mode = NotificationMode(rawValue: try c("default_mode")) else { return nil }
                    return .init(kind: kind, role: role, mode: mode)
                }.compactMap { $0 }
        }
    }

    /// Sets how a role gets a kind unless its people choose otherwise (administrators), with its custody event.
    public func setNotificationDefault(kind: NotificationKind, role: Role, mode: NotificationMode, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageNotifications)
        guard NotificationAudience.mayReceive(kind, role: role) else { throw Self.notForRole(kind, role) }
        try await transaction(logger) { conn in
            guard let previous = try await conn.guardedQuery("""
                SELECT default_mode FROM notification_audience WHERE kind = \(kind.rawValue) AND role = \(role.rawValue) FOR UPDATE
                """, logger: logger).decode(String.self).all().first else {
                throw Self.notForRole(kind, role)
            }
            guard previous != mode.rawValue else { return }
            try await conn.guardedQuery("""
                UPDATE notification_audience SET default_mode = \(mode.rawValue) WHERE kind = \(kind.rawValue) AND role = \(role.rawValue)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "notification-default:\(kind.rawValue):\(role.rawValue)",
                                                  action: "notification.default-set", fromState: previous, toState: mode.rawValue,
                                                  details: ["kind": kind.rawValue, "role": role.rawValue]),
                                     by: actor, on: conn, logger: logger)
        }
    }

    /// An administrator's test send: a custody event the outbox turns into a notification delivered to this endpoint
    /// only (trigger `custody_event_notifies`). Returns the delivery, due now.
    public func requestWebhookTest(endpoint name: String, actor: Principal, logger: Logger) async throws -> NotificationDeliveryRecord {
        try actor.require(.manageNotifications)
        let deliveryId = try await transaction(logger) { conn -> Int64 in
            guard try await !conn.guardedQuery("""
                SELECT 1 FROM webhook_endpoint WHERE name = \(name) AND active FOR SHARE
                """, logger: logger).decode(Int.self).all().isEmpty else {
                throw DomainError.notFound(kind: "webhook endpoint", id: name)
            }
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "webhook-endpoint:\(name)", action: "webhook.test-requested",
                                                  details: ["endpoint": name]), by: actor, on: conn, logger: logger)
            // currval: the event this session just appended, whatever other sessions append meanwhile.
            guard let id = try await conn.guardedQuery("""
                SELECT d.id FROM notification n JOIN notification_delivery d ON d.notification_id = n.id
                WHERE n.event_id = currval(pg_get_serial_sequence('custody_event', 'id'))
                """, logger: logger).decode(Int64.self).all().first else {
                throw DomainError.conflict(field: "endpoint", rule: "the test notification found no delivery to \(name)")
            }
            return id
        }
        guard let record = try await notificationDeliveries(id: deliveryId, limit: 1, actor: actor, logger: logger).first else {
            throw DomainError.notFound(kind: "delivery", id: String(deliveryId))
        }
        return record
    }
}

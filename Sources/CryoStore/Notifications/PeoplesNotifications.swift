import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// One notification as the person it is for sees it (the bell and its page).
public struct PersonNotification: Sendable, Equatable, Codable {
    public var id: Int64
    public var kind: String
    public var subjectType: String
    public var subjectId: String
    public var sentence: String
    public var createdAt: Date
    /// Whether it is at or below the person's read marker.
    public var read: Bool
}

extension Store {
    /// The kinds a role may receive, as the filter every query of a person's notifications starts from.
    static func receivableKinds(_ role: Role) -> [String] {
        NotificationKind.allCases.filter { NotificationAudience.mayReceive($0, role: role) }.map(\.rawValue)
    }

    /// The kinds that may reach the person at all: those their role may receive and that are not off both by the role's
    /// default (without a choice of theirs) and in every choice of theirs. Only a filter in front of `notification_mode()`,
    /// which still decides each row: it lets the queries walk the index (kind, id) past kinds the person never sees.
    static func reachableKinds(_ actor: Principal, on conn: PostgresConnection, logger: Logger) async throws -> [String] {
        try await conn.guardedQuery("""
            SELECT a.kind FROM notification_audience a
            WHERE a.role = \(actor.role.rawValue) AND a.kind = ANY (\(receivableKinds(actor.role)))
              AND CASE WHEN EXISTS (SELECT 1 FROM notification_subscription s WHERE s.user_id = \(actor.id) AND s.kind = a.kind)
                       THEN EXISTS (SELECT 1 FROM notification_subscription s WHERE s.user_id = \(actor.id) AND s.kind = a.kind AND s.mode <> 'off')
                       ELSE a.default_mode <> 'off' END
            """, logger: logger).decode(String.self).all()
    }

    /// The signed-in person's notifications (those `notification_mode()` does not turn off for them), newest first;
    /// `before`: only older than this id (the next page).
    public func myNotifications(before: Int64? = nil, limit: Int = 50, actor: Principal, logger: Logger) async throws -> [PersonNotification] {
        let limit = max(1, min(limit, 200))
        return try await read(logger) { conn in
            let kinds = try await Self.reachableKinds(actor, on: conn, logger: logger)
            guard !kinds.isEmpty else { return [] }
            return try await conn.guardedQuery("""
                SELECT n.id, n.kind, n.subject_type, n.subject_id, n.sentence, n.created_at,
                       n.id <= coalesce((SELECT r.last_read_id FROM notification_read r WHERE r.user_id = \(actor.id)), 0) AS read
                FROM notification n
                WHERE n.kind = ANY (\(kinds)) AND (\(before)::bigint IS NULL OR n.id < \(before))
                  AND notification_mode(\(actor.id), \(actor.role.rawValue), n.kind, n.site_code, n.freezer_id, n.study_code) <> 'off'
                ORDER BY n.id DESC LIMIT \(limit)
                """, logger: logger).named { c in
                PersonNotification(id: try c("id"), kind: try c("kind"), subjectType: try c("subject_type"), subjectId: try c("subject_id"),
                                   sentence: try c("sentence"), createdAt: try c("created_at"), read: try c("read"))
            }
        }
    }

    /// How many of the person's notifications are newer than their read marker, counted up to `cap` (the bell shows
    /// "99+" beyond; counting further would cost a scan of the whole outbox on every page).
    public func unreadNotificationCount(cap: Int = 100, actor: Principal, logger: Logger) async throws -> Int {
        try await read(logger) { conn in
            let kinds = try await Self.reachableKinds(actor, on: conn, logger: logger)
            guard !kinds.isEmpty else { return 0 }
            return try await conn.guardedQuery("""
                SELECT count(*)::bigint FROM (
                    SELECT 1 FROM notification n
                    WHERE n.id > coalesce((SELECT r.last_read_id FROM notification_read r WHERE r.user_id = \(actor.id)), 0)
                      AND n.kind = ANY (\(kinds))
                      AND notification_mode(\(actor.id), \(actor.role.rawValue), n.kind, n.site_code, n.freezer_id, n.study_code) <> 'off'
                    LIMIT \(cap)) unread
                """, logger: logger).decode(Int64.self).all().first.map(Int.init) ?? 0
        }
    }

    /// Marks the person's notifications read up to `upTo` (nil: everything so far). The marker never moves back, so a
    /// page opened before newer notifications arrived cannot mark them unread again. Returns the marker.
    @discardableResult
    public func markNotificationsRead(upTo: Int64? = nil, actor: Principal, logger: Logger) async throws -> Int64 {
        if let upTo, upTo < 0 { throw DomainError.invalid(field: "upTo", rule: "the id to mark read up to is 0 or more") }
        return try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO notification_read AS r (user_id, last_read_id)
                SELECT \(actor.id), LEAST(coalesce(\(upTo)::bigint, m.top), m.top)
                FROM (SELECT coalesce(max(id), 0) AS top FROM notification) m
                ON CONFLICT (user_id) DO UPDATE SET last_read_id = GREATEST(r.last_read_id, EXCLUDED.last_read_id), read_at = now()
                RETURNING r.last_read_id
                """, logger: logger).decode(Int64.self).all().first ?? 0
        }
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// An e-mail due now, claimed by the mail dispatcher: its recipients and the notifications it tells of.
public struct DueMail: Sendable {
    public var id: Int64
    public var idempotencyId: UUID
    public var attempts: Int
    public var recipients: [String]
    public var digest: String?
    public var items: [NotificationMail.Item]
}

extension Store {
    /// Claims up to `limit` due e-mails (`FOR UPDATE SKIP LOCKED`, then a lease), like the webhook deliveries.
    public func claimDueMail(limit: Int, leaseSeconds: Int, logger: Logger) async throws -> [DueMail] {
        try await transaction(logger) { conn in
            let claimed = try await conn.guardedQuery("""
                WITH due AS (
                    SELECT id FROM mail_message WHERE state = 'pending' AND next_attempt_at <= now()
                    ORDER BY next_attempt_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                )
                UPDATE mail_message m SET next_attempt_at = now() + make_interval(secs => \(leaseSeconds))
                FROM due WHERE m.id = due.id
                RETURNING m.id, m.idempotency_id, m.attempts, m.recipients, m.digest, m.notification_ids
                """, logger: logger).named { c in
                (DueMail(id: try c("id"), idempotencyId: try c("idempotency_id"), attempts: try c("attempts"), recipients: try c("recipients"),
                         digest: try c("digest"), items: []), try c("notification_ids") as [Int64])
            }
            let ids = Array(Set(claimed.flatMap(\.1)))
            let items = try await conn.guardedQuery("""
                SELECT id, kind, sentence, subject_type, subject_id, created_at FROM notification WHERE id = ANY(\(ids))
                """, logger: logger).named { c in
                (try c("id") as Int64, NotificationMail.Item(kind: try c("kind"), sentence: try c("sentence"), subjectType: try c("subject_type"),
                                                             subjectId: try c("subject_id"), occurredAt: try c("created_at")))
            }
            let byId = Dictionary(items, uniquingKeysWith: { a, _ in a })
            return claimed.sorted { $0.0.id < $1.0.id }.map { mail, ids in
                var mail = mail
                mail.items = ids.compactMap { byId[$0] }
                return mail
            }
        }
    }

    /// Logs one attempt of an e-mail: delivered (sendmail accepted it), pending again after the back-off, or dead.
    /// `status` is sendmail's exit status; `answer` the first bytes of what it said.
    public func recordMailAttempt(id: Int64, status: Int?, answer: String, latencyMs: Int, delivered: Bool, logger: Logger) async throws {
        let answer = String(answer.prefix(500))
        try await transaction(logger) { conn in
            guard let attempts = try await conn.guardedQuery("""
                SELECT attempts FROM mail_message WHERE id = \(id) AND state = 'pending' FOR UPDATE
                """, logger: logger).decode(Int.self).all().first else { return }
            let step = DeliveryBackoff.step(afterAttempts: attempts, delivered: delivered)
            try await conn.guardedQuery("""
                UPDATE mail_message
                SET attempts = \(step.tries), state = \(step.state), last_status = \(status), last_answer = \(answer), last_latency_ms = \(latencyMs),
                    delivered_at = CASE WHEN \(delivered) THEN now() END,
                    next_attempt_at = now() + make_interval(secs => \(step.retryAfterSeconds))
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// Writes the digests of the latest closed window of `period` for every active user with an e-mail address: one
    /// e-mail with the notifications they get in that digest since their previous one (the first digest looks back
    /// one window). A window is done once per user (`notification_digest`'s key), even if two servers race or one
    /// restarts mid-way. Returns the number of e-mails written.
    @discardableResult
    public func makeDigests(_ period: NotificationMode, now: Date = Date(), logger: Logger) async throws -> Int {
        guard let end = DigestWindow.latestEnd(period, now: now), let length = DigestWindow.seconds(period) else { return 0 }
        let start = end.addingTimeInterval(-TimeInterval(length))
        return try await transaction(logger) { conn in
            // One digest writer at a time: two servers at a window's end must not both write the same user's e-mail.
            try await conn.guardedQuery("SELECT pg_advisory_xact_lock(hashtext('notification_digest'))", logger: logger)
            let written = try await conn.guardedQuery("""
                WITH users AS (
                    SELECT u.id, u.role, u.email,
                           coalesce((SELECT max(d.last_notification_id) FROM notification_digest d WHERE d.user_id = u.id AND d.period = \(period.rawValue)),
                                    (SELECT coalesce(max(n.id), 0) FROM notification n WHERE n.created_at < \(start))) AS after
                    FROM app_user u
                    WHERE u.email IS NOT NULL AND u.deactivated_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM notification_digest d WHERE d.user_id = u.id AND d.period = \(period.rawValue) AND d.window_end = \(end))
                ), picked AS (
                    SELECT u.id AS user_id, u.email, array_agg(n.id ORDER BY n.id) AS ids
                    FROM users u JOIN notification n ON n.id > u.after AND n.created_at < \(end)
                         AND notification_mode(u.id, u.role, n.kind, n.site_code, n.freezer_id, n.study_code) = \(period.rawValue)
                    GROUP BY u.id, u.email
                ), mails AS (
                    INSERT INTO mail_message (notification_ids, recipients, digest, digest_user_id)
                    SELECT p.ids, ARRAY[p.email], \(period.rawValue), p.user_id FROM picked p
                    RETURNING id, digest_user_id
                )
                INSERT INTO notification_digest (user_id, period, window_end, last_notification_id, mail_id)
                SELECT u.id, \(period.rawValue), \(end),
                       greatest(u.after, coalesce((SELECT max(n.id) FROM notification n WHERE n.created_at < \(end)), 0)),
                       (SELECT m.id FROM mails m WHERE m.digest_user_id = u.id)
                FROM users u
                RETURNING mail_id
                """, logger: logger).decode(Int64?.self).all()
            return written.compactMap { $0 }.count
        }
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// A delivery due now, claimed by a dispatcher: what to send, where, and with which secrets.
public struct DueDelivery: Sendable {
    public var id: Int64
    public var idempotencyId: UUID
    public var attempts: Int
    public var url: String
    /// The current secret first, then the previous one while a rotation is under way.
    public var secrets: [String]
    /// The JSON body, built once by the database from the outbox row (version, type, id, sentence, coded data).
    public var body: String
}

/// A delivery as administrators see it.
public struct NotificationDeliveryRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var idempotencyId: UUID
    public var kind: String
    public var sentence: String
    public var endpoint: String
    public var state: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatus: Int?
    public var lastAnswer: String?
    public var lastLatencyMs: Int?
    public var deliveredAt: Date?
}

extension Store {
    /// Claims up to `limit` due deliveries with `FOR UPDATE SKIP LOCKED` and moves their next attempt `lease` seconds
    /// ahead, so two dispatchers never send the same one at once; a dispatcher killed while sending leaves them due
    /// again after the lease (at least once: the receiver recognises a repeat by its `webhook-id`).
    public func claimDueDeliveries(limit: Int, leaseSeconds: Int, logger: Logger) async throws -> [DueDelivery] {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                WITH due AS (
                    SELECT d.id FROM notification_delivery d
                    WHERE d.state = 'pending' AND d.next_attempt_at <= now()
                    ORDER BY d.next_attempt_at, d.id LIMIT \(limit) FOR UPDATE OF d SKIP LOCKED
                ), claimed AS (
                    UPDATE notification_delivery d SET next_attempt_at = now() + make_interval(secs => \(leaseSeconds))
                    FROM due WHERE d.id = due.id RETURNING d.id, d.notification_id, d.endpoint_id, d.attempts
                )
                SELECT c.id, n.idempotency_id, c.attempts, w.url,
                       array_remove(ARRAY[w.secret, CASE WHEN w.previous_until > now() THEN w.previous_secret END], NULL) AS secrets,
                       jsonb_build_object('version', 1, 'type', n.kind, 'id', n.idempotency_id,
                                          'timestamp', to_char(n.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                                          'sentence', n.sentence, 'data', n.payload)::text AS body
                FROM claimed c JOIN notification n ON n.id = c.notification_id JOIN webhook_endpoint w ON w.id = c.endpoint_id
                ORDER BY c.id
                """, logger: logger).named { c in
                DueDelivery(id: try c("id"), idempotencyId: try c("idempotency_id"), attempts: try c("attempts"), url: try c("url"),
                            secrets: try c("secrets"), body: try c("body"))
            }
        }
    }

    /// Logs one attempt and moves the delivery on: delivered, pending again after the back-off, or dead.
    public func recordDeliveryAttempt(id: Int64, status: Int?, answer: String, latencyMs: Int, delivered: Bool, logger: Logger) async throws {
        let answer = String(answer.prefix(500))
        try await transaction(logger) { conn in
            guard let attempts = try await conn.guardedQuery("""
                SELECT attempts FROM notification_delivery WHERE id = \(id) AND state = 'pending' FOR UPDATE
                """, logger: logger).decode(Int.self).all().first else { return }
            try await conn.guardedQuery("""
                INSERT INTO notification_attempt (delivery_id, status, answer, latency_ms) VALUES (\(id), \(status), \(answer), \(latencyMs))
                """, logger: logger)
            let step = DeliveryBackoff.step(afterAttempts: attempts, delivered: delivered)
            try await conn.guardedQuery("""
                UPDATE notification_delivery
                SET attempts = \(step.tries), state = \(step.state), last_status = \(status), last_answer = \(answer), last_latency_ms = \(latencyMs),
                    delivered_at = CASE WHEN \(delivered) THEN now() END,
                    next_attempt_at = now() + make_interval(secs => \(step.retryAfterSeconds))
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// An administrator asks for a delivery again (dead, delivered or pending): due now, with a fresh count of tries.
    public func redeliver(deliveryId: Int64, actor: Principal, logger: Logger) async throws -> NotificationDeliveryRecord {
        try actor.require(.manageNotifications)
        try await transaction(logger) { conn in
            guard let (endpoint, active) = try await conn.guardedQuery("""
                SELECT w.name, w.active FROM notification_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id
                WHERE d.id = \(deliveryId) FOR UPDATE OF d
                """, logger: logger).decode((String, Bool).self).all().first else {
                throw DomainError.notFound(kind: "delivery", id: String(deliveryId))
            }
            guard active else { throw DomainError.conflict(field: "id", rule: "the endpoint \(endpoint) was removed; add it again to deliver to it") }
            try await conn.guardedQuery("""
                UPDATE notification_delivery SET state = 'pending', attempts = 0, next_attempt_at = now(), delivered_at = NULL WHERE id = \(deliveryId)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "webhook-endpoint:\(endpoint)", action: "webhook.redelivery-requested",
                                                  details: ["delivery": String(deliveryId)]), by: actor, on: conn, logger: logger)
        }
        guard let record = try await notificationDeliveries(id: deliveryId, limit: 1, actor: actor, logger: logger).first else {
            throw DomainError.notFound(kind: "delivery", id: String(deliveryId))
        }
        return record
    }

    /// The latest deliveries (of one endpoint, or one delivery), newest first.
    public func notificationDeliveries(endpoint: String? = nil, id: Int64? = nil, limit: Int = 100, actor: Principal, logger: Logger) async throws -> [NotificationDeliveryRecord] {
        try actor.require(.manageNotifications)
        return try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT d.id, n.idempotency_id, n.kind, n.sentence, w.name, d.state, d.attempts, d.next_attempt_at,
                       d.last_status, d.last_answer, d.last_latency_ms, d.delivered_at
                FROM notification_delivery d JOIN notification n ON n.id = d.notification_id JOIN webhook_endpoint w ON w.id = d.endpoint_id
                WHERE (\(endpoint)::text IS NULL OR w.name = \(endpoint)) AND (\(id)::bigint IS NULL OR d.id = \(id))
                ORDER BY d.id DESC LIMIT \(limit)
                """, logger: logger).named { c in
                NotificationDeliveryRecord(id: try c("id"), idempotencyId: try c("idempotency_id"), kind: try c("kind"), sentence: try c("sentence"),
                                           endpoint: try c("name"), state: try c("state"), attempts: try c("attempts"), nextAttemptAt: try c("next_attempt_at"),
                                           lastStatus: try c("last_status"), lastAnswer: try c("last_answer"), lastLatencyMs: try c("last_latency_ms"),
                                           deliveredAt: try c("delivered_at"))
            }
        }
    }
}

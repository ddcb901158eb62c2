import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// A webhook endpoint as administrators see it: never its secrets, only whether a rotation is under way.
public struct WebhookEndpointRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    public var url: String
    public var kinds: [String]
    public var active: Bool
    /// Until when the previous secret still signs beside the new one (a rotation under way), if it does.
    public var previousSecretUntil: Date?
    public var createdAt: Date
}

extension Store {
    static let endpointColumns = "id, name, url, kinds, active, previous_until, created_at"

    static func endpoint(_ c: NamedColumns) throws -> WebhookEndpointRecord {
        WebhookEndpointRecord(id: try c("id"), name: try c("name"), url: try c("url"), kinds: try c("kinds"), active: try c("active"),
                              previousSecretUntil: try c("previous_until"), createdAt: try c("created_at"))
    }

    /// Adds an endpoint; returns it with its signing secret, shown this once.
    public func addWebhookEndpoint(name: String, url: String, kinds: [String], actor: Principal, logger: Logger) async throws -> (WebhookEndpointRecord, secret: String) {
        try actor.require(.manageNotifications)
        try WebhookEndpointRules.checkName(name)
        try WebhookEndpointRules.checkURL(url)
        let kinds = try WebhookEndpointRules.kinds(kinds).map(\.rawValue)
        let secret = WebhookSignature.newSecret()
        let record = try await transaction(logger) { conn in
            if try await !conn.guardedQuery("SELECT 1 FROM webhook_endpoint WHERE name = \(name)", logger: logger).decode(Int.self).all().isEmpty {
                throw DomainError.conflict(field: "name", rule: "an endpoint named \(name) exists already")
            }
            let record = try await conn.guardedQuery(PostgresQuery(unsafeSQL: """
                INSERT INTO webhook_endpoint (name, url, secret, kinds, created_by) VALUES ($1, $2, $3, $4, NULLIF($5, 0))
                RETURNING \(Self.endpointColumns)
                """, binds: { var b = PostgresBindings(); b.append(name); b.append(url); b.append(secret); b.append(kinds); b.append(actor.id); return b }()),
                logger: logger).named(Self.endpoint)[0]
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "webhook-endpoint:\(name)", action: "webhook.endpoint-added",
                                                  toState: "active", details: ["url": url, "kinds": kinds.joined(separator: " ")]),
                                     by: actor, on: conn, logger: logger)
            return record
        }
        return (record, secret)
    }

    public func webhookEndpoints(actor: Principal, logger: Logger) async throws -> [WebhookEndpointRecord] {
        try actor.require(.manageNotifications)
        return try await read(logger) { conn in
            try await conn.guardedQuery(PostgresQuery(unsafeSQL: "SELECT \(Self.endpointColumns) FROM webhook_endpoint ORDER BY name"), logger: logger)
                .named(Self.endpoint)
        }
    }

    /// A new secret; the previous one keeps signing beside it for `WebhookEndpointRules.rotationOverlapSeconds`, so the
    /// receiver can take the new one without a delivery failing. Returns the new secret, shown this once.
    public func rotateWebhookSecret(name: String, actor: Principal, logger: Logger) async throws -> (WebhookEndpointRecord, secret: String) {
        try actor.require(.manageNotifications)
        let secret = WebhookSignature.newSecret()
        let record = try await transaction(logger) { conn in
            guard let record = try await conn.guardedQuery(PostgresQuery(unsafeSQL: """
                UPDATE webhook_endpoint SET previous_secret = secret, secret = $1,
                       previous_until = now() + make_interval(secs => $2)
                WHERE name = $3 AND active RETURNING \(Self.endpointColumns)
                """, binds: { var b = PostgresBindings(); b.append(secret); b.append(WebhookEndpointRules.rotationOverlapSeconds); b.append(name); return b }()),
                logger: logger).named(Self.endpoint).first else {
                throw DomainError.notFound(kind: "webhook endpoint", id: name)
            }
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "webhook-endpoint:\(name)", action: "webhook.endpoint-secret-rotated"),
                                     by: actor, on: conn, logger: logger)
            return record
        }
        return (record, secret)
    }

    /// Removes an endpoint from service: it receives nothing more and its pending deliveries are given up (dead);
    /// its delivery log stays.
    public func removeWebhookEndpoint(name: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageNotifications)
        try await transaction(logger) { conn in
            guard let id = try await conn.guardedQuery("""
                UPDATE webhook_endpoint SET active = false WHERE name = \(name) AND active RETURNING id
                """, logger: logger).decode(Int64.self).all().first else {
                throw DomainError.notFound(kind: "webhook endpoint", id: name)
            }
            try await conn.guardedQuery("""
                UPDATE notification_delivery SET state = 'dead', last_answer = 'endpoint removed' WHERE endpoint_id = \(id) AND state = 'pending'
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "security", subjectId: "webhook-endpoint:\(name)", action: "webhook.endpoint-removed",
                                                  fromState: "active", toState: "removed"), by: actor, on: conn, logger: logger)
        }
    }
}

import CryoAPIGenerated
import CryoDomain
import CryoStore
import Foundation

/// Webhook endpoints and deliveries (issue 28): the same store operations as `cryoledger notify`.
extension APIService {
    func listWebhookEndpoints(_ input: Operations.ListWebhookEndpoints.Input) async throws -> Operations.ListWebhookEndpoints.Output {
        .ok(.init(body: .json(try await store.webhookEndpoints(actor: caller(), logger: logger).map(Self.endpoint))))
    }

    func addWebhookEndpoint(_ input: Operations.AddWebhookEndpoint.Input) async throws -> Operations.AddWebhookEndpoint.Output {
        guard case .json(let body) = input.body else { throw DomainError.invalid(field: "body", rule: "must be JSON") }
        let (endpoint, secret) = try await store.addWebhookEndpoint(name: body.name, url: body.url, kinds: body.kinds ?? [], actor: caller(), logger: logger)
        return .created(.init(body: .json(.init(endpoint: Self.endpoint(endpoint), secret: secret))))
    }

    func removeWebhookEndpoint(_ input: Operations.RemoveWebhookEndpoint.Input) async throws -> Operations.RemoveWebhookEndpoint.Output {
        try await store.removeWebhookEndpoint(name: input.path.endpointName, actor: caller(), logger: logger)
        return .noContent(.init())
    }

    func rotateWebhookSecret(_ input: Operations.RotateWebhookSecret.Input) async throws -> Operations.RotateWebhookSecret.Output {
        let (endpoint, secret) = try await store.rotateWebhookSecret(name: input.path.endpointName, actor: caller(), logger: logger)
        return .ok(.init(body: .json(.init(endpoint: Self.endpoint(endpoint), secret: secret))))
    }

    func listNotificationDeliveries(_ input: Operations.ListNotificationDeliveries.Input) async throws -> Operations.ListNotificationDeliveries.Output {
        let list = try await store.notificationDeliveries(endpoint: input.query.endpoint, limit: input.query.limit ?? 100, actor: caller(), logger: logger)
        return .ok(.init(body: .json(list.map(Self.delivery))))
    }

    func redeliverNotification(_ input: Operations.RedeliverNotification.Input) async throws -> Operations.RedeliverNotification.Output {
        .ok(.init(body: .json(Self.delivery(try await store.redeliver(deliveryId: input.path.deliveryId, actor: caller(), logger: logger)))))
    }

    static func endpoint(_ e: WebhookEndpointRecord) -> Components.Schemas.WebhookEndpoint {
        .init(id: e.id, name: e.name, url: e.url, kinds: e.kinds, active: e.active, previousSecretUntil: e.previousSecretUntil, createdAt: e.createdAt)
    }

    static func delivery(_ d: NotificationDeliveryRecord) -> Components.Schemas.NotificationDelivery {
        .init(id: d.id, idempotencyId: d.idempotencyId.uuidString.lowercased(), kind: d.kind, sentence: d.sentence, endpoint: d.endpoint,
              state: .init(rawValue: d.state)!, attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, lastStatus: d.lastStatus,
              lastAnswer: d.lastAnswer, lastLatencyMs: d.lastLatencyMs, deliveredAt: d.deliveredAt)
    }
}

import CryoStore
import Foundation
import Logging
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Delivers the outbox (issue 28): claims due webhook deliveries (`FOR UPDATE SKIP LOCKED`), POSTs each signed per
/// Standard Webhooks and records the answer. Everything it knows is in the database, so a server killed at any
/// moment resumes where it stopped: a delivery sent but not yet recorded is sent again after its lease (at least
/// once; `webhook-id` is the notification's idempotency id, the same on every try).
struct NotificationDispatcher: Service {
    let store: Store
    let pollInterval: Duration
    /// Rung by the outbox listener when new rows commit; the poll interval is the fallback.
    var bell = OutboxDoorbell()
    let logger: Logger
    var batch = 32
    var leaseSeconds = 60
    var timeout: TimeInterval = 10

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            var claimed = 0
            do {
                let due = try await store.claimDueDeliveries(limit: batch, leaseSeconds: leaseSeconds, logger: logger)
                claimed = due.count
                await withTaskGroup(of: Void.self) { group in
                    for delivery in due { group.addTask { await deliver(delivery) } }
                }
            } catch {
                logger.warning("notification dispatch failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
            }
            // A full batch: more may be due at once. Otherwise wait (graceful shutdown ends the wait at once).
            if claimed < batch { await cancelWhenGracefulShutdown { await bell.wait(timeout: pollInterval) } }
        }
    }

    func deliver(_ delivery: DueDelivery) async {
        let started = ContinuousClock.now
        var status: Int?
        var answer: String
        do {
            (status, answer) = try await post(delivery)
        } catch {
            answer = "not delivered: \(LogSafe.describe(error))"
        }
        let elapsed = ContinuousClock.now - started
        let latency = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        let delivered = status.map { (200..<300).contains($0) } ?? false
        do {
            try await store.recordDeliveryAttempt(id: delivery.id, status: status, answer: answer, latencyMs: latency, delivered: delivered, logger: logger)
        } catch {
            logger.warning("a delivery's answer could not be recorded; it will be sent again", metadata: ["delivery": "\(delivery.id)", "error": "\(LogSafe.describe(error))"])
        }
        if !delivered {
            logger.info("webhook not delivered", metadata: ["delivery": "\(delivery.id)", "status": "\(status.map(String.init) ?? "none")", "attempt": "\(delivery.attempts + 1)"])
        }
    }

    private func post(_ delivery: DueDelivery) async throws -> (Int, String) {
        guard let url = URL(string: delivery.url) else { return (0, "the endpoint's URL is not a URL") }
        let body = Data(delivery.body.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        let id = delivery.idempotencyId.uuidString.lowercased()
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(id, forHTTPHeaderField: "webhook-id")
        request.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
        request.setValue(WebhookSignature.header(secrets: delivery.secrets, id: id, timestamp: timestamp, body: body), forHTTPHeaderField: "webhook-signature")
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data.prefix(500), as: UTF8.self))
    }
}

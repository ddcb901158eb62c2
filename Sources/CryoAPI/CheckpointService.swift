import CryoStore
import Logging
import ServiceLifecycle

/// Seals new custody events with a keyed checkpoint at a fixed interval, so that tampering with
/// anything older than the interval is caught by the checkpoint as well as by the chains.
struct CheckpointService: Service {
    let store: Store
    let key: AuditKey
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            // Graceful shutdown (SIGTERM) must not wait out the interval.
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
            if Task.isCancelledOrShuttingDown { break }
            do {
                if let made = try await store.checkpoint(key: key, logger: logger) {
                    logger.debug("custody checkpoint", metadata: ["lastEventId": "\(made.lastEventId)", "events": "\(made.eventCount)"])
                }
            } catch {
                logger.warning("custody checkpoint failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

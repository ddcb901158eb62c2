import CryoStore
import Logging
import ServiceLifecycle

/// Seals new custody events with a keyed checkpoint at a fixed interval, so that tampering with
/// anything older than the interval is caught by the checkpoint as well as by the chains.
/// On graceful shutdown it seals once more, after the HTTP server has drained (services stop in
/// reverse order) and before the database pool closes, so a stopped server leaves nothing unsealed.
struct CheckpointService: Service {
    let store: Store
    let key: AuditKey
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isCancelled { break }
            await seal()
        }
    }

    private func seal() async {
        do {
            if let made = try await store.checkpoint(key: key, logger: logger) {
                logger.debug("custody checkpoint", metadata: ["lastEventId": "\(made.lastEventId)", "events": "\(made.eventCount)"])
            }
        } catch {
            logger.warning("custody checkpoint failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

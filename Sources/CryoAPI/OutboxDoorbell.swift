import CryoStore
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Wakes a dispatcher when the outbox gained rows, so it need not wait for its next poll. A ring while nobody waits
/// is kept for the next wait; several rings before it count as one.
final class OutboxDoorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard let w = s.waiter else { s.rung = true; return nil }
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    /// Returns when the bell rings (at once if it rang since the last wait), after `timeout`, or when cancelled.
    func wait(timeout: Duration) async {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { ring() }
            }
            group.addTask { [self] in await park() }
            await group.next()
            group.cancelAll()
        }
    }

    private func park() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.rung { s.rung = false; return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: { [self] in ring() }
    }
}

/// Listens on `cryoledger_outbox` (notified by the outbox trigger at commit) on a connection of its own and rings the
/// dispatchers' bells; reconnects after a failure. The dispatchers still poll, so nothing waits on this service.
struct OutboxListener: Service {
    let client: PostgresClient
    let bells: [OutboxDoorbell]
    let logger: Logger

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                try await cancelWhenGracefulShutdown {
                    try await client.withConnection { conn in
                        try await conn.listen(on: "cryoledger_outbox") { notifications in
                            for try await _ in notifications { bells.forEach { $0.ring() } }
                        }
                    }
                }
            } catch {
                if Task.isCancelledOrShuttingDown { break }
                logger.warning("outbox listener lost its connection; the dispatchers poll until it is back",
                               metadata: ["error": "\(LogSafe.describe(error))"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
    }
}

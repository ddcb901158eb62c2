import Foundation
import Synchronization

/// Token verifications in flight (issue 24 item 5). A token is verified against the database on every request,
/// so a revocation, a deactivation or a role change counts from the next request, on every server process:
/// nothing verified earlier is reused. Concurrent requests with one token still share a verification, but only
/// one that started after they arrived: while one runs, later arrivals wait for the next, which starts when the
/// running one ends and answers all of them (issue 18: 200 first requests at once no longer mean 200 checks).
final class TokenFlights: Sendable {
    private struct Flight { let id: Int; let task: Task<Principal, any Error> }
    private struct Slot { var current: Flight; var next: Flight? }
    private let state = Mutex<(counter: Int, slots: [Data: Slot])>((0, [:]))
    private let verifications = Mutex<Int>(0)

    func verify(_ key: Data, _ body: @escaping @Sendable () async throws -> Principal) async throws -> Principal {
        let task: Task<Principal, any Error> = state.withLock { state in
            state.counter += 1
            let id = state.counter
            guard var slot = state.slots[key] else {
                let task = Task { [self] in
                    defer { finish(key, id) }
                    return try await run(body)
                }
                state.slots[key] = Slot(current: Flight(id: id, task: task))
                return task
            }
            if let next = slot.next { return next.task }
            let previous = slot.current.task
            let task = Task { [self] in
                _ = await previous.result
                defer { finish(key, id) }
                return try await run(body)
            }
            slot.next = Flight(id: id, task: task)
            state.slots[key] = slot
            return task
        }
        return try await task.value
    }

    private func run(_ body: @Sendable () async throws -> Principal) async throws -> Principal {
        verifications.withLock { $0 += 1 }
        return try await body()
    }

    /// The running flight ended: the waiting one (if any) becomes the running one, and takes no more arrivals.
    private func finish(_ key: Data, _ id: Int) {
        state.withLock { state in
            guard let slot = state.slots[key], slot.current.id == id else { return }
            state.slots[key] = slot.next.map { Slot(current: $0) }
        }
    }

    /// How many verifications have run (each looks the token up and checks its secret).
    var verificationCount: Int { verifications.withLock { $0 } }
}

@testable import CryoAPI
import Testing

/// The dispatchers' wake-up: a ring wakes a waiting dispatcher long before its poll would, a ring while nobody waits is
/// kept for the next wait, and a cancelled wait (graceful shutdown) returns.
@Suite("Outbox doorbell")
struct OutboxDoorbellTests {
    @Test("a ring during a wait wakes it; a ring before a wait is kept; a cancelled wait returns")
    func rings() async throws {
        let bell = OutboxDoorbell()
        let clock = ContinuousClock()

        let woken = Task { let start = clock.now; await bell.wait(timeout: .seconds(60)); return clock.now - start }
        try await Task.sleep(for: .milliseconds(100))
        bell.ring()
        #expect(await woken.value < .seconds(30), "the ring woke the wait, not its 60 s time-out")

        bell.ring()
        let kept = clock.now
        await bell.wait(timeout: .seconds(60))
        #expect(clock.now - kept < .seconds(30), "a ring while nobody waited is kept for the next wait")

        let cancelled = Task { let start = clock.now; await bell.wait(timeout: .seconds(60)); return clock.now - start }
        try await Task.sleep(for: .milliseconds(100))
        cancelled.cancel()
        #expect(await cancelled.value < .seconds(30))

        let timedOut = clock.now
        await bell.wait(timeout: .milliseconds(200))
        #expect(clock.now - timedOut >= .milliseconds(200), "without a ring the wait lasts its time-out")
    }
}

import CryoStore
import Foundation
import Logging
import ServiceLifecycle

/// The transparency log's sealer and head signer (docs/audit-log.md).
///
/// Every `sealInterval` it appends the custody events that have become final as leaves (an event is final once every
/// transaction that was running when a higher id committed has ended, so leaves go in id order without locking the
/// writers); every `headInterval` it signs a head if the tree grew and submits it to the witnesses. On graceful
/// shutdown (after the HTTP server has drained, before the pool closes) it seals and signs once more.
struct TransparencyLogService: Service {
    let store: Store
    let signer: LogSigner
    let sealInterval: Duration
    let headInterval: Duration
    let witnesses: [WitnessEndpoint]
    let logger: Logger

    func run() async throws {
        do { try await store.tlogRegisterKey(signer, logger: logger) } catch {
            logger.warning("transparency log: the signing key could not be recorded; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
        }
        var candidate: SealCandidate?
        var lastHead = ContinuousClock.now
        while !Task.isCancelledOrShuttingDown {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: sealInterval) }
            if Task.isCancelled { break }
            if Task.isShuttingDownGracefully { break }
            await seal(&candidate)
            if ContinuousClock.now - lastHead >= headInterval {
                lastHead = .now
                await signAndWitness()
            }
        }
        await finalSeal(&candidate)
    }

    private func seal(_ candidate: inout SealCandidate?) async {
        do { _ = try await store.tlogSeal(&candidate, logger: logger) } catch {
            candidate = nil
            logger.warning("transparency log: sealing failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
        }
    }

    /// At shutdown the HTTP server has drained: a few rounds make every committed event a leaf, then one last head.
    private func finalSeal(_ candidate: inout SealCandidate?) async {
        for _ in 0..<20 {
            let before = candidate
            await seal(&candidate)
            if let before, let after = candidate, after.maxId == before.maxId, after.running.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        await signAndWitness()
    }

    private func signAndWitness() async {
        do {
            guard let head = try await store.tlogSignHead(signer, logger: logger) else { return }
            logger.debug("transparency log: signed head", metadata: ["size": "\(head.size)"])
            for witness in witnesses { await WitnessClient(store: store, endpoint: witness, logger: logger).submit(head) }
        } catch {
            logger.warning("transparency log: signing a head failed; will retry", metadata: ["error": "\(LogSafe.describe(error))"])
        }
    }
}

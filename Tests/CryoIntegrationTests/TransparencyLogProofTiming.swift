@testable import CryoStore
import Foundation
import PostgresNIO
import Testing

/// Store-level proof timing for Benchmarks/audit/proofs.sh (issue 27): runs only when TLOG_BENCH_LEAVES is set,
/// prints p50/p99 and asserts only that every proof verifies (never on time).
@Suite("Transparency log proof timing")
struct TransparencyLogProofTiming {
    static let leaves = ProcessInfo.processInfo.environment["TLOG_BENCH_LEAVES"].flatMap(Int64.init)

    @Test("inclusion and consistency proofs on a tree of TLOG_BENCH_LEAVES leaves", .enabled(if: leaves != nil))
    func proofs() async throws {
        let n = Self.leaves!
        let samples = Int(ProcessInfo.processInfo.environment["TLOG_BENCH_SAMPLES"] ?? "") ?? 2000
        try await withFixture { f in
            let logger = Fixture.logger
            let load = ContinuousClock.now
            let level = try await loadSyntheticTree(leaves: n, f)
            print("tlog bench: loaded \(n) leaves (\(level) levels) in \(ContinuousClock.now - load)")

            let root = try await f.store.read(logger) { try await Store.tlogRoot(size: n, $0, logger: logger) }
            var rng = SystemRandomNumberGenerator()
            var inclusion: [Duration] = [], consistency: [Duration] = []
            for _ in 0..<samples {
                let index = Int64.random(in: 0..<n, using: &rng)
                let start = ContinuousClock.now
                let proof = try await f.store.read(logger) { try await Store.tlogInclusionProofs(indices: [index], size: n, $0, logger: logger) }[0]
                inclusion.append(ContinuousClock.now - start)
                let leaf = try await f.store.read(logger) { try await Store.tlogNodes([MerkleTree.Node(level: 0, index: index)], $0, logger: logger) }
                let path = proof.path.compactMap { Data(base64Encoded: $0) }
                #expect(MerkleTree.rootFromInclusion(index: index, size: n, leafHash: leaf.values.first!, path: path) == root)
            }
            for _ in 0..<samples {
                let m = Int64.random(in: 1..<n, using: &rng)
                let start = ContinuousClock.now
                let proof = try await f.store.read(logger) { try await Store.tlogConsistencyProof(from: m, to: n, $0, logger: logger) }
                consistency.append(ContinuousClock.now - start)
                let old = try await f.store.read(logger) { try await Store.tlogRoot(size: m, $0, logger: logger) }
                #expect(MerkleTree.verifyConsistency(from: m, old, to: n, root, proof: proof))
            }
            func report(_ name: String, _ d: [Duration]) {
                let ms = d.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }.sorted()
                func p(_ q: Double) -> String { String(format: "%.3f", ms[min(ms.count - 1, Int(Double(ms.count) * q))]) }
                print("tlog bench: \(name) proof, \(n) leaves, \(ms.count) samples: p50 \(p(0.50)) ms, p99 \(p(0.99)) ms, max \(p(1.0)) ms")
            }
            report("inclusion", inclusion)
            report("consistency", consistency)
        }
    }
}

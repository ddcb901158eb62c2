import CryoStore
import Foundation
import Testing

/// Tree hashes and proofs of the server's Merkle code, written as JSON for the independent RFC 9162 implementation in
/// Tests/Audit/test_interop.py to compare (Tests/Audit/run.sh sets `CRYOLEDGER_TLOG_VECTORS` to the file to write).
/// Leaf i's data is the UTF-8 text "leaf i". Also checks the RFC's own example tree (RFC 9162 §2.1.5).
@Suite("Transparency log vectors")
struct TransparencyVectors {
    @Test("the RFC 9162 example tree of seven leaves: the proofs name the subtrees the RFC lists")
    func rfcExamples() {
        // Inclusion of d0 in the 7-leaf tree: [b, h, l]; consistency 3→7: [c, d, g, l]; 4→7: [l]; 6→7: [i, j, k].
        #expect(MerkleTree.inclusionRanges(index: 0, size: 7) == [1..<2, 2..<4, 4..<7])
        #expect(MerkleTree.inclusionRanges(index: 3, size: 7) == [2..<3, 0..<2, 4..<7])
        #expect(MerkleTree.inclusionRanges(index: 4, size: 7) == [5..<6, 6..<7, 0..<4])
        #expect(MerkleTree.inclusionRanges(index: 6, size: 7) == [4..<6, 0..<4])
        #expect(MerkleTree.consistencyRanges(from: 3, to: 7) == [2..<3, 3..<4, 0..<2, 4..<7])
        #expect(MerkleTree.consistencyRanges(from: 4, to: 7) == [4..<7])
        #expect(MerkleTree.consistencyRanges(from: 6, to: 7) == [4..<6, 6..<7, 0..<4])
    }

    @Test("vectors for the independent implementation (written only when CRYOLEDGER_TLOG_VECTORS is set)")
    func vectors() throws {
        guard let path = ProcessInfo.processInfo.environment["CRYOLEDGER_TLOG_VECTORS"], !path.isEmpty else { return }
        var rng = SystemRandomNumberGenerator()
        let sizes: [Int64] = Array(1...33) + (0..<12).map { _ in Int64.random(in: 34...10_000, using: &rng) } + [10_000]
        let leaves = (0..<10_000).map { MerkleTree.leafHash(Data("leaf \($0)".utf8)) }
        let nodes = Dictionary(MerkleTree.append(leaves: leaves, at: 0, frontier: [:]), uniquingKeysWith: { a, _ in a })
        var trees: [[String: Any]] = []
        for n in sizes {
            let indices = n <= 33 ? Array(0..<n) : (0..<20).map { _ in Int64.random(in: 0..<n, using: &rng) }
            let olds = n <= 33 ? Array(1...n) : (0..<20).map { _ in Int64.random(in: 1...n, using: &rng) }
            trees.append([
                "size": n,
                "root": try MerkleTree.rangeHash(0..<n, nodes).base64EncodedString(),
                "inclusion": try indices.map { m in
                    ["index": m, "path": try MerkleTree.inclusionRanges(index: m, size: n).map { try MerkleTree.rangeHash($0, nodes).base64EncodedString() }] as [String: Any]
                },
                "consistency": try olds.map { m in
                    ["from": m, "proof": try MerkleTree.consistencyRanges(from: m, to: n).map { try MerkleTree.rangeHash($0, nodes).base64EncodedString() }] as [String: Any]
                },
            ])
        }
        try JSONSerialization.data(withJSONObject: ["leafData": "leaf {i}", "trees": trees]).write(to: URL(fileURLWithPath: path))
    }
}

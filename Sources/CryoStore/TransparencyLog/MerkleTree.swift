import Crypto
import Foundation

/// The Merkle tree of RFC 9162 (§2.1): pure arithmetic, no I/O.
///
/// A node is named by its level and index: node (L, i) is the complete subtree over leaves [i·2^L, (i+1)·2^L).
/// Every hash a proof or a root needs is the hash of a range [a, b) that starts on a multiple of a power of two at least
/// as large as the range (RFC 9162's split points); such a range is the fold, right to left, of the complete subtrees
/// its size decomposes into (`nodes(covering:)`), so nothing but complete subtrees has to be stored.
public enum MerkleTree {
    public struct Node: Hashable, Sendable {
        public var level: Int
        public var index: Int64
        public init(level: Int, index: Int64) { self.level = level; self.index = index }
    }

    public static func leafHash(_ data: Data) -> Data {
        var sha = SHA256()
        sha.update(data: Data([0]))
        sha.update(data: data)
        return Data(sha.finalize())
    }

    public static func nodeHash(_ left: Data, _ right: Data) -> Data {
        var sha = SHA256()
        sha.update(data: Data([1]))
        sha.update(data: left)
        sha.update(data: right)
        return Data(sha.finalize())
    }

    /// The leaf data of a custody event: its id (8 bytes, big-endian) and its hash.
    public static func eventLeaf(id: Int64, hash: Data) -> Data {
        var data = Data(count: 8)
        for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: UInt64(id) >> (56 - 8 * i)) }
        return data + hash
    }

    /// The largest power of two smaller than n (n > 1).
    public static func split(_ n: Int64) -> Int64 {
        var k: Int64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// The complete subtrees of [a, b), left to right: the range's size in descending powers of two.
    public static func nodes(covering range: Range<Int64>) -> [Node] {
        var out: [Node] = []
        var start = range.lowerBound
        var remaining = range.count
        while remaining > 0 {
            let level = 63 - Int64(remaining).leadingZeroBitCount
            let size = Int64(1) << level
            out.append(Node(level: level, index: start >> level))
            start += size
            remaining -= Int(size)
        }
        return out
    }

    /// MTH of a range from its complete subtrees (right-fold: MTH(D[k:n]) = H(MTH(D[0:k]) || MTH(rest))).
    public static func rangeHash(_ range: Range<Int64>, _ hashes: [Node: Data]) throws -> Data {
        let parts = nodes(covering: range)
        guard var acc = hashes[parts.last!] else { throw MerkleError.missingNode(parts.last!) }
        for node in parts.dropLast().reversed() {
            guard let h = hashes[node] else { throw MerkleError.missingNode(node) }
            acc = nodeHash(h, acc)
        }
        return acc
    }

    /// The ranges whose hashes form the inclusion proof of leaf m in a tree of n leaves (RFC 9162 §2.1.3.1, PATH).
    public static func inclusionRanges(index m: Int64, size n: Int64) -> [Range<Int64>] {
        var path: [Range<Int64>] = []
        var (lo, hi, m) = (Int64(0), n, m)
        var stack: [Range<Int64>] = []
        while hi - lo > 1 {
            let k = split(hi - lo)
            if m < k {
                stack.append((lo + k)..<hi)
                hi = lo + k
            } else {
                stack.append(lo..<(lo + k))
                lo += k
                m -= k
            }
        }
        // PATH lists the sibling nearest the leaf first.
        path = stack.reversed()
        return path
    }

    /// The ranges whose hashes form the consistency proof from size m to size n (RFC 9162 §2.1.4.1, PROOF).
    public static func consistencyRanges(from m: Int64, to n: Int64) -> [Range<Int64>] {
        guard 0 < m, m < n else { return [] }
        var stack: [Range<Int64>] = []
        var (lo, hi, m, b) = (Int64(0), n, m, true)
        while true {
            let size = hi - lo
            if m == size {
                if !b { stack.append(lo..<hi) }
                break
            }
            let k = split(size)
            if m <= k {
                stack.append((lo + k)..<hi)
                hi = lo + k
            } else {
                stack.append(lo..<(lo + k))
                lo += k
                m -= k
                b = false
            }
        }
        return stack.reversed()
    }

    /// Every node the given ranges need.
    public static func nodes(for ranges: [Range<Int64>]) -> Set<Node> {
        Set(ranges.flatMap { nodes(covering: $0) })
    }

    /// The new complete subtrees once leaves `newLeaves` are appended at `size`, given the old tree's right edge
    /// (`frontier`: the complete subtrees of [0, size)). Returns every new node, leaves included.
    public static func append(leaves newLeaves: [Data], at size: Int64, frontier: [Node: Data]) -> [(Node, Data)] {
        var known = frontier
        var out: [(Node, Data)] = []
        var n = size
        for leaf in newLeaves {
            var node = Node(level: 0, index: n)
            var hash = leaf
            known[node] = hash
            out.append((node, hash))
            while node.index & 1 == 1 {
                let left = known[Node(level: node.level, index: node.index - 1)]!
                hash = nodeHash(left, hash)
                node = Node(level: node.level + 1, index: node.index >> 1)
                known[node] = hash
                out.append((node, hash))
            }
            n += 1
        }
        return out
    }

    // MARK: Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)

    public static func rootFromInclusion(index: Int64, size: Int64, leafHash: Data, path: [Data]) -> Data? {
        guard index < size else { return nil }
        var (fn, sn) = (index, size - 1)
        var r = leafHash
        for p in path {
            if sn == 0 { return nil }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    public static func verifyConsistency(from m: Int64, _ oldRoot: Data, to n: Int64, _ newRoot: Data, proof: [Data]) -> Bool {
        if m == n { return proof.isEmpty && oldRoot == newRoot }
        if m == 0 { return proof.isEmpty }
        guard m < n, !proof.isEmpty else { return false }
        var path = proof
        if m & (m - 1) == 0 { path.insert(oldRoot, at: 0) }
        var (fn, sn) = (m - 1, n - 1)
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }
}

public enum MerkleError: Error, CustomStringConvertible {
    case missingNode(MerkleTree.Node)
    public var description: String {
        switch self { case .missingNode(let n): "the transparency log has no node at level \(n.level), index \(n.index)" }
    }
}

import CryoAPI
import CryoDomain
import CryoReports
@testable import CryoStore
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

/// The transparency log over the custody events (issue 27): leaves in id order, heads, proofs, key rotation, exports.
@Suite("Transparency log")
struct TransparencyLogTests {
    static let signer = try! LogSigner(origin: "test.cryoledger/log", seed: Data(repeating: 7, count: 32))

    /// The tree's root computed naively from the leaves, RFC 9162 MTH, for comparison.
    static func mth(_ leaves: ArraySlice<Data>) -> Data {
        if leaves.isEmpty { return Data(SHA256.hash(data: Data())) }
        if leaves.count == 1 { return leaves.first! }
        let k = MerkleTree.split(Int64(leaves.count))
        return MerkleTree.nodeHash(mth(leaves.prefix(Int(k))), mth(leaves.dropFirst(Int(k))))
    }

    @Test("proof ranges, appends and verification agree with the RFC's recursive definitions on every size up to 70")
    func merkleArithmetic() throws {
        let leaves = (0..<70).map { MerkleTree.leafHash(Data("leaf \($0)".utf8)) }
        let nodes = Dictionary(MerkleTree.append(leaves: leaves, at: 0, frontier: [:]), uniquingKeysWith: { a, _ in a })
        for n in 1...70 {
            let root = try MerkleTree.rangeHash(0..<Int64(n), nodes)
            #expect(root == Self.mth(leaves[0..<n]), "root of \(n)")
            for m in 0..<n {
                let path = try MerkleTree.inclusionRanges(index: Int64(m), size: Int64(n)).map { try MerkleTree.rangeHash($0, nodes) }
                #expect(MerkleTree.rootFromInclusion(index: Int64(m), size: Int64(n), leafHash: leaves[m], path: path) == root, "leaf \(m) of \(n)")
            }
            for m in 1...n {
                let old = Self.mth(leaves[0..<m])
                let proof = try MerkleTree.consistencyRanges(from: Int64(m), to: Int64(n)).map { try MerkleTree.rangeHash($0, nodes) }
                #expect(MerkleTree.verifyConsistency(from: Int64(m), old, to: Int64(n), root, proof: proof), "\(m) → \(n)")
                if m < n, m > 1 {
                    #expect(!MerkleTree.verifyConsistency(from: Int64(m), Self.mth(leaves[1..<m + 1]), to: Int64(n), root, proof: proof))
                }
            }
        }
    }

    @Test("tlog_path_nodes returns every stored row an inclusion or consistency proof needs, on every tree up to 200 leaves")
    func pathNodesCoverProofs() async throws {
        try await withFixture { f in
            let logger = Fixture.logger
            try await loadSyntheticTree(leaves: 200, f)
            func rows(_ calls: [(Int64, Int64)], _ conn: PostgresConnection) async throws -> TLogRows {
                var rows = TLogRows()
                for (leaf, size) in calls {
                    let result = try await conn.query("SELECT level, idx, hash FROM tlog_path_nodes(\(leaf), \(size))", logger: logger)
                    for try await (level, index, hash) in result.decode((Int32, Int64, ByteBuffer).self) { rows.add(level: level, index: index, hash: hash) }
                }
                return rows
            }
            try await f.store.read(logger) { conn in
                var checked = 0
                for n in Int64(1)...200 {
                    // Every leaf and old size of the small trees; the edges and a few others of the larger ones.
                    let ms: Set<Int64> = n <= 40 ? Set(0..<n) : Set([0, 1, n / 2, n - 2, n - 1] + (0..<6).map { _ in Int64.random(in: 0..<n) })
                    for m in ms {
                        let wanted = MerkleTree.nodes(for: MerkleTree.inclusionRanges(index: m, size: n))
                        let missing = try await rows([(m, n)], conn).resolve(wanted).missing
                        #expect(missing.isEmpty, "inclusion of leaf \(m) in \(n): \(missing)")
                        guard m > 0 else { continue }
                        let consistency = MerkleTree.nodes(for: MerkleTree.consistencyRanges(from: m, to: n))
                        let gap = try await rows([(m - 1, n), (m - 1, m)], conn).resolve(consistency).missing
                        #expect(gap.isEmpty, "consistency \(m) → \(n): \(gap)")
                        checked += 1
                    }
                }
                #expect(checked > 1200)
            }
        }
    }

    @Test("a checkpoint is a C2SP signed note that verifies with the published key and not with another")
    func signedNote() throws {
        let note = try Self.signer.sign(Checkpoint(origin: Self.signer.origin, size: 5, rootHash: Data(repeating: 1, count: 32), time: 1_700_000_000))
        #expect(note.serialized.hasPrefix("test.cryoledger/log\n5\n"))
        #expect(note.serialized.contains("\ntime 1700000000\n\n— test.cryoledger/log "))
        #expect(LogSigner.verify(SignedNote(note.serialized)!, vkey: Self.signer.vkey))
        let other = try LogSigner(origin: "test.cryoledger/log", seed: Data(repeating: 8, count: 32))
        #expect(!LogSigner.verify(SignedNote(note.serialized)!, vkey: other.vkey))
        var edited = SignedNote(note.serialized)!
        edited.text = edited.text.replacingOccurrences(of: "\n5\n", with: "\n6\n")
        #expect(!LogSigner.verify(edited, vkey: Self.signer.vkey))
    }

    @Test("every event becomes a leaf in id order; heads sign the tree; inclusion and consistency proofs verify")
    func sealAndProve() async throws {
        try await withFixture { f in
            _ = try await f.lot("LOT-T1", vials: 4, box: "BOX-1")
            try await f.store.tlogSealNow(logger: Fixture.logger)
            let first = try #require(try await f.store.tlogSignHead(Self.signer, logger: Fixture.logger))
            #expect(first.size == Int64(try await f.count("SELECT count(*)::int FROM custody_event")))
            #expect(try await f.count("SELECT count(*)::int FROM tlog_leaf l JOIN custody_event e ON e.id = l.event_id") == Int(first.size))
            // Leaves in id order.
            #expect(try await f.count("SELECT count(*)::int FROM tlog_leaf a JOIN tlog_leaf b ON b.idx = a.idx + 1 WHERE b.event_id < a.event_id") == 0)
            _ = try await f.lot("LOT-T2", vials: 3, box: "BOX-2")
            try await f.store.tlogSealNow(logger: Fixture.logger)
            let second = try #require(try await f.store.tlogSignHead(Self.signer, logger: Fixture.logger))
            #expect(second.size > first.size)
            #expect(try await f.store.tlogSignHead(Self.signer, logger: Fixture.logger) == nil, "no new head without new leaves")
            #expect(LogSigner.verify(SignedNote(second.note)!, vkey: Self.signer.vkey))

            let events = try await f.client.query("SELECT id, hash FROM custody_event ORDER BY id", logger: Fixture.logger)
                .decode((Int64, ByteBuffer).self).all()
            for (id, hash) in events {
                let (head, proof) = try await f.store.tlogInclusion(eventId: id, size: nil, logger: Fixture.logger)
                let leaf = MerkleTree.leafHash(MerkleTree.eventLeaf(id: id, hash: Data(buffer: hash)))
                #expect(MerkleTree.rootFromInclusion(index: proof.leafIndex, size: head.size, leafHash: leaf,
                                                     path: proof.path.compactMap { Data(base64Encoded: $0) }) == head.rootHash, "event \(id)")
            }
            let (old, new, proof) = try await f.store.tlogConsistency(from: first.size, to: second.size, logger: Fixture.logger)
            #expect(MerkleTree.verifyConsistency(from: old.size, old.rootHash, to: new.size, new.rootHash, proof: proof))
            // The stored tree is history.
            await #expect(throws: (any Error).self) {
                try await f.store.transaction(Fixture.logger) { conn in try await conn.query("DELETE FROM tlog_leaf WHERE idx = 0", logger: Fixture.logger) }
            }
        }
    }

    @Test("a transaction left open in another database of the cluster does not hold the sealer back")
    func otherDatabaseDoesNotBlock() async throws {
        try await withFixture { f in
            _ = try await f.lot("LOT-O1", vials: 2, box: "BOX-1")
            try await TestDatabase.admin { other in
                try await other.query("BEGIN", logger: Fixture.logger)
                _ = try await other.query("SELECT txid_current()", logger: Fixture.logger).decode(Int64.self).all()
                try await f.store.tlogSealNow(logger: Fixture.logger, timeout: .seconds(2))
                try await other.query("ROLLBACK", logger: Fixture.logger)
            }
            let events = try await f.count("SELECT count(*)::int FROM custody_event")
            #expect(events > 0)
            #expect(try await f.count("SELECT count(*)::int FROM tlog_leaf") == events)
        }
    }

    @Test("a new signing key is an event in the log itself, naming the previous key")
    func keyRotation() async throws {
        try await withFixture { f in
            try await f.store.tlogRegisterKey(Self.signer, logger: Fixture.logger)
            try await f.store.tlogRegisterKey(Self.signer, logger: Fixture.logger)
            let next = try LogSigner(origin: Self.signer.origin, seed: Data(repeating: 9, count: 32))
            try await f.store.tlogRegisterKey(next, logger: Fixture.logger)
            #expect(try await f.count("SELECT count(*)::int FROM custody_event WHERE action = 'audit.log-key.first'") == 1)
            #expect(try await f.count("""
                SELECT count(*)::int FROM custody_event WHERE action = 'audit.log-key.rotated'
                AND details->>'previousKeyId' = '\(Self.signer.keyIdHex)' AND details->>'keyId' = '\(next.keyIdHex)'
                """) == 1)
        }
    }

    @Test("the JSON and NDJSON exports carry their signed head and an inclusion proof per event; the API serves heads, proofs and the key")
    func exportsAndAPI() async throws {
        try await TestDatabase.withDatabase { client, _ in
            let f = try await Fixture.make(client)
            let router = try buildRouter(store: f.store, auditKey: AuditKey(Data("test-audit-key-0123456789abcdef0123".utf8)), logSigner: Self.signer)
            let app = Application(router: router, logger: TestDatabase.logger)
            _ = try await f.lot("LOT-E1", vials: 3, box: "BOX-1")
            try await f.store.tlogSealNow(logger: Fixture.logger)
            try await app.test(.router) { http in
                let auditor = f.tokens[.auditor]!
                let (s, doc, _) = try await http.call(.get, "/audit/export/json?lot=LOT-E1", token: auditor)
                #expect(s == .ok)
                let transparency = try #require(doc["transparency"] as? [String: Any])
                let noteText = try #require(transparency["checkpoint"] as? String)
                let note = try #require(SignedNote(noteText))
                #expect(LogSigner.verify(note, vkey: Self.signer.vkey))
                let checkpoint = try #require(Checkpoint(text: note.text))
                let events = try #require(doc["events"] as? [[String: Any]])
                #expect(events.count == 4)
                for e in events {
                    let inclusion = try #require(e["inclusion"] as? [String: Any])
                    let leaf = MerkleTree.leafHash(MerkleTree.eventLeaf(id: (e["id"] as! NSNumber).int64Value, hash: Data(hexString: e["hash"] as! String)!))
                    let path = (inclusion["path"] as! [String]).compactMap { Data(base64Encoded: $0) }
                    #expect(MerkleTree.rootFromInclusion(index: (inclusion["leafIndex"] as! NSNumber).int64Value, size: checkpoint.size,
                                                         leafHash: leaf, path: path) == checkpoint.rootHash)
                }
                let (_, _, ndjson) = try await http.call(.get, "/audit/export/ndjson?lot=LOT-E1", token: auditor)
                let lines = ndjson.split(separator: "\n")
                #expect(lines.first?.contains("\"transparency\"") == true)
                #expect(lines.dropFirst().allSatisfy { $0.contains("\"inclusion\"") } && lines.count == 5)

                let (hs, _, headsText) = try await http.call(.get, "/audit/heads", token: auditor)
                #expect(hs == .ok && headsText.contains("\"size\":\(checkpoint.size)"))
                let id = (events[0]["id"] as! NSNumber).int64Value
                let (ps, proof, _) = try await http.call(.get, "/audit/proofs/inclusion?eventId=\(id)", token: auditor)
                #expect(ps == .ok && proof["proof"] != nil)
                let (cs, _, _) = try await http.call(.get, "/audit/proofs/consistency?from=\(checkpoint.size)&to=\(checkpoint.size)", token: auditor)
                #expect(cs == .ok)
                // The one-statement proofs' refusals: an event not in the tree, a head that was never signed, sizes reversed.
                let (xs, unknownEvent, _) = try await http.call(.get, "/audit/proofs/inclusion?eventId=987654321", token: auditor)
                #expect(xs == .badRequest && (unknownEvent["detail"] as? String ?? "").contains("not in the signed head"), "\(unknownEvent)")
                let (hs2, _, _) = try await http.call(.get, "/audit/proofs/inclusion?eventId=\(id)&size=999999", token: auditor)
                #expect(hs2 == .notFound)
                let (fs, _, _) = try await http.call(.get, "/audit/proofs/consistency?from=999998&to=\(checkpoint.size)", token: auditor)
                #expect(fs == .badRequest)
                let (ns, _, _) = try await http.call(.get, "/audit/proofs/consistency?from=1&to=\(checkpoint.size)", token: auditor)
                #expect(ns == .notFound || checkpoint.size == 1)
                let (ps2, sized, _) = try await http.call(.get, "/audit/proofs/inclusion?eventId=\(id)&size=\(checkpoint.size)", token: auditor)
                let sizedProof = try #require(sized["proof"] as? [String: Any], "\(ps2)")
                let firstLeaf = MerkleTree.leafHash(MerkleTree.eventLeaf(id: id, hash: Data(hexString: events[0]["hash"] as! String)!))
                #expect(MerkleTree.rootFromInclusion(index: (sizedProof["leafIndex"] as! NSNumber).int64Value, size: checkpoint.size, leafHash: firstLeaf,
                                                     path: (sizedProof["path"] as! [String]).compactMap { Data(base64Encoded: $0) }) == checkpoint.rootHash)
                let (ms, _, _) = try await http.call(.get, "/audit/heads?size=999999", token: auditor)
                #expect(ms == .notFound)
                let (ks, _, key) = try await http.call(.get, "/.well-known/cryoledger-log-key", token: nil)
                #expect(ks == .ok && key == Self.signer.vkey + "\n")
                let (us, _, _) = try await http.call(.get, "/audit/heads", token: nil)
                #expect(us == .unauthorized)
            }
        }
    }
}

import CryoDomain
import Crypto
import Foundation
import Logging
import PostgresNIO

/// A signed tree head as stored.
public struct TreeHead: Sendable, Equatable {
    public var size: Int64
    public var rootHash: Data
    public var signedAt: Date
    public var keyId: String
    /// The checkpoint as signed by the log, followed by the witnesses' co-signature lines.
    public var note: String
    /// The witnesses that co-signed this head.
    public var witnesses: [String]
}

/// An inclusion proof of one event's leaf in a tree of `size` leaves.
public struct InclusionProof: Sendable, Codable, Equatable {
    public var leafIndex: Int64
    public var treeSize: Int64
    /// Base64 hashes, nearest the leaf first (RFC 9162 PATH).
    public var path: [String]
}

/// The sealer's boundary that waits to become final: the highest committed event id when it was taken, and the
/// transactions then running.
public struct SealCandidate: Sendable {
    public var maxId: Int64
    public var running: [String]
}

extension Store {
    /// The advisory lock that serialises sealers and head signers across servers ("CLTLOG" in ASCII).
    static let tlogLock: Int64 = 0x434C_544C_4F47

    /// How far back (in event ids) the sealer looks for an event that committed after higher ids were sealed.
    static let tlogLateWindow: Int64 = 1000

    /// One round of the sealer: once the transactions running at the previous candidate have ended, appends the
    /// events up to it (in id order) as leaves; then takes the next candidate. Returns the leaves appended.
    public func tlogSeal(_ candidate: inout SealCandidate?, logger: Logger) async throws -> Int {
        var appended = 0
        if let c = candidate {
            let ended = try await read(logger) { conn in
                try await conn.guardedQuery("SELECT tlog_all_ended(\(c.running))", logger: logger).decode(Bool.self).all().first ?? false
            }
            guard ended else { return 0 }
            appended = try await tlogAppend(upTo: c.maxId, logger: logger)
        }
        candidate = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT max_id, running FROM tlog_boundary_candidate()", logger: logger)
                .named { c in SealCandidate(maxId: try c("max_id"), running: try c("running")) }.first
        }
        return appended
    }

    /// Appends every event with an id up to `boundary` that is not yet a leaf.
    func tlogAppend(upTo boundary: Int64, logger: Logger) async throws -> Int {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("SELECT pg_advisory_xact_lock(\(Self.tlogLock))", logger: logger)
            let (size, lastEvent) = try await Self.tlogSize(conn, logger: logger)
            let late = lastEvent - Self.tlogLateWindow
            let events = try await conn.guardedQuery("""
                SELECT id, hash FROM (
                    SELECT e.id, e.hash, 0 AS pass FROM custody_event e
                     WHERE e.id > \(late) AND e.id <= \(lastEvent) AND NOT EXISTS (SELECT 1 FROM tlog_leaf l WHERE l.event_id = e.id)
                    UNION ALL
                    SELECT e.id, e.hash, 1 FROM custody_event e WHERE e.id > \(lastEvent) AND e.id <= \(boundary)
                ) q ORDER BY pass, id
                """, logger: logger).named { c in (try c("id", as: Int64.self), Data(buffer: try c("hash", as: ByteBuffer.self))) }
            guard !events.isEmpty else { return 0 }
            let frontier = try await Self.tlogNodes(MerkleTree.nodes(for: [0..<size]), conn, logger: logger)
            let leaves = events.map { MerkleTree.leafHash(MerkleTree.eventLeaf(id: $0.0, hash: $0.1)) }
            let nodes = MerkleTree.append(leaves: leaves, at: size, frontier: frontier)
            let indices = events.indices.map { size + Int64($0) }
            try await conn.guardedQuery("""
                INSERT INTO tlog_leaf (idx, event_id, hash)
                SELECT i, e, decode(h, 'hex') FROM unnest(\(indices)::bigint[], \(events.map(\.0))::bigint[], \(leaves.map(\.hex))::text[]) AS l(i, e, h)
                """, logger: logger)
            let stored = nodes.filter { $0.0.level >= Self.tlogFirstStoredLevel }
            if !stored.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO tlog_node (level, idx, hash)
                    SELECT l, i, decode(h, 'hex') FROM unnest(\(stored.map { Int32($0.0.level) })::int[], \(stored.map(\.0.index))::bigint[], \(stored.map { $0.1.hex })::text[]) AS n(l, i, h)
                    """, logger: logger)
            }
            return events.count
        }
    }

    /// The number of leaves and the highest event id among them.
    static func tlogSize(_ conn: PostgresConnection, logger: Logger) async throws -> (Int64, Int64) {
        try await conn.guardedQuery("""
            SELECT coalesce((SELECT idx + 1 FROM tlog_leaf ORDER BY idx DESC LIMIT 1), 0) AS size,
                   coalesce((SELECT max(event_id) FROM tlog_leaf), 0) AS last_event
            """, logger: logger).named { c in (try c("size", as: Int64.self), try c("last_event", as: Int64.self)) }.first ?? (0, 0)
    }

    static func tlogRoot(size: Int64, _ conn: PostgresConnection, logger: Logger) async throws -> Data {
        guard size > 0 else { return Data(SHA256.hash(data: Data())) }
        let nodes = try await tlogNodes(MerkleTree.nodes(for: [0..<size]), conn, logger: logger)
        return try MerkleTree.rangeHash(0..<size, nodes)
    }

    // MARK: Heads

    /// Signs a head over the whole tree unless the latest head already has its size. Returns the new head, or nil.
    @discardableResult
    public func tlogSignHead(_ signer: LogSigner, logger: Logger) async throws -> TreeHead? {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("SELECT pg_advisory_xact_lock(\(Self.tlogLock))", logger: logger)
            let (size, _) = try await Self.tlogSize(conn, logger: logger)
            let latest = try await conn.guardedQuery("SELECT max(size) AS size FROM tlog_head", logger: logger)
                .named { c in try c("size", as: Int64?.self) }.first ?? nil
            if let latest, latest >= size { return nil }
            let root = try await Self.tlogRoot(size: size, conn, logger: logger)
            let now = Date()
            let note = try signer.sign(Checkpoint(origin: signer.origin, size: size, rootHash: root, time: Int64(now.timeIntervalSince1970)))
            try await conn.guardedQuery("""
                INSERT INTO tlog_head (size, root_hash, signed_at, key_id, note)
                VALUES (\(size), \(ByteBuffer(bytes: root)), \(now), \(signer.keyIdHex), \(note.serialized))
                """, logger: logger)
            return TreeHead(size: size, rootHash: root, signedAt: now, keyId: signer.keyIdHex, note: note.serialized, witnesses: [])
        }
    }

    /// Records the signing key on first use; a key other than the last one used is a rotation, written to the
    /// custody log itself (subject: the system user) so that the log says which key signs from when.
    public func tlogRegisterKey(_ signer: LogSigner, logger: Logger) async throws {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("SELECT pg_advisory_xact_lock(\(Self.tlogLock))", logger: logger)
            let last = try await conn.guardedQuery("SELECT key_id, vkey FROM tlog_key ORDER BY first_used DESC, key_id LIMIT 1", logger: logger)
                .named { c in (try c("key_id", as: String.self), try c("vkey", as: String.self)) }.first
            if last?.0 == signer.keyIdHex { return }
            let known = try await conn.guardedQuery("SELECT 1 FROM tlog_key WHERE key_id = \(signer.keyIdHex)", logger: logger).decode(Int.self).all()
            if !known.isEmpty { return }
            try await conn.guardedQuery("INSERT INTO tlog_key (key_id, vkey) VALUES (\(signer.keyIdHex), \(signer.vkey))", logger: logger)
            var details = ["keyId": signer.keyIdHex, "publicKey": signer.vkey]
            if let last { details["previousKeyId"] = last.0; details["previousPublicKey"] = last.1 }
            try await Custody.append(CustodyEntry(subjectType: "user", subjectId: "system",
                                                  action: last == nil ? "audit.log-key.first" : "audit.log-key.rotated",
                                                  reason: last == nil ? "the transparency log's first signing key"
                                                                      : "the transparency log signs with a new key from now on",
                                                  details: details),
                                     by: .system, on: conn, logger: logger)
        }
    }

    public func tlogHead(size: Int64? = nil, logger: Logger) async throws -> TreeHead? {
        try await read(logger) { conn in try await Self.tlogHead(size: size, conn, logger: logger) }
    }

    static func tlogHead(size: Int64?, _ conn: PostgresConnection, logger: Logger) async throws -> TreeHead? {
        let rows: PostgresRowSequence
        if let size {
            rows = try await conn.guardedQuery("SELECT size, root_hash, signed_at, key_id, note, witnesses, lines FROM tlog_head_cosigned WHERE size = \(size)", logger: logger)
        } else {
            rows = try await conn.guardedQuery("""
                SELECT size, root_hash, signed_at, key_id, note, witnesses, lines FROM tlog_head_cosigned ORDER BY size DESC LIMIT 1
                """, logger: logger)
        }
        return try await rows.named(Self.treeHead).first
    }

    /// A row of `tlog_head_cosigned`: the head as signed, its note followed by the witnesses' co-signature lines.
    static func treeHead(_ c: NamedColumns) throws -> TreeHead {
        TreeHead(size: try c("size"), rootHash: Data(buffer: try c("root_hash", as: ByteBuffer.self)), signedAt: try c("signed_at"),
                 keyId: try c("key_id"), note: try c("note", as: String.self) + c("lines", as: String.self), witnesses: try c("witnesses"))
    }

    /// The most recent heads, newest first.
    public func tlogHeads(limit: Int, logger: Logger) async throws -> [TreeHead] {
        try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT size, root_hash, signed_at, key_id, note, witnesses, lines FROM tlog_head_cosigned ORDER BY size DESC LIMIT \(limit)
                """, logger: logger).named(Self.treeHead)
        }
    }

    /// The newest head that `witness` co-signed.
    public func tlogLastWitnessed(by witness: String, logger: Logger) async throws -> Int64? {
        try await read(logger) { conn in
            try await conn.guardedQuery("SELECT max(size) AS size FROM tlog_cosignature WHERE witness = \(witness)", logger: logger)
                .named { c in try c("size", as: Int64?.self) }.first ?? nil
        }
    }

    public func tlogRecordCosignature(size: Int64, witness: String, line: String, logger: Logger) async throws {
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO tlog_cosignature (size, witness, line) VALUES (\(size), \(witness), \(line)) ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }
}

/// What an export carries besides its events: the head it was cut against and, for each witness, the newest head
/// it co-signed up to that one with the consistency proof linking the two.
public struct ExportTransparency: Sendable {
    public var head: TreeHead
    public var publicKey: String
    public var witnessed: [(witness: String, checkpoint: String, proof: [Data])]
}

extension Store {
    /// Seals every event committed before the export began (an export never silently omits the latest events because
    /// the sealer had not reached them yet), signs a head over it, and returns what an export cut against it carries.
    public func tlogExportHead(_ signer: LogSigner, logger: Logger) async throws -> ExportTransparency? {
        try await tlogSealNow(logger: logger, timeout: .seconds(5))
        try await tlogSignHead(signer, logger: logger)
        return try await read(logger) { conn in
            guard let head = try await Self.tlogHead(size: nil, conn, logger: logger) else { return nil }
            let latest = try await conn.guardedQuery("""
                SELECT witness, max(size) AS size FROM tlog_cosignature WHERE size <= \(head.size) GROUP BY witness ORDER BY witness
                """, logger: logger).named { c in (try c("witness", as: String.self), try c("size", as: Int64.self)) }
            var witnessed: [(witness: String, checkpoint: String, proof: [Data])] = []
            for (witness, size) in latest {
                guard let old = try await Self.tlogHead(size: size, conn, logger: logger) else { continue }
                witnessed.append((witness, old.note, try await Self.tlogConsistencyProof(from: size, to: head.size, conn, logger: logger)))
            }
            return ExportTransparency(head: head, publicKey: signer.vkey, witnessed: witnessed)
        }
    }
}

extension ExportTransparency {
    /// The `transparency` member of a JSON export, as the API writes it.
    public struct Document: Codable, Sendable {
        public struct Witnessed: Codable, Sendable {
            public var witness: String
            public var checkpoint: String
            public var proof: [String]
        }
        public var checkpoint: String
        public var publicKey: String
        public var witnessed: [Witnessed]
    }

    public var document: Document {
        Document(checkpoint: head.note, publicKey: publicKey,
                 witnessed: witnessed.map { .init(witness: $0.witness, checkpoint: $0.checkpoint, proof: $0.proof.map { $0.base64EncodedString() }) })
    }
}

extension Store {
    /// Makes every event committed so far a leaf, for a command that runs without the server's sealer: waits (up to
    /// `timeout`) for the transactions running now to end, then appends up to the boundary.
    public func tlogSealNow(logger: Logger, timeout: Duration = .seconds(10)) async throws {
        var candidate: SealCandidate?
        _ = try await tlogSeal(&candidate, logger: logger)
        let deadline = ContinuousClock.now + timeout
        guard let target = candidate else { return }
        while ContinuousClock.now < deadline {
            let ended = try await read(logger) { conn in
                try await conn.guardedQuery("SELECT tlog_all_ended(\(target.running))", logger: logger).decode(Bool.self).all().first ?? false
            }
            if ended {
                _ = try await tlogAppend(upTo: target.maxId, logger: logger)
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        logger.warning("transparency log: transactions still running after the wait; the newest events are sealed by the next round",
                       metadata: ["waitedFor": "\(timeout)", "running": "\(target.running.count)"])
    }
}

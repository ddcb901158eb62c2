import CryoDomain
import Crypto
import Foundation
import Logging
import PostgresNIO

/// One custody event as stored, with the text of each hashed field exactly as the database renders it.
struct StoredEvent {
    var id: Int64
    var subject: String
    var seq: Int64
    var fields: [String]
    var prevHash: Data
    var hash: Data

    /// SHA-256 over the fields joined by U+001F, then the previous hash: the same as `custody_event_digest`.
    var recomputedHash: Data {
        var sha = SHA256()
        sha.update(data: Data(fields.joined(separator: "\u{1F}").utf8))
        sha.update(data: prevHash)
        return Data(sha.finalize())
    }

    static let selectList = """
        id, subject_type, subject_id, seq, action, coalesce(actor_id::text, '') AS actor_id, actor_name, actor_role,
        to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
        coalesce(from_state, '') AS from_state, coalesce(to_state, '') AS to_state, coalesce(from_location, '') AS from_location,
        coalesce(to_location, '') AS to_location, coalesce(reason, '') AS reason, details::text AS details,
        coalesce(signature::text, '') AS signature, coalesce(corrects_event::text, '') AS corrects_event, prev_hash, hash
        """

    /// The hashed text fields after subject_type, subject_id and seq, in `custody_event_digest`'s order.
    static let textFields = ["action", "actor_id", "actor_name", "actor_role", "occurred_at", "from_state", "to_state",
                             "from_location", "to_location", "reason", "details", "signature", "corrects_event"]

    init(id: Int64, subject: String, seq: Int64, fields: [String], prevHash: Data, hash: Data) {
        self.id = id; self.subject = subject; self.seq = seq; self.fields = fields; self.prevHash = prevHash; self.hash = hash
    }

    /// A row of `selectList`, read by column name.
    init(_ c: NamedColumns) throws {
        let type: String = try c("subject_type"), subjectId: String = try c("subject_id"), seq: Int64 = try c("seq")
        self.init(id: try c("id"), subject: "\(type)/\(subjectId)", seq: seq,
                  fields: [type, subjectId, String(seq)] + (try Self.textFields.map { try c($0, as: String.self) }),
                  prevHash: Data(buffer: try c("prev_hash", as: ByteBuffer.self)), hash: Data(buffer: try c("hash", as: ByteBuffer.self)))
    }

    /// A row of `selectList` by position, for the full-log verification only (`verifyAuditTrail`): it folds
    /// every event ever written, so it skips the per-row name lookups. Keep in step with `selectList`.
    typealias Row = (Int64, String, String, Int64, String, String, String, String, String, String, String, String, String, String, String, String, String, ByteBuffer, ByteBuffer)

    init(_ r: Row) {
        id = r.0
        subject = "\(r.1)/\(r.2)"
        seq = r.3
        fields = [r.1, r.2, String(r.3), r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13, r.14, r.15, r.16]
        prevHash = Data(buffer: r.17)
        hash = Data(buffer: r.18)
    }
}

/// Recomputes every event's hash, every subject's chain, every checkpoint's fold and seal, and every chain head.
struct AuditVerifier {
    var key: AuditKey?
    private(set) var problems: [VerificationReport.Problem] = []
    private var last: [String: (seq: Int64, hash: Data)] = [:]
    private var fold = Data()
    private var count: Int64 = 0
    private var checkpoints: [(lastEventId: Int64, count: Int64, chainHash: Data, seal: Data, keyId: String)]
    private var checkpointIndex = 0
    private(set) var checkpointsChecked = 0

    init(key: AuditKey?, checkpoints: [(Int64, Int64, Data, Data, String)]) {
        self.key = key
        self.checkpoints = checkpoints.map { (lastEventId: $0.0, count: $0.1, chainHash: $0.2, seal: $0.3, keyId: $0.4) }
    }

    /// Events of one subject that arrived (in id order) before their predecessor: concurrent appends
    /// take ids before they take the subject's chain head, so a later seq can carry a lower id.
    private var ahead: [String: [Int64: StoredEvent]] = [:]

    mutating func add(_ e: StoredEvent) {
        // Checkpoints whose range ended before this event are complete: compare them first.
        closeCheckpoints(upTo: e.id - 1)
        if e.recomputedHash != e.hash {
            problems.append(.init(kind: "edited", eventId: e.id, subject: e.subject, detail: "the event's content does not match its hash (changed after it was written, or forged)"))
        }
        var sha = SHA256()
        sha.update(data: fold)
        sha.update(data: e.hash)
        fold = Data(sha.finalize())
        count += 1
        link(e)
    }

    /// Checks the link of `e` to the previous event of its subject, in seq order.
    private mutating func link(_ e: StoredEvent) {
        let previous = last[e.subject]
        let expectedSeq = (previous?.seq ?? 0) + 1
        if e.seq < expectedSeq {
            problems.append(.init(kind: "out-of-order", eventId: e.id, subject: e.subject, detail: "seq \(e.seq) comes after seq \(expectedSeq - 1) of the same subject"))
            return
        }
        if e.seq > expectedSeq {
            if ahead[e.subject, default: [:]].updateValue(e, forKey: e.seq) != nil {
                problems.append(.init(kind: "out-of-order", eventId: e.id, subject: e.subject, detail: "seq \(e.seq) appears twice"))
            }
            return
        }
        if e.prevHash != (previous?.hash ?? Data()) {
            problems.append(.init(kind: "forged", eventId: e.id, subject: e.subject, detail: "the link to the previous event of the subject is broken"))
        }
        last[e.subject] = (e.seq, e.hash)
        if let next = ahead[e.subject]?.removeValue(forKey: e.seq + 1) {
            if ahead[e.subject]?.isEmpty == true { ahead[e.subject] = nil }
            link(next)
        }
    }

    mutating func closeCheckpoints(upTo id: Int64) {
        while checkpointIndex < checkpoints.count, checkpoints[checkpointIndex].lastEventId <= id {
            let cp = checkpoints[checkpointIndex]
            checkpointIndex += 1
            checkpointsChecked += 1
            if cp.count != count || cp.chainHash != fold {
                problems.append(.init(kind: "checkpoint-mismatch", eventId: cp.lastEventId, subject: nil,
                                      detail: "checkpoint at event \(cp.lastEventId) sealed \(cp.count) events with chain \(cp.chainHash.hex.prefix(16))…; the log now has \(count) events up to there with chain \(fold.hex.prefix(16))…"))
            }
            if let key {
                if cp.keyId != key.id || key.seal(lastEventId: cp.lastEventId, eventCount: cp.count, chainHash: cp.chainHash) != cp.seal {
                    problems.append(.init(kind: "seal-invalid", eventId: cp.lastEventId, subject: nil, detail: "the checkpoint's seal does not verify with audit key \(key.id) (checkpoint made with key \(cp.keyId))"))
                }
            }
        }
    }

    mutating func finish(heads: [String: (Int64, Data)]) -> (Int, String) {
        closeCheckpoints(upTo: .max)
        for (subject, waiting) in ahead {
            let first = waiting.keys.min()!
            let expected = (last[subject]?.seq ?? 0) + 1
            problems.append(.init(kind: "missing", eventId: waiting[first]!.id, subject: subject,
                                  detail: "events \(expected)…\(first - 1) of this subject are missing"))
            if last[subject] == nil, let e = waiting[waiting.keys.max()!] { last[subject] = (e.seq, e.hash) }
        }
        for (subject, head) in heads {
            guard let seen = last[subject] else {
                problems.append(.init(kind: "missing", eventId: nil, subject: subject, detail: "the chain head records \(head.0) events; none remain"))
                continue
            }
            if seen.seq != head.0 || seen.hash != head.1 {
                problems.append(.init(kind: head.0 > seen.seq ? "missing" : "head-mismatch", eventId: nil, subject: subject,
                                      detail: "the chain head records \(head.0) events ending in \(head.1.hex.prefix(16))…; the log has \(seen.seq) ending in \(seen.hash.hex.prefix(16))…"))
            }
        }
        for subject in last.keys where heads[subject] == nil {
            problems.append(.init(kind: "forged", eventId: nil, subject: subject, detail: "events exist for a subject with no chain head"))
        }
        return (last.count, fold.hex)
    }
}

extension Store {
    /// Seals every event written so far, in two steps. First the boundary: `custody_checkpoint_boundary()` waits for
    /// the appends in flight, so that no event with a lower id can commit later, and its transaction ends at once,
    /// so appends are held back only for that wait. Then the events up to the boundary are folded and sealed, one
    /// checkpointer at a time (an advisory lock: each checkpoint continues the fold of the one before it).
    @discardableResult
    public func checkpoint(key: AuditKey, logger: Logger) async throws -> (lastEventId: Int64, eventCount: Int64)? {
        let boundary = try await transaction(logger) { conn in
            try await conn.guardedQuery("SELECT custody_checkpoint_boundary()", logger: logger).decode(Int64.self).all().first ?? 0
        }
        return try await transaction(logger) { conn in
            try await conn.guardedQuery("SELECT pg_advisory_xact_lock(\(Self.checkpointLock))", logger: logger)
            let previous = try await conn.guardedQuery("""
                SELECT last_event_id, event_count, chain_hash FROM custody_checkpoint ORDER BY last_event_id DESC LIMIT 1
                """, logger: logger).decode((Int64, Int64, ByteBuffer).self).all().first
            var fold = previous.map { Data(buffer: $0.2) } ?? Data()
            var count = previous?.1 ?? 0
            var lastId = previous?.0 ?? 0
            let from = lastId
            guard boundary > from else { return nil }
            for try await (id, hash) in try await conn.guardedQuery("""
                SELECT id, hash FROM custody_event WHERE id > \(from) AND id <= \(boundary) ORDER BY id
                """, logger: logger).decode((Int64, ByteBuffer).self) {
                var sha = SHA256()
                sha.update(data: fold)
                sha.update(data: Data(buffer: hash))
                fold = Data(sha.finalize())
                count += 1
                lastId = id
            }
            guard lastId > from else { return nil }
            let seal = key.seal(lastEventId: lastId, eventCount: count, chainHash: fold)
            try await conn.guardedQuery("""
                INSERT INTO custody_checkpoint (last_event_id, event_count, chain_hash, seal, key_id)
                VALUES (\(lastId), \(count), \(ByteBuffer(bytes: fold)), \(ByteBuffer(bytes: seal)), \(key.id))
                """, logger: logger)
            return (lastId, count)
        }
    }

    /// The advisory lock key that serialises checkpointers (any constant no other lock uses: "CLCKPT" in ASCII).
    static let checkpointLock: Int64 = 0x434C_434B_5054

    /// Recomputes the whole log. Without a key, checkpoint seals are not checked (their folds still are).
    public func verifyAuditTrail(key: AuditKey?, actor: Principal?, logger: Logger) async throws -> VerificationReport {
        if let actor { try actor.require(.readCustody) }
        let report = try await verifyAuditTrailReading(key: key, logger: logger)
        if !report.intact { try await recordFailedVerification(report, actor: actor ?? .system, logger: logger) }
        return report
    }

    private func verifyAuditTrailReading(key: AuditKey?, logger: Logger) async throws -> VerificationReport {
        try await read(logger) { conn in
            let checkpoints = try await conn.guardedQuery("""
                SELECT last_event_id, event_count, chain_hash, seal, key_id FROM custody_checkpoint ORDER BY last_event_id
                """, logger: logger).named { c in
                (try c("last_event_id", as: Int64.self), try c("event_count", as: Int64.self), Data(buffer: try c("chain_hash", as: ByteBuffer.self)),
                 Data(buffer: try c("seal", as: ByteBuffer.self)), try c("key_id", as: String.self))
            }
            var verifier = AuditVerifier(key: key, checkpoints: checkpoints)
            var events = 0
            let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: "SELECT \(StoredEvent.selectList) FROM custody_event ORDER BY id"), logger: logger)
            for try await row in rows.decode(StoredEvent.Row.self) {
                verifier.add(StoredEvent(row))
                events += 1
            }
            var heads: [String: (Int64, Data)] = [:]
            for try await row in try await conn.guardedQuery("SELECT subject_type, subject_id, seq, hash FROM custody_head", logger: logger) {
                let c = NamedColumns(row)
                heads["\(try c("subject_type", as: String.self))/\(try c("subject_id", as: String.self))"] =
                    (try c("seq"), try c("hash", as: ByteBuffer?.self).map { Data(buffer: $0) } ?? Data())
            }
            let (subjects, head) = verifier.finish(heads: heads)
            return VerificationReport(intact: verifier.problems.isEmpty, eventsChecked: events, subjectsChecked: subjects,
                                      checkpointsChecked: verifier.checkpointsChecked, chainHead: head, problems: verifier.problems)
        }
    }
}

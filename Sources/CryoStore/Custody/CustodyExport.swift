import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension ExportScope {
    /// Patients that vials matching `vialCondition` (over vial `v`) were ever reserved for: lineage to patients.
    static func patientsOf(_ vialCondition: String) -> String {
        "SELECT r.subject_id FROM reservation r JOIN vial v ON v.id = r.vial_id WHERE \(vialCondition)"
    }

    /// The patients whose records the scope reads, for logging an auditor's read.
    var patientsRead: (String, PostgresBindings)? {
        var b = PostgresBindings()
        switch self {
        case .vial(let id): b.append(id); return (Self.patientsOf("v.id = $1"), b)
        case .lot(let n): b.append(n); return (Self.patientsOf("v.lot_number = $1"), b)
        case .donor(let c): b.append(c); return (Self.patientsOf("v.lot_number IN (SELECT lot_number FROM lot WHERE donor_code = $1)"), b)
        case .patient(let p): b.append(p); return ("SELECT $1::text", b)
        case .period(let from, let to):
            b.append(from.description); b.append(to.description)
            return ("SELECT DISTINCT subject_id FROM custody_event WHERE subject_type = 'patient' AND occurred_at >= $1::date AND occurred_at < $2::date + 1", b)
        }
    }
}

/// The JSON shape of an exported event (the NDJSON lines, the JSON export, `CustodyExportEvent` in the contract):
/// absent values are null, `details` is a JSON object and `signature` the manifestation object (absent when the event
/// is not a signing step). Files written before this shape (every field a string) are still read.
extension ExportedEvent {
    enum CodingKeys: String, CodingKey {
        case id, subjectType, subjectId, seq, action, actorName, actorRole, occurredAt, fromState, toState, fromLocation, toLocation
        case reason, details, signature, hashedFields, prevHash, hash, inclusion
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(subjectType, forKey: .subjectType)
        try c.encode(subjectId, forKey: .subjectId)
        try c.encode(seq, forKey: .seq)
        try c.encode(action, forKey: .action)
        try c.encode(actorName, forKey: .actorName)
        try c.encode(actorRole, forKey: .actorRole)
        try c.encode(occurredAt, forKey: .occurredAt)
        for (key, value) in [(CodingKeys.fromState, fromState), (.toState, toState), (.fromLocation, fromLocation), (.toLocation, toLocation), (.reason, reason)] {
            if value.isEmpty { try c.encodeNil(forKey: key) } else { try c.encode(value, forKey: key) }
        }
        try c.encode((try? AnyJSON(text: details)) ?? .object([:]), forKey: .details)
        if !signature.isEmpty { try c.encode((try? AnyJSON(text: signature)) ?? .string(signature), forKey: .signature) }
        try c.encode(hashedFields, forKey: .hashedFields)
        try c.encode(prevHash, forKey: .prevHash)
        try c.encode(hash, forKey: .hash)
        try c.encodeIfPresent(inclusion, forKey: .inclusion)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func text(_ key: CodingKeys) throws -> String { try c.decodeIfPresent(String.self, forKey: key) ?? "" }
        /// A JSON object written as itself, or (older files) as a string holding its text.
        func json(_ key: CodingKeys) throws -> String {
            if let string = try? c.decodeIfPresent(String.self, forKey: key) { return string }
            guard let value = try c.decodeIfPresent(AnyJSON.self, forKey: key), value != .null else { return "" }
            return value.text
        }
        id = try c.decode(Int64.self, forKey: .id)
        subjectType = try c.decode(String.self, forKey: .subjectType)
        subjectId = try c.decode(String.self, forKey: .subjectId)
        seq = try c.decode(Int64.self, forKey: .seq)
        action = try c.decode(String.self, forKey: .action)
        actorName = try c.decode(String.self, forKey: .actorName)
        actorRole = try c.decode(String.self, forKey: .actorRole)
        occurredAt = try c.decode(String.self, forKey: .occurredAt)
        fromState = try text(.fromState); toState = try text(.toState)
        fromLocation = try text(.fromLocation); toLocation = try text(.toLocation)
        reason = try text(.reason)
        details = try json(.details)
        signature = try json(.signature)
        hashedFields = try c.decode([String].self, forKey: .hashedFields)
        prevHash = try c.decode(String.self, forKey: .prevHash)
        hash = try c.decode(String.self, forKey: .hash)
        inclusion = try c.decodeIfPresent(InclusionProof.self, forKey: .inclusion)
    }
}

extension Store {
    /// Streams the events of `scope` in order (by subject chain for single subjects, by id otherwise)
    /// to `sink`, one at a time, so memory does not grow with the report.
    /// `limit: 0` only checks the scope (its subject exists, its dates are sane) and reads nothing.
    public func exportCustody(scope: ExportScope, actor: Principal, logger: Logger, limit: Int? = nil, head: TreeHead? = nil,
                              _ sink: (ExportedEvent) async throws -> Void) async throws -> Int {
        try await checkExportScope(scope, actor: actor, logger: logger)
        if limit == 0 { return 0 }
        try await logAuditorExport(scope, actor: actor, logger: logger)
        let (condition, binds) = scope.condition
        if let head { return try await exportCustody(condition: condition, binds: binds, order: scope.order, head: head, logger: logger, sink) }
        let sql = "SELECT \(StoredEvent.selectList) FROM custody_event e WHERE \(condition) ORDER BY \(scope.order)"
        return try await replicaRead(logger) { conn in
            var n = 0
            for try await row in try await conn.guardedQuery(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger) {
                try await sink(ExportedEvent(try StoredEvent(NamedColumns(row))))
                n += 1
            }
            return n
        }
    }

    /// The events of the scope that are leaves of `head`'s tree, each with its inclusion proof (computed a batch at a
    /// time: one read of the tree's nodes per batch).
    private func exportCustody(condition: String, binds: PostgresBindings, order: String, head: TreeHead, logger: Logger,
                               _ sink: (ExportedEvent) async throws -> Void) async throws -> Int {
        let sql = """
            SELECT \(StoredEvent.selectList), l.idx FROM custody_event e JOIN (SELECT idx, event_id FROM tlog_leaf) l ON l.event_id = e.id AND l.idx < \(head.size)
            WHERE \(condition) ORDER BY \(order)
            """
        return try await read(logger) { conn in
            var batch: [(ExportedEvent, Int64)] = []
            var n = 0
            func flush() async throws {
                let proofs = try await Self.tlogInclusionProofs(indices: batch.map(\.1), size: head.size, conn, logger: logger)
                for (i, item) in batch.enumerated() {
                    var event = item.0
                    event.inclusion = proofs[i]
                    try await sink(event)
                }
                n += batch.count
                batch.removeAll(keepingCapacity: true)
            }
            let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
            var collected: [(ExportedEvent, Int64)] = []
            for try await row in rows {
                let c = NamedColumns(row)
                collected.append((ExportedEvent(try StoredEvent(c)), try c("idx")))
            }
            // The rows are read in full first: the proofs' queries need the connection.
            for item in collected {
                batch.append(item)
                if batch.count == 512 { try await flush() }
            }
            if !batch.isEmpty { try await flush() }
            return n
        }
    }
}

extension Store {
    /// The caller may read the log, the scope's subject exists, its dates are sane.
    func checkExportScope(_ scope: ExportScope, actor: Principal, logger: Logger) async throws {
        try actor.require(.readCustody)
        switch scope {
        case .vial(let id): _ = try await vial(id: id, actor: actor, logger: logger)
        case .lot(let n): _ = try await lot(number: n, actor: actor, logger: logger)
        case .donor(let c): _ = try await donor(code: c, actor: actor, logger: logger)
        case .patient(let p):
            guard try await read(logger, { conn in
                try await conn.guardedQuery("SELECT 1 FROM patient WHERE subject_id = \(p)", logger: logger).decode(Int.self).all().first
            }) != nil else { throw DomainError.notFound(kind: "patient", id: p) }
        case .period(let from, let to):
            try Validator().require(from <= to, "to", "must not be before from")
        }
    }

    /// An auditor's report that reaches patients is a read of patient-linked records: log it in each patient's chain.
    func logAuditorExport(_ scope: ExportScope, actor: Principal, logger: Logger) async throws {
        guard actor.role == .auditor, let (sql, binds) = scope.patientsRead else { return }
        let patients = try await read(logger) { conn in
            try await conn.guardedQuery(PostgresQuery(unsafeSQL: "SELECT DISTINCT s FROM (\(sql)) q(s) ORDER BY 1", binds: binds), logger: logger).decode(String.self).all()
        }
        try await logAuditorRead(of: patients, what: "custody report: \(scope.description)", actor: actor, logger: logger)
    }
}

/// Verifies an exported JSON report offline: every event's hash, and every subject's chain within the export.
public enum ExportVerifier {
    /// The readable `details` or `signature` says what the hashed text says (as JSON, whatever the spacing).
    static func sameJSON(_ hashed: String, _ readable: String) -> Bool {
        if hashed.isEmpty || readable.isEmpty { return hashed.isEmpty && readable.isEmpty }
        guard let a = try? AnyJSON(text: hashed), let b = try? AnyJSON(text: readable) else { return hashed == readable }
        return a == b
    }

    public static func verify(events: [ExportedEvent]) -> VerificationReport {
        var problems: [VerificationReport.Problem] = []
        var last: [String: (Int64, String)] = [:]
        for e in events {
            let stored = StoredEvent(id: e.id, subject: "\(e.subjectType)/\(e.subjectId)", seq: e.seq, fields: e.hashedFields,
                                     prevHash: Data(hexString: e.prevHash) ?? Data(), hash: Data(hexString: e.hash) ?? Data())
            if stored.recomputedHash.hex != e.hash {
                problems.append(.init(kind: "edited", eventId: e.id, subject: stored.subject, detail: "content does not match its hash"))
            }
            let readable = [e.subjectType, e.subjectId, String(e.seq), e.action]
            if Array(e.hashedFields.prefix(4)) != readable || e.hashedFields.count != 16 || e.hashedFields[5] != e.actorName
                || e.hashedFields[7] != e.occurredAt || e.hashedFields[12] != e.reason
                || !sameJSON(e.hashedFields[13], e.details) || !sameJSON(e.hashedFields[14], e.signature) {
                problems.append(.init(kind: "edited", eventId: e.id, subject: stored.subject, detail: "the readable columns differ from the hashed fields"))
            }
            if let (seq, hash) = last[stored.subject] {
                if e.seq != seq + 1 { problems.append(.init(kind: e.seq <= seq ? "out-of-order" : "missing", eventId: e.id, subject: stored.subject, detail: "seq \(e.seq) follows seq \(seq)")) }
                else if e.prevHash != hash { problems.append(.init(kind: "forged", eventId: e.id, subject: stored.subject, detail: "link to the previous event is broken")) }
            } else if e.seq != 1 && e.prevHash.isEmpty {
                problems.append(.init(kind: "missing", eventId: e.id, subject: stored.subject, detail: "the chain does not start at seq 1"))
            }
            last[stored.subject] = (e.seq, e.hash)
        }
        return VerificationReport(intact: problems.isEmpty, eventsChecked: events.count, subjectsChecked: last.count, checkpointsChecked: 0,
                                  chainHead: "", problems: problems)
    }
}

extension Data {
    init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hexString.count / 2)
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2)
            guard let b = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(b)
            index = next
        }
        self.init(bytes)
    }
}

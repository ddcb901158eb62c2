import CryoDomain
import Foundation
import Logging
import PostgresNIO

/// One hold to place: the system places them in bulk (look-back, excursions), QA one at a time.
struct NewHold: Sendable {
    var subject: HoldSubject
    var id: String
    var reason: String
    var source: String
    var sourceRef: String?
}

extension Store {
    /// QA places a hold. A lot goes on hold (from in-process, quarantine or released); a vial, a donor's
    /// lots and vials, or the vials in a freezer can no longer be reserved, shipped or administered.
    public func placeHold(on subject: HoldSubject, id: String, reason: String, actor: Principal, logger: Logger) async throws -> HoldRecord {
        try actor.require(.manageHolds)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "a hold needs a reason (at most 500 characters)")
        let holdId: Int64 = try await transaction(logger) { conn in
            switch subject {
            case .lot:
                guard let status = try await conn.guardedQuery("SELECT status FROM lot WHERE lot_number = \(id) FOR UPDATE", logger: logger)
                    .decode(String.self).all().first else { throw DomainError.notFound(kind: "lot", id: id) }
                guard ["in-process", "quarantine", "released", "on-hold"].contains(status) else {
                    throw DomainError.conflict(field: "subjectId", rule: "lot \(id) is \(status); a final state cannot be held")
                }
            case .vial:
                guard let status = try await conn.guardedQuery("SELECT status FROM vial WHERE id = \(id) FOR UPDATE", logger: logger)
                    .decode(String.self).all().first else { throw DomainError.notFound(kind: "vial", id: id) }
                guard !["administered", "destroyed"].contains(status) else {
                    throw DomainError.conflict(field: "subjectId", rule: "vial \(id) is \(status); there is nothing left to hold")
                }
            case .donor:
                guard try await conn.guardedQuery("SELECT 1 FROM donor WHERE code = \(id)", logger: logger).decode(Int.self).all().first != nil else {
                    throw DomainError.notFound(kind: "donor", id: id)
                }
            case .freezer:
                guard try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(id)", logger: logger).decode(Int.self).all().first != nil else {
                    throw DomainError.notFound(kind: "freezer", id: id)
                }
            }
            return try await Self.insertHolds([NewHold(subject: subject, id: id, reason: reason, source: "manual")], actor: actor, on: conn, logger: logger)[0]
        }
        return try await hold(id: holdId, actor: actor, logger: logger)
    }

    /// Inserts holds with their custody events; lots that can be held go on hold.
    @discardableResult
    static func insertHolds(_ holds: [NewHold], actor: Principal, on conn: PostgresConnection, logger: Logger) async throws -> [Int64] {
        guard !holds.isEmpty else { return [] }
        let ids = try await conn.guardedQuery("""
            INSERT INTO hold (subject_type, subject_id, reason, source, source_ref, placed_by)
            SELECT t, i, r, s, NULLIF(f, ''), \(actor.id)
            FROM unnest(\(holds.map(\.subject.rawValue))::text[], \(holds.map(\.id))::text[], \(holds.map(\.reason))::text[],
                        \(holds.map(\.source))::text[], \(holds.map { $0.sourceRef ?? "" })::text[]) WITH ORDINALITY AS u(t, i, r, s, f, n)
            ORDER BY n
            RETURNING id
            """, logger: logger).decode(Int64.self).all()
        let lots = holds.filter { $0.subject == .lot }.map(\.id)
        var lotChange: [String: (String, String)] = [:]
        if !lots.isEmpty {
            let movable = try await conn.guardedQuery("SELECT lot_number, status FROM lot WHERE lot_number = ANY(\(lots)) ORDER BY lot_number FOR UPDATE",
                                               logger: logger).decode((String, String).self).all()
                .filter { (try? LotStatus(stored: $0.1).canMove(to: .onHold)) == true }.map(\.0)
            if !movable.isEmpty {
                for (lot, from) in try await Self.changeLotStatus(movable, to: .onHold, on: conn, logger: logger) { lotChange[lot] = (from.rawValue, "on-hold") }
            }
        }
        try await Custody.append(zip(holds, ids).map { hold, id in
            CustodyEntry(subjectType: hold.subject.custodyType, subjectId: hold.id, action: "hold.placed",
                         fromState: lotChange[hold.id]?.0, toState: lotChange[hold.id]?.1 ?? (hold.subject == .lot ? "on-hold" : nil),
                         reason: hold.reason,
                         details: ["hold": String(id), "source": hold.source, "sourceRef": hold.sourceRef ?? "", "on": hold.subject.rawValue])
        }, by: actor, on: conn, logger: logger)
        return ids
    }

    /// QA lifts a hold: an electronic signature. A lot returns to the state it was held from when its last hold is lifted.
    public func liftHold(id: Int64, reason: String, signature: SignatureInput?, actor: Principal, logger: Logger) async throws -> HoldRecord {
        try actor.require(.manageHolds)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "lifting a hold needs a reason (at most 500 characters)")
        _ = try await hold(id: id, actor: actor, logger: logger)
        let signed = try await verifySignature(signature, actor: actor, logger: logger)
        try await transaction(logger) { conn in
            guard let (type, subjectId, lifted) = try await conn.guardedQuery("""
                SELECT subject_type, subject_id, lifted_at IS NOT NULL FROM hold WHERE id = \(id) FOR UPDATE
                """, logger: logger).decode((String, String, Bool).self).all().first else {
                throw DomainError.notFound(kind: "hold", id: String(id))
            }
            if lifted { throw DomainError.conflict(field: "holdId", rule: "hold \(id) was already lifted") }
            try await Self.liftHolds([id], subject: HoldSubject(rawValue: type)!, subjectId: subjectId, reason: reason, signed: signed,
                                     actor: actor, on: conn, logger: logger)
        }
        return try await hold(id: id, actor: actor, logger: logger)
    }

    /// Lifts active holds of one subject (locked by the caller) with one signature.
    static func liftHolds(_ ids: [Int64], subject: HoldSubject, subjectId: String, reason: String, signed: SignatureRecord,
                          actor: Principal, on conn: PostgresConnection, logger: Logger) async throws {
        try await conn.guardedQuery("""
            UPDATE hold SET lifted_by = \(actor.id), lifted_at = now(), lift_reason = \(reason) WHERE id = ANY(\(ids))
            """, logger: logger)
        var from: String?, to: String?
        if subject == .lot {
            let (status, heldFrom, remaining) = try await conn.guardedQuery("""
                SELECT status, held_from, (SELECT count(*)::int FROM hold WHERE subject_type = 'lot' AND subject_id = l.lot_number AND lifted_at IS NULL)
                FROM lot l WHERE lot_number = \(subjectId) FOR UPDATE
                """, logger: logger).decode((String, String?, Int).self).all()[0]
            from = status
            to = status
            if status == LotStatus.onHold.rawValue, remaining == 0, let heldFrom {
                try await Self.changeLotStatus([subjectId], to: try LotStatus(stored: heldFrom), on: conn, logger: logger)
                to = heldFrom
            }
        }
        try await Custody.append(ids.map { id in
            CustodyEntry(subjectType: subject.custodyType, subjectId: subjectId, action: "hold.lifted", fromState: from, toState: to,
                         reason: reason, details: ["hold": String(id), "on": subject.rawValue], signature: signed)
        }, by: actor, on: conn, logger: logger)
    }

    public func hold(id: Int64, actor: Principal, logger: Logger) async throws -> HoldRecord {
        try actor.require(.readInventory)
        guard let hold = try await holds(where: "h.id = $1::bigint", bind: String(id), logger: logger).first else {
            throw DomainError.notFound(kind: "hold", id: String(id))
        }
        return hold
    }

    /// Holds on a subject, or every active hold when no subject is named.
    public func listHolds(subject: HoldSubject?, id: String?, activeOnly: Bool, actor: Principal, logger: Logger) async throws -> [HoldRecord] {
        try actor.require(.readInventory)
        if let subject, let id {
            let all = try await holds(where: "h.subject_type = '\(subject.rawValue)' AND h.subject_id = $1", bind: id, logger: logger)
            return activeOnly ? all.filter { $0.liftedAt == nil } : all
        }
        return try await holds(where: "h.lifted_at IS NULL AND $1::text IS NULL", bind: nil, logger: logger)
    }

    func holds(where condition: String, bind: String?, logger: Logger) async throws -> [HoldRecord] {
        try await read(logger) { conn in
            var binds = PostgresBindings()
            binds.append(bind)
            let rows = try await conn.guardedQuery(PostgresQuery(unsafeSQL: """
                SELECT h.id, h.subject_type, h.subject_id, h.reason, h.source, h.source_ref, p.name AS placed_by, h.placed_at,
                       l.name AS lifted_by, h.lifted_at, h.lift_reason
                FROM hold h JOIN app_user p ON p.id = h.placed_by LEFT JOIN app_user l ON l.id = h.lifted_by
                WHERE \(condition) ORDER BY h.id LIMIT 10000
                """, binds: binds), logger: logger)
            return try await rows.named { c in
                HoldRecord(id: try c("id"), subjectType: try c("subject_type"), subjectId: try c("subject_id"), reason: try c("reason"),
                           source: try c("source"), sourceRef: try c("source_ref"), placedBy: try c("placed_by"), placedAt: try c("placed_at"),
                           liftedBy: try c("lifted_by"), liftedAt: try c("lifted_at"), liftReason: try c("lift_reason"))
            }
        }
    }
}

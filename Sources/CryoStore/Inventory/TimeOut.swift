import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Checks a vial or a box out of its freezer. The vials keep their positions (nobody else can be put there) and
    /// cannot be allocated, shipped, moved or evacuated until they are checked back in. Times come from the store's clock.
    public func checkOut(_ target: CheckoutTarget, purpose: CheckoutPurpose, actor: Principal, logger: Logger) async throws -> [CheckoutRecord] {
        try actor.require(.placeVial)
        let now = clock()
        return try await transaction(logger) { conn in
            let (vials, box) = try await Self.checkoutVials(target, on: conn, logger: logger)
            let open = try await conn.guardedQuery("""
                SELECT vial_id FROM vial_checkout WHERE vial_id = ANY(\(vials.map(\.id))) AND checked_in_at IS NULL ORDER BY vial_id LIMIT 1
                """, logger: logger).decode(String.self).all()
            if let already = open.first { throw DomainError.conflict(field: "vialId", rule: "vial \(already) is already checked out; check it in first") }
            if let stuck = vials.first(where: { !((try? VialStatus(stored: $0.status))?.maySitInPosition ?? false) }) {
                throw DomainError.conflict(field: "vialId", rule: "vial \(stuck.id) is \(stuck.status); only a vial in storage is checked out")
            }
            try await conn.guardedQuery("""
                INSERT INTO vial_checkout (vial_id, purpose, box_id, checked_out_at, checked_out_by)
                SELECT unnest(\(vials.map(\.id))::text[]), \(purpose.rawValue), \(box), \(now), \(actor.id)
                """, logger: logger)
            try await Custody.append(vials.map { v in
                CustodyEntry(subjectType: "vial", subjectId: v.id, action: "vial.checked-out", fromState: v.status, toState: v.status,
                             fromLocation: v.position, reason: "checked out for \(purpose.rawValue)",
                             details: ["purpose": purpose.rawValue, "box": box ?? "", "positionKept": v.position])
            }, by: actor, on: conn, logger: logger)
            return vials.map { v in
                CheckoutRecord(vialId: v.id, position: v.position, purpose: purpose.rawValue, checkedOutAt: now, checkedInAt: nil, minutesOut: nil,
                               totalMinutesOut: TimeOutOfStorage.minutes(v.secondsOut), limitMinutes: v.limitMinutes, holdId: nil)
            }
        }
    }

    /// Checks a vial or a box back in. The time out is added to each vial's total; a vial that passes its product's
    /// limit is held (source `time-out`), a hold QA lifts with a signature like any other.
    public func checkIn(_ target: CheckoutTarget, actor: Principal, logger: Logger) async throws -> [CheckoutRecord] {
        try actor.require(.placeVial)
        let now = clock()
        return try await transaction(logger) { conn in
            let (vials, _) = try await Self.checkoutVials(target, on: conn, logger: logger)
            let open = try await conn.guardedQuery("""
                SELECT id, vial_id, purpose, checked_out_at FROM vial_checkout
                WHERE vial_id = ANY(\(vials.map(\.id))) AND checked_in_at IS NULL ORDER BY vial_id FOR UPDATE
                """, logger: logger).named { c in
                (id: try c("id", as: Int64.self), vialId: try c("vial_id", as: String.self), purpose: try c("purpose", as: String.self),
                 out: try c("checked_out_at", as: Date.self))
            }
            guard !open.isEmpty else {
                switch target {
                case .vial(let id): throw DomainError.conflict(field: "vialId", rule: "vial \(id) is not checked out")
                case .box(let id): throw DomainError.conflict(field: "boxId", rule: "no vial of box \(id) is checked out")
                }
            }
            if let early = open.first(where: { $0.out > now }) {
                throw DomainError.conflict(field: "vialId", rule: "vial \(early.vialId) was checked out at \(early.out), after the check-in time \(now)")
            }
            try await conn.guardedQuery("""
                UPDATE vial_checkout SET checked_in_at = \(now), checked_in_by = \(actor.id) WHERE id = ANY(\(open.map(\.id)))
                """, logger: logger)
            let byId = Dictionary(uniqueKeysWithValues: vials.map { ($0.id, $0) })
            var spans: [String: [(out: Date, in: Date)]] = [:]
            for try await (vial, out, back) in try await conn.guardedQuery("""
                SELECT vial_id, checked_out_at, checked_in_at FROM vial_checkout WHERE vial_id = ANY(\(open.map(\.vialId))) AND checked_in_at IS NOT NULL
                """, logger: logger).decode((String, Date, Date).self) {
                spans[vial, default: []].append((out, back))
            }
            let alreadyHeld = Set(try await conn.guardedQuery("""
                SELECT subject_id FROM hold WHERE subject_type = 'vial' AND subject_id = ANY(\(open.map(\.vialId))) AND source = 'time-out' AND lifted_at IS NULL
                """, logger: logger).decode(String.self).all())
            var records: [CheckoutRecord] = []
            var entries: [CustodyEntry] = []
            var holds: [NewHold] = []
            for (checkoutId, vialId, purpose, out) in open {
                let v = byId[vialId]!
                let total = TimeOutOfStorage.totalSeconds(spans[vialId] ?? [])
                let minutes = TimeOutOfStorage.minutes(now.timeIntervalSince(out))
                let exceeded = TimeOutOfStorage.exceeded(totalSeconds: total, limitMinutes: v.limitMinutes)
                if exceeded && !alreadyHeld.contains(vialId) {
                    holds.append(NewHold(subject: .vial, id: vialId, reason: TimeOutOfStorage.holdReason(totalSeconds: total, limitMinutes: v.limitMinutes),
                                         source: "time-out", sourceRef: String(checkoutId)))
                }
                entries.append(CustodyEntry(subjectType: "vial", subjectId: vialId, action: "vial.checked-in", fromState: v.status, toState: v.status,
                                            toLocation: v.position, reason: "checked in after \(purpose)",
                                            details: ["purpose": purpose, "minutesOut": String(minutes), "totalMinutesOut": String(TimeOutOfStorage.minutes(total)),
                                                      "limitMinutes": String(v.limitMinutes), "limitExceeded": String(exceeded)]))
                records.append(CheckoutRecord(vialId: vialId, position: v.position, purpose: purpose, checkedOutAt: out, checkedInAt: now,
                                              minutesOut: minutes, totalMinutesOut: TimeOutOfStorage.minutes(total), limitMinutes: v.limitMinutes, holdId: nil))
            }
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            let holdIds = try await Self.insertHolds(holds, actor: actor, on: conn, logger: logger)
            let holdOf = Dictionary(uniqueKeysWithValues: zip(holds.map(\.id), holdIds))
            return records.map { var r = $0; r.holdId = holdOf[r.vialId]; return r }
        }
    }

    struct CheckoutVial { var id: String; var status: String; var position: String; var limitMinutes: Int; var secondsOut: Double }

    /// The vials a target names, locked, with their kept positions and their product's limit.
    static func checkoutVials(_ target: CheckoutTarget, on conn: PostgresConnection, logger: Logger) async throws -> ([CheckoutVial], String?) {
        typealias Row = (id: String, status: String, box: String?, row: Int?, column: Int?, limitMinutes: Int, secondsOut: Double)
        func row(_ c: NamedColumns) throws -> Row {
            (try c("id"), try c("status"), try c("box_id"), try c("row_no"), try c("column_no"), try c("max_time_out_minutes"), try c("seconds_out"))
        }
        let rows: [Row]
        let box: String?
        switch target {
        case .vial(let text):
            let id = try VialID(parsing: text).value
            box = nil
            rows = try await conn.guardedQuery("""
                SELECT v.id, v.status, p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no, pr.max_time_out_minutes,
                       vial_time_out_seconds(v.id) AS seconds_out
                FROM vial v JOIN lot l ON l.lot_number = v.lot_number JOIN product pr ON pr.code = l.product_code
                LEFT JOIN vial_position p ON p.vial_id = v.id WHERE v.id = \(id) FOR UPDATE OF v
                """, logger: logger).named(row)
            guard !rows.isEmpty else { throw DomainError.notFound(kind: "vial", id: id) }
            if rows[0].box == nil { throw DomainError.conflict(field: "vialId", rule: "vial \(id) is not placed in storage") }
        case .box(let id):
            try StorageID.validate(id, field: "boxId")
            try await requireBox(id, on: conn, logger: logger)
            box = id
            rows = try await conn.guardedQuery("""
                SELECT v.id, v.status, p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no, pr.max_time_out_minutes,
                       vial_time_out_seconds(v.id) AS seconds_out
                FROM vial_position p JOIN vial v ON v.id = p.vial_id JOIN lot l ON l.lot_number = v.lot_number JOIN product pr ON pr.code = l.product_code
                WHERE p.box_id = \(id) ORDER BY p.row_no, p.column_no FOR UPDATE OF v
                """, logger: logger).named(row)
            guard !rows.isEmpty else { throw DomainError.conflict(field: "boxId", rule: "box \(id) holds no vial") }
        }
        return (rows.map { r in
            CheckoutVial(id: r.id, status: r.status, position: Position(boxId: r.box!, row: r.row!, column: r.column!).label, limitMinutes: r.limitMinutes,
                         secondsOut: r.secondsOut)
        }, box)
    }
}

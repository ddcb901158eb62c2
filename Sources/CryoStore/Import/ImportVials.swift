import CryoDomain
import Logging
import PostgresNIO

/// Importing vials into their lots and placing them in storage: the same decisions as `createVials` and `placeVial`.
extension Store {
    // MARK: Vials

    static func importVials(_ parsed: ([(CSVRecord, ImportRows.VialRow)], [RowReject]), actor: Principal,
                            on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        // Already on record: the same lot is a re-run (unchanged); another lot is a conflict.
        var existing: [String: String] = [:]
        for try await (id, lot) in try await conn.guardedQuery("SELECT id, lot_number FROM vial WHERE id = ANY(\(rows.map(\.1.vialId))::text[])", logger: logger)
            .decode((String, String).self) {
            existing[id] = lot
        }
        rows = rows.filter { record, row in
            guard let lot = existing[row.vialId] else { return true }
            if lot == row.lotNumber {
                outcome.unchanged += 1
            } else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "vial \(row.vialId) is already registered to lot \(lot)"))
            }
            return false
        }
        // The lots, locked in a fixed order: status, plan, vials so far.
        let lotNumbers = Array(Set(rows.map(\.1.lotNumber))).sorted()
        var lots: [String: (status: String, planned: Int, count: Int, maxOrdinal: Int)] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT l.lot_number, l.status, l.planned_vials,
                   (SELECT count(*)::int FROM vial v WHERE v.lot_number = l.lot_number) AS vial_count,
                   (SELECT coalesce(max(v.ordinal), 0)::int FROM vial v WHERE v.lot_number = l.lot_number) AS max_ordinal
            FROM lot l WHERE l.lot_number = ANY(\(lotNumbers)::text[]) ORDER BY l.lot_number FOR UPDATE
            """, logger: logger) {
            let c = NamedColumns(row)
            lots[try c("lot_number")] = (try c("status"), try c("planned_vials"), try c("vial_count"), try c("max_ordinal"))
        }
        var accepted: [(CSVRecord, (id: String, lot: String, ordinal: Int))] = []
        for (record, row) in rows {
            guard var lot = lots[row.lotNumber] else {
                outcome.rejects.append(RowReject(record, field: "lotNumber", rule: "no lot '\(row.lotNumber)' is registered"))
                continue
            }
            let status = try LotStatus(stored: lot.status)
            do {
                try LotRules.checkVialFilling(lotNumber: row.lotNumber, status: status, plannedVials: lot.planned,
                                              existingVials: lot.count, adding: 1, field: "lotNumber")
            } catch {
                outcome.rejects.append(RowReject(record, error)); continue
            }
            lot.count += 1
            lot.maxOrdinal += 1
            lots[row.lotNumber] = lot
            accepted.append((record, (row.vialId, row.lotNumber, lot.maxOrdinal)))
        }
        let result = try await writeRows(accepted, on: conn, logger: logger) { rows in
            let ids = rows.map(\.1.id), lotsOf = rows.map(\.1.lot), ordinals = rows.map(\.1.ordinal)
            try await conn.guardedQuery("""
                INSERT INTO vial (id, lot_number, ordinal)
                SELECT id, lot, ord FROM unnest(\(ids)::text[], \(lotsOf)::text[], \(ordinals)::int[]) AS u(id, lot, ord)
                """, logger: logger)
            try await Custody.append(rows.map { _, v in
                CustodyEntry(subjectType: "vial", subjectId: v.id, action: "vial.created", toState: VialStatus.stored.rawValue,
                             reason: "bulk import", details: ["lot": v.lot])
            }, by: actor, on: conn, logger: logger)
            return rows.count
        }
        outcome.add(result)
        return outcome
    }

    // MARK: Placements

    static func importPlacements(_ parsed: ([(CSVRecord, ImportRows.PlacementRow)], [RowReject]), actor: Principal,
                                 on conn: PostgresConnection, logger: Logger) async throws -> BatchOutcome {
        var outcome = BatchOutcome(rejects: parsed.1)
        var rows = parsed.0
        guard !rows.isEmpty else { return outcome }
        // The vials, locked in id order, with where they are now.
        var vials: [String: (status: String, at: Position?)] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT v.id, v.status, p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no
            FROM vial v LEFT JOIN vial_position p ON p.vial_id = v.id
            WHERE v.id = ANY(\(rows.map(\.1.vialId))::text[]) ORDER BY v.id FOR UPDATE OF v
            """, logger: logger) {
            let v = NamedColumns(row)
            let box: String? = try v("box_id"), r: Int? = try v("row_no"), c: Int? = try v("column_no")
            vials[try v("id")] = (try v("status"), box.flatMap { b in r.flatMap { r in c.map { Position(boxId: b, row: r, column: $0) } } })
        }
        var boxes: [String: (rows: Int, columns: Int)] = [:]
        for try await (id, r, c) in try await conn.guardedQuery("SELECT id, rows::int, columns::int FROM box WHERE id = ANY(\(Array(Set(rows.map(\.1.position.boxId))))::text[])",
                                                          logger: logger).decode((String, Int, Int).self) {
            boxes[id] = (r, c)
        }
        rows = rows.filter { record, row in
            guard let vial = vials[row.vialId] else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "no vial '\(row.vialId)' exists"))
                return false
            }
            if let at = vial.at {
                if at == row.position {
                    outcome.unchanged += 1
                } else {
                    outcome.rejects.append(RowReject(record, field: "vialId", rule: "vial \(row.vialId) is already placed at \(at.label); move it instead (cryoledger vial move)"))
                }
                return false
            }
            guard vial.status == VialStatus.stored.rawValue else {
                outcome.rejects.append(RowReject(record, field: "vialId", rule: "only a stored vial can be placed in storage; vial \(row.vialId) is \(vial.status)"))
                return false
            }
            guard let box = boxes[row.position.boxId] else {
                outcome.rejects.append(RowReject(record, field: "boxId", rule: "no box '\(row.position.boxId)' exists"))
                return false
            }
            if row.position.row > box.rows {
                outcome.rejects.append(RowReject(record, field: "row", rule: "box \(row.position.boxId) has \(box.rows) rows; row \(row.position.row) is outside it"))
                return false
            }
            if row.position.column > box.columns {
                outcome.rejects.append(RowReject(record, field: "column", rule: "box \(row.position.boxId) has \(box.columns) columns; column \(row.position.column) is outside it"))
                return false
            }
            return true
        }
        // Positions already holding another vial.
        var occupant: [Position: String] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no, p.vial_id FROM vial_position p
            JOIN unnest(\(rows.map(\.1.position.boxId))::text[], \(rows.map(\.1.position.row))::int[], \(rows.map(\.1.position.column))::int[]) AS q(b, r, c)
              ON p.box_id = q.b AND p.row_no = q.r AND p.column_no = q.c
            """, logger: logger) {
            let c = NamedColumns(row)
            occupant[Position(boxId: try c("box_id"), row: try c("row_no"), column: try c("column_no"))] = try c("vial_id")
        }
        rows = rows.filter { record, row in
            guard let other = occupant[row.position] else { return true }
            outcome.rejects.append(RowReject(record, field: "position", rule: "\(row.position.label) already holds vial \(other)", value: row.position.label))
            return false
        }
        let result = try await writeRows(rows, on: conn, logger: logger) { rows in
            try await conn.guardedQuery("""
                INSERT INTO vial_position (vial_id, box_id, row_no, column_no)
                SELECT id, b, r, c FROM unnest(\(rows.map(\.1.vialId))::text[], \(rows.map(\.1.position.boxId))::text[],
                                               \(rows.map(\.1.position.row))::int[], \(rows.map(\.1.position.column))::int[]) AS u(id, b, r, c)
                """, logger: logger)
            try await Custody.append(rows.map { _, p in
                CustodyEntry(subjectType: "vial", subjectId: p.vialId, action: "vial.placed", fromState: VialStatus.stored.rawValue,
                             toState: VialStatus.stored.rawValue, toLocation: p.position.label, reason: "bulk import")
            }, by: actor, on: conn, logger: logger)
            try await Self.noteStorageFullness(boxes: rows.map(\.1.position.boxId), actor: actor, on: conn, logger: logger)
            return rows.count
        }
        outcome.add(result)
        return outcome
    }
}

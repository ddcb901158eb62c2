import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Moves every vial of a box, rack or freezer into `target` (`Evacuation.plan` decides where), in one transaction,
    /// with one `vial.moved` custody event per vial carrying the reason. A dry run plans the same way and writes nothing.
    public func evacuate(source: StorageRef, target: StorageRef, mode: EvacuationMode, reason: String, dryRun: Bool,
                         actor: Principal, logger: Logger) async throws -> EvacuationResult {
        try actor.require(.placeVial)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "an evacuation needs a reason (at most 500 characters)")
        func result(_ moves: [EvacuationMove]) -> EvacuationResult {
            EvacuationResult(source: "\(source.level.rawValue):\(source.id)", target: "\(target.level.rawValue):\(target.id)", mode: mode.rawValue,
                             reason: reason, dryRun: dryRun, moves: moves)
        }
        if dryRun {
            return result(try await read(logger) { conn in
                try await Self.planEvacuation(source: source, target: target, mode: mode, lock: false, on: conn, logger: logger).moves
            })
        }
        return result(try await transaction(logger) { conn in
            let (moves, statuses) = try await Self.planEvacuation(source: source, target: target, mode: mode, lock: true, on: conn, logger: logger)
            try await conn.guardedQuery("""
                UPDATE vial_position p SET box_id = u.b, row_no = u.r, column_no = u.c, placed_at = now()
                FROM unnest(\(moves.map(\.vialId))::text[], \(moves.map(\.toBox))::text[], \(moves.map(\.toRow))::int[], \(moves.map(\.toColumn))::int[])
                     AS u(id, b, r, c)
                WHERE p.vial_id = u.id
                """, logger: logger)
            let tag = "\(source.level.rawValue):\(source.id) -> \(target.level.rawValue):\(target.id)"
            try await Custody.append(moves.map { m in
                CustodyEntry(subjectType: "vial", subjectId: m.vialId, action: "vial.moved", fromState: statuses[m.vialId], toState: statuses[m.vialId],
                             fromLocation: m.from, toLocation: m.to, reason: reason, details: ["evacuation": tag, "mode": mode.rawValue])
            }, by: actor, on: conn, logger: logger)
            let sourceBoxes = try await Self.boxes(of: source, field: "source", on: conn, logger: logger).map(\.id)
            try await Self.noteStorageFullness(boxes: sourceBoxes + moves.map(\.toBox), actor: actor, on: conn, logger: logger)
            return moves
        })
    }

    /// Reads what the planner needs; with `lock`, locks the target boxes (as vial creation does) and the source's vials.
    static func planEvacuation(source: StorageRef, target: StorageRef, mode: EvacuationMode, lock: Bool,
                               on conn: PostgresConnection, logger: Logger) async throws -> (moves: [EvacuationMove], statuses: [String: String]) {
        let sourceBoxes = try await boxes(of: source, field: "source", on: conn, logger: logger)
        let targetBoxes = try await boxes(of: target, field: "target", on: conn, logger: logger)
        let targetIds = targetBoxes.map(\.id)
        if lock {
            try await conn.guardedQuery("SELECT id FROM box WHERE id = ANY(\(targetIds.sorted())) ORDER BY id FOR UPDATE", logger: logger)
            try await conn.guardedQuery("""
                SELECT v.id FROM vial v JOIN vial_position p ON p.vial_id = v.id WHERE p.box_id = ANY(\(sourceBoxes.map(\.id))) ORDER BY v.id FOR UPDATE OF v, p
                """, logger: logger)
        }
        var vials: [PlanningVial] = []
        var statuses: [String: String] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT v.id, v.lot_number, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no,
                   v.status, vial_cannot_move(v.id) AS cannot_move
            FROM vial_position p JOIN vial v ON v.id = p.vial_id JOIN lot l ON l.lot_number = v.lot_number
            WHERE p.box_id = ANY(\(sourceBoxes.map(\.id)))
            """, logger: logger) {
            let c = NamedColumns(row), id: String = try c("id")
            vials.append(PlanningVial(id: id, lotNumber: try c("lot_number"), expiresOn: try c("expires_on"),
                                      position: Position(boxId: try c("box_id"), row: try c("row_no"), column: try c("column_no")), cannotMove: try c("cannot_move")))
            statuses[id] = try c("status")
        }
        var occupied: [Position: String] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT box_id, row_no::int AS row_no, column_no::int AS column_no, vial_id FROM vial_position WHERE box_id = ANY(\(targetIds))
            """, logger: logger) {
            let c = NamedColumns(row)
            occupied[Position(boxId: try c("box_id"), row: try c("row_no"), column: try c("column_no"))] = try c("vial_id")
        }
        let moves = try Evacuation.plan(source: source, target: target, mode: mode, vials: vials, sourceBoxes: sourceBoxes,
                                        targetBoxes: targetBoxes, occupied: occupied)
        return (moves, statuses)
    }

    /// The boxes of a container in rack label, box label order; not found when the container does not exist.
    static func boxes(of ref: StorageRef, field: String, on conn: PostgresConnection, logger: Logger) async throws -> [PlanningBox] {
        let exists: Bool
        switch ref.level {
        case .box: exists = try await conn.guardedQuery("SELECT 1 FROM box WHERE id = \(ref.id)", logger: logger).decode(Int.self).all().first != nil
        case .rack: exists = try await conn.guardedQuery("SELECT 1 FROM rack WHERE id = \(ref.id)", logger: logger).decode(Int.self).all().first != nil
        case .freezer: exists = try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(ref.id)", logger: logger).decode(Int.self).all().first != nil
        }
        guard exists else { throw DomainError.invalid(field: field, rule: "no \(ref.level.rawValue) '\(ref.id)' exists") }
        return try await conn.guardedQuery("""
            SELECT b.id, r.label AS rack_label, b.label, b.rows::int AS rows, b.columns::int AS columns FROM box b JOIN rack r ON r.id = b.rack_id
            WHERE (\(ref.level.rawValue) = 'box' AND b.id = \(ref.id)) OR (\(ref.level.rawValue) = 'rack' AND r.id = \(ref.id))
               OR (\(ref.level.rawValue) = 'freezer' AND r.freezer_id = \(ref.id))
            ORDER BY r.label, r.id, b.label, b.id
            """, logger: logger).named { c in
            PlanningBox(id: try c("id"), rackLabel: try c("rack_label"), label: try c("label"), rows: try c("rows"), columns: try c("columns"))
        }
    }
}

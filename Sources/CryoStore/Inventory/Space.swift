import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func spaceReport(freezerId: String?, actor: Principal, logger: Logger) async throws -> SpaceReport {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            if let freezerId, try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(freezerId)", logger: logger).decode(Int.self).all().isEmpty {
                throw DomainError.notFound(kind: "freezer", id: freezerId)
            }
            let (rows, spaces) = try await Self.boxSpaces(freezerId: freezerId, lotNumber: nil, lock: false, on: conn, logger: logger)
            func percent(_ part: Int, _ whole: Int) -> Double { whole == 0 ? 0 : (Double(part) / Double(whole) * 1000).rounded() / 10 }
            var freezers: [SpaceReport.Freezer] = []
            for (row, space) in zip(rows, spaces) {
                if freezers.last?.id != row.freezerId { freezers.append(.init(id: row.freezerId, name: row.freezerName, occupied: 0, capacity: 0, utilisation: 0, racks: [])) }
                var f = freezers.removeLast()
                if f.racks.last?.id != row.rackId { f.racks.append(.init(id: row.rackId, label: row.rackLabel, occupied: 0, capacity: 0, utilisation: 0, boxes: [])) }
                var r = f.racks.removeLast()
                r.boxes.append(.init(id: space.id, label: row.boxLabel, occupied: space.occupied, capacity: space.capacity,
                                     utilisation: percent(space.occupied, space.capacity), emptyPositions: space.free.map(\.label)))
                r.occupied += space.occupied; r.capacity += space.capacity; r.utilisation = percent(r.occupied, r.capacity)
                f.racks.append(r)
                f.occupied += space.occupied; f.capacity += space.capacity; f.utilisation = percent(f.occupied, f.capacity)
                freezers.append(f)
            }
            return SpaceReport(freezers: freezers, consolidation: Space.consolidationCandidates(spaces))
        }
    }

    /// Suggests `count` free positions for a lot (`Space.findPositions`), in one freezer or anywhere; changes nothing.
    public func findSpace(lotNumber: String, count: Int, freezerId: String?, actor: Principal, logger: Logger) async throws -> [Position] {
        try actor.require(.readInventory)
        try Validator().require((1...1000).contains(count), "count", "must be between 1 and 1000")
        return try await read(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM lot WHERE lot_number = \(lotNumber)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }
            return try Space.findPositions(count: count, in: try await Self.boxSpaces(freezerId: freezerId, lotNumber: lotNumber, lock: false,
                                                                                      on: conn, logger: logger).1)
        }
    }

    struct BoxRow { var freezerId: String; var freezerName: String; var rackId: String; var rackLabel: String; var boxLabel: String }

    /// Every box (of one freezer, or all) in storage order with its taken positions; with `lock`, the boxes are locked
    /// as vial creation locks a box, so that two placements cannot pick the same free position.
    static func boxSpaces(freezerId: String?, lotNumber: String?, lock: Bool, on conn: PostgresConnection,
                          logger: Logger) async throws -> ([BoxRow], [BoxSpace]) {
        if lock {
            try await conn.guardedQuery("""
                SELECT b.id FROM box b JOIN rack r ON r.id = b.rack_id WHERE (\(freezerId)::text IS NULL OR r.freezer_id = \(freezerId)) ORDER BY b.id FOR UPDATE OF b
                """, logger: logger)
        }
        let boxes = try await conn.guardedQuery("""
            SELECT f.id AS freezer_id, f.name AS freezer_name, r.id AS rack_id, r.label AS rack_label, b.id AS box_id, b.label AS box_label,
                   b.rows::int AS rows, b.columns::int AS columns
            FROM box b JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
            WHERE (\(freezerId)::text IS NULL OR f.id = \(freezerId))
            ORDER BY f.id, r.label, r.id, b.label, b.id
            """, logger: logger).named { c in
            (freezerId: try c("freezer_id", as: String.self), freezerName: try c("freezer_name", as: String.self), rackId: try c("rack_id", as: String.self),
             rackLabel: try c("rack_label", as: String.self), boxId: try c("box_id", as: String.self), boxLabel: try c("box_label", as: String.self),
             rows: try c("rows", as: Int.self), columns: try c("columns", as: Int.self))
        }
        var taken: [String: Set<Int>] = [:]
        var withLot = Set<String>()
        for try await row in try await conn.guardedQuery("""
            SELECT p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no, v.lot_number
            FROM vial_position p JOIN vial v ON v.id = p.vial_id JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
            WHERE (\(freezerId)::text IS NULL OR r.freezer_id = \(freezerId))
            """, logger: logger) {
            let c = NamedColumns(row), box: String = try c("box_id")
            taken[box, default: []].insert(try c("row_no", as: Int.self) * 100 + c("column_no", as: Int.self))
            if try c("lot_number", as: String.self) == lotNumber { withLot.insert(box) }
        }
        return (boxes.map { BoxRow(freezerId: $0.freezerId, freezerName: $0.freezerName, rackId: $0.rackId, rackLabel: $0.rackLabel, boxLabel: $0.boxLabel) },
                boxes.map { BoxSpace(id: $0.boxId, freezerId: $0.freezerId, rows: $0.rows, columns: $0.columns, taken: taken[$0.boxId] ?? [],
                                     holdsLot: withLot.contains($0.boxId)) })
    }
}

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
            SELECT f.id, f.name, r.id, r.label, b.id, b.label, b.rows::int, b.columns::int
            FROM box b JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
            WHERE (\(freezerId)::text IS NULL OR f.id = \(freezerId))
            ORDER BY f.id, r.label, r.id, b.label, b.id
            """, logger: logger).decode((String, String, String, String, String, String, Int, Int).self).all()
        var taken: [String: Set<Int>] = [:]
        var withLot = Set<String>()
        for try await (box, row, col, lot) in try await conn.guardedQuery("""
            SELECT p.box_id, p.row_no::int, p.column_no::int, v.lot_number
            FROM vial_position p JOIN vial v ON v.id = p.vial_id JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
            WHERE (\(freezerId)::text IS NULL OR r.freezer_id = \(freezerId))
            """, logger: logger).decode((String, Int, Int, String).self) {
            taken[box, default: []].insert(row * 100 + col)
            if lot == lotNumber { withLot.insert(box) }
        }
        return (boxes.map { BoxRow(freezerId: $0.0, freezerName: $0.1, rackId: $0.2, rackLabel: $0.3, boxLabel: $0.5) },
                boxes.map { BoxSpace(id: $0.4, freezerId: $0.0, rows: $0.6, columns: $0.7, taken: taken[$0.4] ?? [], holdsLot: withLot.contains($0.4)) })
    }
}

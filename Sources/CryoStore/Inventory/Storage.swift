import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    public func createSite(code: String, name: String, kind: SiteKind, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageStorage)
        try StorageID.validate(code, field: "code")
        try Validator().require(!name.isEmpty && name.count <= 200, "name", "must be 1 to 200 characters")
        try await transaction(logger) { conn in
            try await conn.guardedQuery("INSERT INTO site (code, name, kind) VALUES (\(code), \(name), \(kind.rawValue))", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: code, action: "site.created", toState: kind.rawValue,
                                                  details: ["name": name]), by: actor, on: conn, logger: logger)
        }
    }

    public func createFreezer(id: String, siteCode: String, kind: FreezerKind, name: String, maxCelsius: Double, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageStorage)
        try StorageID.validate(id, field: "id")
        try Validator().require(!name.isEmpty && name.count <= 200, "name", "must be 1 to 200 characters")
        try Validator().require(maxCelsius >= -273.1, "maxCelsius", "must be -273.1 °C or warmer")
        try Validator().require(maxCelsius <= -150, "maxCelsius", "a cryostorage freezer must hold -150 °C or colder")
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM site WHERE code = \(siteCode)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.invalid(field: "siteCode", rule: "no site '\(siteCode)' exists")
            }
            try await conn.guardedQuery("""
                INSERT INTO freezer (id, site_code, kind, name, max_celsius) VALUES (\(id), \(siteCode), \(kind.rawValue), \(name), \(maxCelsius)::numeric)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: id, action: "freezer.created", toState: kind.rawValue,
                                                  toLocation: siteCode, details: ["name": name, "maxCelsius": String(maxCelsius)]),
                                     by: actor, on: conn, logger: logger)
        }
    }

    public func createRack(id: String, freezerId: String, label: String, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageStorage)
        try StorageID.validate(id, field: "id")
        try Validator().require(!label.isEmpty && label.count <= 50, "label", "must be 1 to 50 characters")
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(freezerId)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.invalid(field: "freezerId", rule: "no freezer '\(freezerId)' exists")
            }
            try await conn.guardedQuery("INSERT INTO rack (id, freezer_id, label) VALUES (\(id), \(freezerId), \(label))", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: id, action: "rack.created", toLocation: freezerId,
                                                  details: ["label": label]), by: actor, on: conn, logger: logger)
        }
    }

    public func createBox(id: String, rackId: String, label: String, rows: Int, columns: Int, actor: Principal, logger: Logger) async throws {
        try actor.require(.manageStorage)
        try StorageID.validate(id, field: "id")
        let v = Validator()
        try v.require(!label.isEmpty && label.count <= 50, "label", "must be 1 to 50 characters")
        try v.require((1...26).contains(rows), "rows", "must be between 1 and 26")
        try v.require((1...26).contains(columns), "columns", "must be between 1 and 26")
        try await transaction(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM rack WHERE id = \(rackId)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.invalid(field: "rackId", rule: "no rack '\(rackId)' exists")
            }
            try await conn.guardedQuery("INSERT INTO box (id, rack_id, label, rows, columns) VALUES (\(id), \(rackId), \(label), \(rows), \(columns))", logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: id, action: "box.created", toLocation: rackId,
                                                  details: ["label": label, "rows": String(rows), "columns": String(columns)]),
                                     by: actor, on: conn, logger: logger)
        }
    }

    public func freezers(actor: Principal, logger: Logger) async throws -> [FreezerSummary] {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT f.id, f.site_code, f.kind, f.name, f.max_celsius::float8 AS max_celsius,
                       (SELECT count(*)::int FROM vial_position p JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id) AS occupied,
                       (SELECT coalesce(sum(b.rows * b.columns), 0)::int FROM box b JOIN rack r ON r.id = b.rack_id WHERE r.freezer_id = f.id) AS capacity
                FROM freezer f ORDER BY f.id
                """, logger: logger).named { c in
                FreezerSummary(id: try c("id"), siteCode: try c("site_code"), kind: try c("kind"), name: try c("name"), maxCelsius: try c("max_celsius"),
                               occupied: try c("occupied"), capacity: try c("capacity"))
            }
        }
    }

    /// What is where in a freezer, and what is free: every position of every box.
    public func freezerMap(id: String, actor: Principal, logger: Logger) async throws -> FreezerMap {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let f = try await conn.guardedQuery("SELECT id, site_code, kind, name, max_celsius::float8 AS max_celsius FROM freezer WHERE id = \(id)",
                                                      logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "freezer", id: id)
            }
            let boxes = try await conn.guardedQuery("""
                SELECT r.id AS rack_id, r.label AS rack_label, b.id AS box_id, b.label AS box_label, b.rows::int AS rows, b.columns::int AS columns
                FROM rack r LEFT JOIN box b ON b.rack_id = r.id
                WHERE r.freezer_id = \(id) ORDER BY r.label, r.id, b.label, b.id
                """, logger: logger).named { c in
                (try c("rack_id", as: String.self), try c("rack_label", as: String.self), try c("box_id", as: String?.self), try c("box_label", as: String?.self),
                 try c("rows", as: Int?.self), try c("columns", as: Int?.self))
            }
            // One query for every vial of the freezer, their availability computed set-based (not per vial).
            let placed = try await conn.guardedQuery("""
                SELECT p.box_id, p.row_no::int, p.column_no::int, v.id, v.lot_number, v.status, l.expires_on::text AS expires_on,
                       av.codes, av.details
                FROM vial_position p JOIN vial v ON v.id = p.vial_id JOIN lot l ON l.lot_number = v.lot_number
                JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id
                LEFT JOIN (SELECT a.vial_id, array_agg(a.code ORDER BY a.n) AS codes, array_agg(a.detail ORDER BY a.n) AS details
                           FROM vial_availability(ARRAY(SELECT p2.vial_id FROM vial_position p2 JOIN box b2 ON b2.id = p2.box_id
                                                        JOIN rack r2 ON r2.id = b2.rack_id WHERE r2.freezer_id = \(id)))
                                WITH ORDINALITY a(vial_id, code, detail, n)
                           GROUP BY a.vial_id) av ON av.vial_id = v.id
                WHERE r.freezer_id = \(id)
                """, logger: logger).named { c in
                (box: try c("box_id", as: String.self), key: try c("row_no", as: Int.self) * 100 + c("column_no", as: Int.self),
                 vial: try c("id", as: String.self), lot: try c("lot_number", as: String.self), status: try c("status", as: String.self),
                 expires: try c("expires_on", as: String.self), reasons: try Self.reasons(codes: c("codes"), details: c("details")))
            }
            var contents: [String: [Int: (vial: String, lot: String, status: String, expires: String, reasons: [VialAvailability.Reason])]] = [:]
            for v in placed { contents[v.box, default: [:]][v.key] = (v.vial, v.lot, v.status, v.expires, v.reasons) }
            var racks: [FreezerMap.Rack] = []
            for (rackId, rackLabel, boxId, boxLabel, rows, cols) in boxes {
                if racks.last?.id != rackId { racks.append(.init(id: rackId, label: rackLabel, boxes: [])) }
                guard let boxId, let boxLabel, let rows, let cols else { continue }
                var slots: [FreezerMap.Slot] = []
                for r in 1...rows { for c in 1...cols {
                    let v = contents[boxId]?[r * 100 + c]
                    slots.append(.init(row: r, column: c, label: Position(boxId: boxId, row: r, column: c).label, vialId: v?.vial, lotNumber: v?.lot,
                                       status: v?.status, expiresOn: v?.expires, reasons: v?.reasons ?? []))
                } }
                let occupied = slots.filter { $0.vialId != nil }.count
                racks[racks.count - 1].boxes.append(.init(id: boxId, label: boxLabel, rows: rows, columns: cols, occupied: occupied,
                                                          free: rows * cols - occupied, slots: slots))
            }
            let occupied = racks.flatMap(\.boxes).map(\.occupied).reduce(0, +)
            let free = racks.flatMap(\.boxes).map(\.free).reduce(0, +)
            return FreezerMap(freezerId: try f("id"), siteCode: try f("site_code"), kind: try f("kind"), name: try f("name"), maxCelsius: try f("max_celsius"),
                             occupied: occupied, free: free, racks: racks)
        }
    }
}

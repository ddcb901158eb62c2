import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Creates `count` vials of a lot, each with a fresh check-charactered id; with `boxId`,
    /// places them into the box's free positions in row-major order; without one, with `findSpace`, into the positions
    /// `Space.findPositions` chooses (contiguous in one box when possible), else unplaced.
    public func createVials(lotNumber: String, count: Int, boxId: String?, findSpace: Bool = false, actor: Principal, logger: Logger) async throws -> [VialRecord] {
        try actor.require(.createVials)
        try Validator().require((1...1000).contains(count), "count", "must be between 1 and 1000 per request")
        if let boxId { try StorageID.validate(boxId, field: "boxId") }
        // The answer is built from the rows as inserted (a new vial is stored, never checked out, at the position just
        // given): no read-back after the commit, no second connection.
        return try await transaction(logger) { conn in
            guard let lot = try await conn.guardedQuery("""
                SELECT status, planned_vials, (SELECT count(*)::int FROM vial v WHERE v.lot_number = l.lot_number) AS vial_count,
                       product_code, to_char(expires_on, 'YYYY-MM-DD') AS expires_on
                FROM lot l WHERE lot_number = \(lotNumber) FOR UPDATE
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }
            let status: String = try lot("status"), planned: Int = try lot("planned_vials"), existing: Int = try lot("vial_count")
            let productCode: String = try lot("product_code"), expiresOn: String = try lot("expires_on")
            let lotStatus = try LotStatus(stored: status)
            try LotRules.checkVialFilling(lotNumber: lotNumber, status: lotStatus, plannedVials: planned,
                                          existingVials: existing, adding: count)
            let serials = try await conn.guardedQuery("SELECT nextval('vial_serial') FROM generate_series(1, \(count))", logger: logger)
                .decode(Int.self).all()
            let ids = serials.map { VialID(serial: $0).value }
            let ordinals = Array((existing + 1)...(existing + count))
            try await conn.guardedQuery("""
                INSERT INTO vial (id, lot_number, ordinal) SELECT id, \(lotNumber), ord FROM unnest(\(ids)::text[], \(ordinals)::int[]) AS u(id, ord)
                """, logger: logger)
            var free: [Position] = []
            if let boxId {
                free = try await Self.freePositions(boxId: boxId, count: count, on: conn, logger: logger)
            } else if findSpace {
                free = try Space.findPositions(count: count, in: try await Self.boxSpaces(freezerId: nil, lotNumber: lotNumber, lock: true,
                                                                                          on: conn, logger: logger).1)
            }
            var locations: [VialLocation] = []
            if !free.isEmpty {
                try await conn.guardedQuery("""
                    INSERT INTO vial_position (vial_id, box_id, row_no, column_no)
                    SELECT id, b, r, c FROM unnest(\(ids)::text[], \(free.map(\.boxId))::text[], \(free.map(\.row))::int[], \(free.map(\.column))::int[]) AS u(id, b, r, c)
                    """, logger: logger)
                locations = try await Self.locations(of: free, on: conn, logger: logger)
            }
            try await Custody.append(ids.indices.map { i in
                CustodyEntry(subjectType: "vial", subjectId: ids[i], action: "vial.created", toState: VialStatus.stored.rawValue,
                             toLocation: i < locations.count ? locations[i].label : nil, details: ["lot": lotNumber])
            }, by: actor, on: conn, logger: logger)
            try await Self.noteStorageFullness(boxes: free.map(\.boxId), actor: actor, on: conn, logger: logger)
            let reasons = try await Self.availabilityReasons(of: ids, on: conn, logger: logger)
            return ids.indices.map { i in
                VialRecord(id: ids[i], lotNumber: lotNumber, productCode: productCode, ordinal: ordinals[i], status: .stored,
                           lotStatus: lotStatus, expiresOn: expiresOn, location: i < locations.count ? locations[i] : nil,
                           checkedOutSince: nil, minutesOutOfStorage: 0,
                           availability: VialAvailability(status: .stored, reasons: reasons[ids[i]] ?? []))
            }
        }
    }

    /// Where positions are: site, freezer and rack of each position's box, in one query.
    static func locations(of positions: [Position], on conn: PostgresConnection, logger: Logger) async throws -> [VialLocation] {
        let boxes = Array(Set(positions.map(\.boxId)))
        var parents: [String: (site: String, freezer: String, rack: String)] = [:]
        for try await row in try await conn.guardedQuery("""
            SELECT b.id AS box_id, r.id AS rack_id, f.id AS freezer_id, f.site_code FROM box b JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
            WHERE b.id = ANY(\(boxes)::text[])
            """, logger: logger) {
            let c = NamedColumns(row)
            parents[try c("box_id")] = (try c("site_code"), try c("freezer_id"), try c("rack_id"))
        }
        return try positions.map { p in
            guard let parent = parents[p.boxId] else { throw DomainError.invalid(field: "boxId", rule: "no box '\(p.boxId)' exists") }
            return VialLocation(siteCode: parent.site, freezerId: parent.freezer, rackId: parent.rack, boxId: p.boxId,
                                row: p.row, column: p.column, label: p.label)
        }
    }

    static func freePositions(boxId: String, count: Int, on conn: PostgresConnection, logger: Logger) async throws -> [Position] {
        guard let (rows, columns) = try await conn.guardedQuery("SELECT rows, columns FROM box WHERE id = \(boxId) FOR UPDATE", logger: logger)
            .decode((Int, Int).self).all().first else {
            throw DomainError.invalid(field: "boxId", rule: "no box '\(boxId)' exists")
        }
        let taken = Set(try await conn.guardedQuery("SELECT row_no, column_no FROM vial_position WHERE box_id = \(boxId)", logger: logger)
            .decode((Int, Int).self).all().map { Position(boxId: boxId, row: $0.0, column: $0.1) })
        var free: [Position] = []
        for r in 1...rows { for c in 1...columns {
            let p = Position(boxId: boxId, row: r, column: c)
            if !taken.contains(p) { free.append(p) }
        } }
        guard free.count >= count else {
            throw DomainError.conflict(field: "boxId", rule: "box \(boxId) has \(free.count) free positions, \(count) needed")
        }
        return Array(free.prefix(count))
    }

    public func vial(id text: String, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.readInventory)
        let id = try VialID(parsing: text)
        // The hottest read: a prepared statement, planned once per connection.
        let rows = try await read(logger) { conn in try await conn.execute(VialByID(id: id.value), logger: logger).all() }
        guard let v = rows.first else { throw DomainError.notFound(kind: "vial", id: id.value) }
        return v
    }

    struct VialByID: PostgresPreparedStatement {
        /// Named here: the default name is `String(reflecting:)` of the type, computed on every execution.
        static let name = "cryoledger_vial_by_id"
        static let sql = Store.vialSelect + " WHERE v.id = $1"
        typealias Row = VialRecord
        var id: String

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings()
            b.append(id)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> VialRecord {
            try Store.vialRecord(NamedColumns(row))
        }
    }

    /// A vial as the API and the console show it, with its availability (`vial_availability`, one call per row);
    /// callers add the WHERE clause on `v`.
    static let vialSelect = """
        SELECT v.id, v.lot_number, l.product_code, v.ordinal, v.status, l.status AS lot_status,
               to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on,
               f.site_code, f.id AS freezer_id, r.id AS rack_id, b.id AS box_id, p.row_no::int, p.column_no::int,
               (SELECT c.checked_out_at FROM vial_checkout c WHERE c.vial_id = v.id AND c.checked_in_at IS NULL) AS checked_out_at,
               vial_time_out_seconds(v.id) AS seconds_out, av.codes, av.details
        FROM vial v JOIN lot l ON l.lot_number = v.lot_number
        LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id
        LEFT JOIN rack r ON r.id = b.rack_id LEFT JOIN freezer f ON f.id = r.freezer_id
        CROSS JOIN LATERAL (SELECT array_agg(a.code ORDER BY a.n) AS codes, array_agg(a.detail ORDER BY a.n) AS details
                            FROM vial_availability(ARRAY[v.id]) WITH ORDINALITY a(vial_id, code, detail, n)) av
        """

    static func vialRecord(_ c: NamedColumns) throws -> VialRecord {
        var location: VialLocation?
        if let site: String = try c("site_code"), let freezer: String = try c("freezer_id"), let rack: String = try c("rack_id"),
           let box: String = try c("box_id"), let row: Int = try c("row_no"), let col: Int = try c("column_no") {
            location = VialLocation(siteCode: site, freezerId: freezer, rackId: rack, boxId: box, row: row, column: col,
                                    label: Position(boxId: box, row: row, column: col).label)
        }
        let status = try VialStatus(stored: c("status"))
        return VialRecord(id: try c("id"), lotNumber: try c("lot_number"), productCode: try c("product_code"), ordinal: try c("ordinal"),
                          status: status, lotStatus: try LotStatus(stored: c("lot_status")), expiresOn: try c("expires_on"),
                          location: location, checkedOutSince: try c("checked_out_at"),
                          minutesOutOfStorage: TimeOutOfStorage.minutes(try c("seconds_out")),
                          availability: VialAvailability(status: status, reasons: try reasons(codes: c("codes"), details: c("details"))))
    }

    /// Puts an unplaced vial into a position. The database's unique keys decide races:
    /// of concurrent placements into one position exactly one commits.
    public func placeVial(id text: String, at position: Position, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.placeVial)
        let id = try VialID(parsing: text)
        try StorageID.validate(position.boxId, field: "boxId")
        try position.validate()
        try await transaction(logger) { conn in
            let (status, placed) = try await Self.lockVial(id.value, on: conn, logger: logger)
            guard try VialStatus(stored: status).maySitInPosition else {
                throw DomainError.conflict(field: "vialId", rule: "vial \(id) is \(status); only a vial in storage (stored or reserved) has a position")
            }
            if placed { throw DomainError.conflict(field: "vialId", rule: "the vial is already placed; move it instead") }
            try await Self.requireBox(position.boxId, on: conn, logger: logger)
            try await conn.guardedQuery("""
                INSERT INTO vial_position (vial_id, box_id, row_no, column_no) VALUES (\(id.value), \(position.boxId), \(position.row), \(position.column))
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "vial", subjectId: id.value, action: "vial.placed",
                                                  fromState: status, toState: status, toLocation: position.label),
                                     by: actor, on: conn, logger: logger)
            try await Self.noteStorageFullness(boxes: [position.boxId], actor: actor, on: conn, logger: logger)
        }
        return try await vial(id: id.value, actor: actor, logger: logger)
    }

    public func moveVial(id text: String, to position: Position, reason: String?, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.placeVial)
        let id = try VialID(parsing: text)
        try StorageID.validate(position.boxId, field: "boxId")
        try position.validate()
        try Validator().require(reason.map { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? false, "reason", "a move needs a reason")
        try await transaction(logger) { conn in
            let (status, placed) = try await Self.lockVial(id.value, on: conn, logger: logger)
            guard placed else { throw DomainError.conflict(field: "vialId", rule: "the vial is not placed anywhere yet; place it first") }
            guard try VialStatus(stored: status).maySitInPosition else {
                throw DomainError.conflict(field: "vialId", rule: "a \(status) vial is not in storage and cannot be moved")
            }
            try await Self.requireBox(position.boxId, on: conn, logger: logger)
            let from = try await conn.guardedQuery("SELECT box_id, row_no::int, column_no::int FROM vial_position WHERE vial_id = \(id.value)", logger: logger)
                .decode((String, Int, Int).self).all().first!
            let fromLabel = Position(boxId: from.0, row: from.1, column: from.2).label
            if fromLabel == position.label { throw DomainError.conflict(field: "position", rule: "the vial is already at \(fromLabel)") }
            try await conn.guardedQuery("""
                UPDATE vial_position SET box_id = \(position.boxId), row_no = \(position.row), column_no = \(position.column), placed_at = now()
                WHERE vial_id = \(id.value)
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "vial", subjectId: id.value, action: "vial.moved", fromState: status, toState: status,
                                                  fromLocation: fromLabel, toLocation: position.label, reason: reason),
                                     by: actor, on: conn, logger: logger)
            try await Self.noteStorageFullness(boxes: [from.0, position.boxId], actor: actor, on: conn, logger: logger)
        }
        return try await vial(id: id.value, actor: actor, logger: logger)
    }

    static func lockVial(_ id: String, on conn: PostgresConnection, logger: Logger) async throws -> (String, Bool) {
        guard let row = try await conn.guardedQuery("""
            SELECT v.status, EXISTS (SELECT 1 FROM vial_position p WHERE p.vial_id = v.id) FROM vial v WHERE v.id = \(id) FOR UPDATE
            """, logger: logger).decode((String, Bool).self).all().first else {
            throw DomainError.notFound(kind: "vial", id: id)
        }
        return row
    }

    static func requireBox(_ boxId: String, on conn: PostgresConnection, logger: Logger) async throws {
        guard try await conn.guardedQuery("SELECT 1 FROM box WHERE id = \(boxId)", logger: logger).decode(Int.self).all().first != nil else {
            throw DomainError.invalid(field: "boxId", rule: "no box '\(boxId)' exists")
        }
    }
}

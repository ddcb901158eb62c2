import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// What to take out of which freezer for an allocation.
    public func pickList(allocationId: Int64, actor: Principal, logger: Logger) async throws -> [PickListLine] {
        try actor.require(.readInventory)
        let lines = try await read(logger) { conn in
            try await conn.guardedQuery("""
                SELECT r.vial_id, r.subject_id, v.lot_number, v.status,
                       CASE WHEN p.vial_id IS NULL THEN NULL ELSE f.site_code || '/' || f.id || '/' || k.id || '/' || p.box_id || ':' || chr(64 + p.row_no) || p.column_no END
                FROM reservation r JOIN vial v ON v.id = r.vial_id
                LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id LEFT JOIN rack k ON k.id = b.rack_id
                LEFT JOIN freezer f ON f.id = k.freezer_id
                WHERE r.allocation_id = \(allocationId) AND r.cancelled_at IS NULL ORDER BY f.id, p.box_id, p.row_no, p.column_no, r.vial_id
                """, logger: logger).decode((String, String, String, String, String?).self).all()
                .map { PickListLine(vialId: $0.0, subjectId: $0.1, lotNumber: $0.2, status: try VialStatus(stored: $0.3), location: $0.4) }
        }
        guard !lines.isEmpty else { throw DomainError.notFound(kind: "allocation", id: String(allocationId)) }
        return lines
    }

    /// Takes an allocation's reserved vials out of storage for shipping: each leaves its position with a custody event.
    public func pickAllocation(allocationId: Int64, actor: Principal, logger: Logger) async throws -> [PickListLine] {
        try actor.require(.dispense)
        try await transaction(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT r.vial_id, v.status, p.box_id, p.row_no::int, p.column_no::int
                FROM reservation r JOIN vial v ON v.id = r.vial_id LEFT JOIN vial_position p ON p.vial_id = v.id
                WHERE r.allocation_id = \(allocationId) AND r.cancelled_at IS NULL ORDER BY r.vial_id FOR UPDATE OF v
                """, logger: logger).decode((String, String, String?, Int?, Int?).self).all()
            guard !rows.isEmpty else { throw DomainError.notFound(kind: "allocation", id: String(allocationId)) }
            let toPick = rows.filter { $0.1 == "reserved" && $0.2 != nil }
            guard !toPick.isEmpty else { throw DomainError.conflict(field: "allocationId", rule: "no vial of allocation \(allocationId) is left in storage to pick") }
            try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = ANY(\(toPick.map(\.0)))", logger: logger)
            try await Custody.append(toPick.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.0, action: "vial.picked", fromState: "reserved", toState: "reserved",
                             fromLocation: Position(boxId: $0.2!, row: $0.3!, column: $0.4!).label, toLocation: "pharmacy dispatch",
                             details: ["allocation": String(allocationId)])
            }, by: actor, on: conn, logger: logger)
        }
        return try await pickList(allocationId: allocationId, actor: actor, logger: logger)
    }

    /// Ships reserved vials to the clinical site of their patients in a dry shipper. Refused if the shipper's
    /// validated hold time would run out before arrival, or if any vial may not ship (rule 3, checked by the database too).
    public func shipVials(_ s: ShipmentInput, actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.dispense)
        let v = Validator()
        try v.require(!s.vialIds.isEmpty && s.vialIds.count <= 100, "vialIds", "1 to 100 vials per shipment")
        try v.require(Set(s.vialIds).count == s.vialIds.count, "vialIds", "each vial once")
        try v.require((1...64).contains(s.dryShipperId.count), "dryShipperId", "the dry shipper's id, 1 to 64 characters")
        try v.require((1...64).contains(s.dataLoggerId.count), "dataLoggerId", "the temperature data logger's id, 1 to 64 characters")
        try v.require((1...720).contains(s.validatedHoldHours), "validatedHoldHours", "between 1 and 720 hours")
        for (i, id) in s.vialIds.enumerated() { _ = try VialID(parsing: id, field: "vialIds[\(i)]") }
        let id: String = try await transaction(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT v.id, v.status, r.subject_id, pt.site_code, coalesce(vial_blockers(v.id), ''),
                       (SELECT f.site_code FROM vial_location_history h JOIN box b ON b.id = h.box_id JOIN rack k ON k.id = b.rack_id
                        JOIN freezer f ON f.id = k.freezer_id WHERE h.vial_id = v.id ORDER BY lower(h.during) DESC LIMIT 1),
                       (SELECT p.box_id || ':' || chr(64 + p.row_no) || p.column_no FROM vial_position p WHERE p.vial_id = v.id)
                FROM vial v LEFT JOIN reservation r ON r.vial_id = v.id AND r.cancelled_at IS NULL LEFT JOIN patient pt ON pt.subject_id = r.subject_id
                WHERE v.id = ANY(\(s.vialIds)) ORDER BY v.id FOR UPDATE OF v
                """, logger: logger).decode((String, String, String?, String?, String, String?, String?).self).all()
            if let missing = s.vialIds.first(where: { id in !rows.contains { $0.0 == id } }) {
                throw DomainError.notFound(kind: "vial", id: missing)
            }
            for r in rows {
                guard r.1 == "reserved", let subject = r.2 else {
                    throw DomainError.conflict(field: "vialIds", rule: "vial \(r.0) is \(r.1); only vials reserved for a patient are shipped")
                }
                guard r.3 == s.toSite else {
                    throw DomainError.conflict(field: "toSite", rule: "vial \(r.0) is reserved for \(subject) at site \(r.3 ?? "?"), not \(s.toSite)")
                }
                guard r.4.isEmpty else { throw DomainError.conflict(field: "vialIds", rule: "vial \(r.0) may not ship: \(r.4)") }
            }
            let depots = Set(rows.compactMap(\.5))
            guard depots.count == 1, let depot = depots.first else {
                throw DomainError.conflict(field: "vialIds", rule: "a shipment leaves one depot; these vials are at \(depots.sorted().joined(separator: ", "))")
            }
            guard let days = try await conn.guardedQuery("SELECT transit_days FROM route WHERE from_site = \(depot) AND to_site = \(s.toSite)", logger: logger)
                .decode(Int.self).all().first else {
                throw DomainError.conflict(field: "toSite", rule: "no route from depot \(depot) to \(s.toSite)")
            }
            let transitHours = max(days * 24, 1)
            guard s.validatedHoldHours >= transitHours else {
                throw DomainError.conflict(field: "validatedHoldHours", rule: "the dry shipper's validated hold time (\(s.validatedHoldHours) h) runs out before arrival (\(transitHours) h from \(depot) to \(s.toSite))")
            }
            let id = try await conn.guardedQuery("""
                INSERT INTO shipment (id, from_site, to_site, dry_shipper_id, data_logger_id, validated_hold_hours, shipped_by, expected_arrival)
                VALUES ('SH-' || lpad(nextval('shipment_serial')::text, 6, '0'), \(depot), \(s.toSite), \(s.dryShipperId), \(s.dataLoggerId),
                        \(s.validatedHoldHours), \(actor.id), now() + \(transitHours) * interval '1 hour')
                RETURNING id
                """, logger: logger).decode(String.self).all()[0]
            try await conn.guardedQuery("INSERT INTO shipment_vial (shipment_id, vial_id) SELECT \(id), unnest(\(s.vialIds)::text[])", logger: logger)
            try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = ANY(\(s.vialIds))", logger: logger)
            try await Self.changeVialStatus(s.vialIds, to: .shipped, on: conn, logger: logger)
            var entries = rows.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.0, action: "vial.shipped", fromState: "reserved", toState: "shipped",
                             fromLocation: $0.6 ?? "pharmacy dispatch", toLocation: "shipment \(id)",
                             details: ["shipment": id, "dryShipper": s.dryShipperId, "dataLogger": s.dataLoggerId, "patient": $0.2!])
            }
            entries.append(CustodyEntry(subjectType: "shipment", subjectId: id, action: "shipment.dispatched", toState: "in-transit",
                                        fromLocation: depot, toLocation: s.toSite,
                                        details: ["vials": s.vialIds.joined(separator: ","), "dryShipper": s.dryShipperId, "dataLogger": s.dataLoggerId,
                                                  "validatedHoldHours": String(s.validatedHoldHours), "transitHours": String(transitHours)]))
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            return id
        }
        return try await shipment(id: id, actor: actor, logger: logger)
    }

    public func shipment(id: String, actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let r = try await conn.guardedQuery("""
                SELECT from_site, to_site, dry_shipper_id, data_logger_id, validated_hold_hours, shipped_at, expected_arrival, received_at,
                       logger_max_celsius::float8, receipt_excursion, (SELECT array_agg(vial_id ORDER BY vial_id) FROM shipment_vial WHERE shipment_id = s.id)
                FROM shipment s WHERE id = \(id)
                """, logger: logger).decode((String, String, String, String, Int, Date, Date, Date?, Double?, Bool?, [String]).self).all().first else {
                throw DomainError.notFound(kind: "shipment", id: id)
            }
            return ShipmentRecord(id: id, fromSite: r.0, toSite: r.1, dryShipperId: r.2, dataLoggerId: r.3, validatedHoldHours: r.4, shippedAt: r.5,
                                  expectedArrival: r.6, receivedAt: r.7, loggerMaxCelsius: r.8, receiptExcursion: r.9, vialIds: r.10)
        }
    }

    /// The site's pharmacy receives a shipment and reads the data logger: the warmest temperature in transit.
    /// Above a product's storage limit, the vials are received but put on hold.
    public func receiveShipment(id: String, loggerMaxCelsius: Double, actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.dispense)
        try Validator().require(loggerMaxCelsius.isFinite && (-273.1...100).contains(loggerMaxCelsius), "loggerMaxCelsius", "the data logger's maximum, -273.1 to 100 °C")
        try await transaction(logger) { conn in
            guard let (toSite, received) = try await conn.guardedQuery("SELECT to_site, received_at IS NOT NULL FROM shipment WHERE id = \(id) FOR UPDATE", logger: logger)
                .decode((String, Bool).self).all().first else {
                throw DomainError.notFound(kind: "shipment", id: id)
            }
            if received { throw DomainError.conflict(field: "shipmentId", rule: "shipment \(id) was already received") }
            let vials = try await conn.guardedQuery("""
                SELECT v.id, p.storage_max_celsius::float8 FROM shipment_vial s JOIN vial v ON v.id = s.vial_id JOIN lot l ON l.lot_number = v.lot_number
                JOIN product p ON p.code = l.product_code WHERE s.shipment_id = \(id) AND v.status = 'shipped' ORDER BY v.id FOR UPDATE OF v
                """, logger: logger).decode((String, Double).self).all()
            let warm = vials.filter { loggerMaxCelsius > $0.1 }.map(\.0)
            try await conn.guardedQuery("""
                UPDATE shipment SET received_at = now(), received_by = \(actor.id), logger_max_celsius = \(loggerMaxCelsius)::numeric(5,1), receipt_excursion = \(!warm.isEmpty)
                WHERE id = \(id)
                """, logger: logger)
            try await Self.changeVialStatus(vials.map(\.0), to: .received, on: conn, logger: logger)
            let text = String(format: "%.1f", loggerMaxCelsius)
            var entries = vials.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.0, action: "vial.received", fromState: "shipped", toState: "received",
                             fromLocation: "shipment \(id)", toLocation: "site \(toSite) pharmacy", details: ["shipment": id, "loggerMaxCelsius": text])
            }
            entries.append(CustodyEntry(subjectType: "shipment", subjectId: id, action: "shipment.received", fromState: "in-transit",
                                        toState: warm.isEmpty ? "received" : "received-with-excursion", toLocation: toSite,
                                        details: ["loggerMaxCelsius": text, "vialsHeld": String(warm.count)]))
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            try await Self.insertHolds(warm.map {
                NewHold(subject: .vial, id: $0, reason: "shipment \(id) data logger recorded \(text) °C, above the storage limit", source: "shipment-excursion", sourceRef: id)
            }, actor: actor, on: conn, logger: logger)
        }
        return try await shipment(id: id, actor: actor, logger: logger)
    }

    public func thawVial(id text: String, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.dispense)
        let id = try VialID(parsing: text)
        try await transaction(logger) { conn in
            let (status, _) = try await Self.lockVial(id.value, on: conn, logger: logger)
            guard status == VialStatus.received.rawValue else {
                throw DomainError.conflict(field: "vialId", rule: "vial \(id.value) is \(status); only a vial received at the site is thawed")
            }
            if let why = try await conn.guardedQuery("SELECT vial_blockers(\(id.value))", logger: logger).decode(String?.self).all().first ?? nil {
                throw DomainError.conflict(field: "vialId", rule: "vial \(id.value) may not be thawed: \(why)")
            }
            try await Self.changeVialStatus([id.value], to: .thawed, on: conn, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "vial", subjectId: id.value, action: "vial.thawed", fromState: "received", toState: "thawed"),
                                     by: actor, on: conn, logger: logger)
        }
        return try await vial(id: id.value, actor: actor, logger: logger)
    }

    /// Destroys a vial that will not be used (thaw limit passed, excursion, damage), with a reason; its reservation ends.
    public func destroyVial(id text: String, reason: String, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.dispense)
        let id = try VialID(parsing: text)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        try Validator().require(!reason.isEmpty && reason.count <= 500, "reason", "destruction needs a reason (at most 500 characters)")
        try await transaction(logger) { conn in
            let (status, placed) = try await Self.lockVial(id.value, on: conn, logger: logger)
            guard try VialStatus(stored: status).canMove(to: .destroyed) else {
                throw DomainError.conflict(field: "vialId", rule: "vial \(id.value) is \(status) and cannot be destroyed")
            }
            let from = placed ? try await conn.guardedQuery("""
                SELECT box_id || ':' || chr(64 + row_no) || column_no FROM vial_position WHERE vial_id = \(id.value)
                """, logger: logger).decode(String.self).all().first : nil
            try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = \(id.value)", logger: logger)
            try await conn.guardedQuery("""
                UPDATE reservation SET cancelled_at = now(), cancel_reason = \("vial destroyed: " + reason) WHERE vial_id = \(id.value) AND cancelled_at IS NULL
                """, logger: logger)
            try await Self.changeVialStatus([id.value], to: .destroyed, on: conn, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "vial", subjectId: id.value, action: "vial.destroyed", fromState: status, toState: "destroyed",
                                                  fromLocation: from, toLocation: "destroyed", reason: reason), by: actor, on: conn, logger: logger)
        }
        return try await vial(id: id.value, actor: actor, logger: logger)
    }
}

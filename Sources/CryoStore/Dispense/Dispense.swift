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
                       CASE WHEN p.vial_id IS NULL THEN NULL ELSE f.site_code || '/' || f.id || '/' || k.id || '/' || p.box_id || ':' || chr(64 + p.row_no) || p.column_no END AS location
                FROM reservation r JOIN vial v ON v.id = r.vial_id
                LEFT JOIN vial_position p ON p.vial_id = v.id LEFT JOIN box b ON b.id = p.box_id LEFT JOIN rack k ON k.id = b.rack_id
                LEFT JOIN freezer f ON f.id = k.freezer_id
                WHERE r.allocation_id = \(allocationId) AND r.cancelled_at IS NULL ORDER BY f.id, p.box_id, p.row_no, p.column_no, r.vial_id
                """, logger: logger).named { c in
                PickListLine(vialId: try c("vial_id"), subjectId: try c("subject_id"), lotNumber: try c("lot_number"),
                             status: try VialStatus(stored: try c("status")), location: try c("location"))
            }
        }
        guard !lines.isEmpty else { throw DomainError.notFound(kind: "allocation", id: String(allocationId)) }
        return lines
    }

    /// Takes an allocation's reserved vials out of storage for shipping, each scanned as it leaves its position (rule 9):
    /// a missing or wrong scan is refused and logged on the vials and the patient.
    public func pickAllocation(allocationId: Int64, scannedVialIds: [String], actor: Principal, logger: Logger) async throws -> [PickListLine] {
        try actor.require(.dispense)
        let outcome: Logged<Void> = try await transaction(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT r.vial_id, r.subject_id, v.status, p.box_id, p.row_no::int AS row_no, p.column_no::int AS column_no
                FROM reservation r JOIN vial v ON v.id = r.vial_id LEFT JOIN vial_position p ON p.vial_id = v.id
                WHERE r.allocation_id = \(allocationId) AND r.cancelled_at IS NULL ORDER BY r.vial_id FOR UPDATE OF v
                """, logger: logger).named { c in
                (vial: try c("vial_id", as: String.self), subject: try c("subject_id", as: String.self), status: try c("status", as: String.self),
                 box: try c("box_id", as: String?.self), row: try c("row_no", as: Int?.self), column: try c("column_no", as: Int?.self))
            }
            guard !rows.isEmpty else { throw DomainError.notFound(kind: "allocation", id: String(allocationId)) }
            let toPick = rows.filter { $0.status == "reserved" && $0.box != nil }
            guard !toPick.isEmpty else { throw DomainError.conflict(field: "allocationId", rule: "no vial of allocation \(allocationId) is left in storage to pick") }
            if let refused = try await Self.loggingRefusal(.pick, vials: toPick.map(\.vial), patients: toPick.map(\.subject),
                                                           scanned: ["scannedVials": scannedVialIds.joined(separator: ",")], actor: actor, on: conn, logger: logger, {
                () throws(DomainError) in
                try HandOff.check(.pick, field: "scannedVialIds", what: "vial", expected: toPick.map(\.vial), scanned: scannedVialIds)
            }) { return .refused(refused) }
            try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = ANY(\(toPick.map(\.vial)))", logger: logger)
            try await Self.noteStorageFullness(boxes: toPick.compactMap(\.box), actor: actor, on: conn, logger: logger)
            try await Custody.append(toPick.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.vial, action: HandOffStep.pick.action, fromState: "reserved", toState: "reserved",
                             fromLocation: Position(boxId: $0.box!, row: $0.row!, column: $0.column!).label, toLocation: "pharmacy dispatch",
                             details: ["allocation": String(allocationId), "scannedVial": $0.vial])
            }, by: actor, on: conn, logger: logger)
            return .done(())
        }
        try outcome.get()
        return try await pickList(allocationId: allocationId, actor: actor, logger: logger)
    }

    /// Ships reserved vials to the clinical site of their patients in a dry shipper, each vial and the shipper scanned
    /// (rule 9). Refused if the shipper's validated hold time would run out before arrival, or if any vial may not ship
    /// (rule 3, checked by the database too).
    public func shipVials(_ s: ShipmentInput, actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.dispense)
        let v = Validator()
        try v.require(!s.vialIds.isEmpty && s.vialIds.count <= 100, "vialIds", "1 to 100 vials per shipment")
        try v.require(Set(s.vialIds).count == s.vialIds.count, "vialIds", "each vial once")
        try v.require((1...64).contains(s.dryShipperId.count), "dryShipperId", "the dry shipper's id, 1 to 64 characters")
        try v.require((1...64).contains(s.dataLoggerId.count), "dataLoggerId", "the temperature data logger's id, 1 to 64 characters")
        try v.require((1...720).contains(s.validatedHoldHours), "validatedHoldHours", "between 1 and 720 hours")
        for (i, id) in s.vialIds.enumerated() { _ = try VialID(parsing: id, field: "vialIds[\(i)]") }
        let outcome: Logged<String> = try await transaction(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT v.id, v.status, r.subject_id, pt.site_code, coalesce(vial_blockers(v.id), '') AS blockers,
                       (SELECT f.site_code FROM vial_location_history h JOIN box b ON b.id = h.box_id JOIN rack k ON k.id = b.rack_id
                        JOIN freezer f ON f.id = k.freezer_id WHERE h.vial_id = v.id ORDER BY lower(h.during) DESC LIMIT 1) AS depot,
                       (SELECT p.box_id || ':' || chr(64 + p.row_no) || p.column_no FROM vial_position p WHERE p.vial_id = v.id) AS position
                FROM vial v LEFT JOIN reservation r ON r.vial_id = v.id AND r.cancelled_at IS NULL LEFT JOIN patient pt ON pt.subject_id = r.subject_id
                WHERE v.id = ANY(\(s.vialIds)) ORDER BY v.id FOR UPDATE OF v
                """, logger: logger).named { c in
                (id: try c("id", as: String.self), status: try c("status", as: String.self), subject: try c("subject_id", as: String?.self),
                 site: try c("site_code", as: String?.self), blockers: try c("blockers", as: String.self), depot: try c("depot", as: String?.self),
                 position: try c("position", as: String?.self))
            }
            if let missing = s.vialIds.first(where: { id in !rows.contains { $0.id == id } }) {
                throw DomainError.notFound(kind: "vial", id: missing)
            }
            let scanned = ["scannedVials": s.scannedVialIds.joined(separator: ","), "scannedDryShipper": s.scannedDryShipperId, "dryShipper": s.dryShipperId]
            if let refused = try await Self.loggingRefusal(.ship, vials: s.vialIds, patients: rows.compactMap(\.subject), scanned: scanned,
                                                           actor: actor, on: conn, logger: logger, { () throws(DomainError) in
                try HandOff.check(.ship, field: "scannedVialIds", what: "vial", expected: s.vialIds, scanned: s.scannedVialIds)
                try HandOff.check(.ship, field: "scannedDryShipperId", what: "dry shipper", expected: [s.dryShipperId], scanned: [s.scannedDryShipperId])
            }) { return .refused(refused) }
            for r in rows {
                guard r.status == "reserved", let subject = r.subject else {
                    throw DomainError.conflict(field: "vialIds", rule: "vial \(r.id) is \(r.status); only vials reserved for a patient are shipped")
                }
                guard r.site == s.toSite else {
                    throw DomainError.conflict(field: "toSite", rule: "vial \(r.id) is reserved for \(subject) at site \(r.site ?? "?"), not \(s.toSite)")
                }
                guard r.blockers.isEmpty else { throw DomainError.conflict(field: "vialIds", rule: "vial \(r.id) may not ship: \(r.blockers)") }
            }
            let depots = Set(rows.compactMap(\.depot))
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
            let emptied = try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = ANY(\(s.vialIds)) RETURNING box_id", logger: logger)
                .decode(String.self).all()
            try await Self.noteStorageFullness(boxes: emptied, actor: actor, on: conn, logger: logger)
            try await Self.changeVialStatus(s.vialIds, to: .shipped, on: conn, logger: logger)
            var entries = rows.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.id, action: HandOffStep.ship.action, fromState: "reserved", toState: "shipped",
                             fromLocation: $0.position ?? "pharmacy dispatch", toLocation: "shipment \(id)",
                             details: ["shipment": id, "dryShipper": s.dryShipperId, "dataLogger": s.dataLoggerId, "patient": $0.subject!,
                                       "scannedVial": $0.id, "scannedDryShipper": s.scannedDryShipperId])
            }
            entries.append(CustodyEntry(subjectType: "shipment", subjectId: id, action: "shipment.dispatched", toState: "in-transit",
                                        fromLocation: depot, toLocation: s.toSite,
                                        details: ["vials": s.vialIds.joined(separator: ","), "dryShipper": s.dryShipperId, "dataLogger": s.dataLoggerId,
                                                  "validatedHoldHours": String(s.validatedHoldHours), "transitHours": String(transitHours)]))
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            return .done(id)
        }
        return try await shipment(id: try outcome.get(), actor: actor, logger: logger)
    }

    public func shipment(id: String, actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            let rows = try await conn.guardedQuery("""
                SELECT from_site, to_site, dry_shipper_id, data_logger_id, validated_hold_hours, shipped_at, expected_arrival, received_at,
                       logger_max_celsius::float8 AS logger_max_celsius, receipt_excursion,
                       (SELECT array_agg(vial_id ORDER BY vial_id) FROM shipment_vial WHERE shipment_id = s.id) AS vial_ids
                FROM shipment s WHERE id = \(id)
                """, logger: logger).named { c in
                ShipmentRecord(id: id, fromSite: try c("from_site"), toSite: try c("to_site"), dryShipperId: try c("dry_shipper_id"),
                               dataLoggerId: try c("data_logger_id"), validatedHoldHours: try c("validated_hold_hours"), shippedAt: try c("shipped_at"),
                               expectedArrival: try c("expected_arrival"), receivedAt: try c("received_at"), loggerMaxCelsius: try c("logger_max_celsius"),
                               receiptExcursion: try c("receipt_excursion"), vialIds: try c("vial_ids"))
            }
            guard let record = rows.first else { throw DomainError.notFound(kind: "shipment", id: id) }
            return record
        }
    }

    /// The site's pharmacy receives a shipment: each vial scanned out of the dry shipper (rule 9) and the data logger read,
    /// the warmest temperature in transit. Above a product's storage limit, the vials are received but put on hold.
    public func receiveShipment(id: String, loggerMaxCelsius: Double, scannedVialIds: [String], actor: Principal, logger: Logger) async throws -> ShipmentRecord {
        try actor.require(.dispense)
        try Validator().require(loggerMaxCelsius.isFinite && (-273.1...100).contains(loggerMaxCelsius), "loggerMaxCelsius", "the data logger's maximum, -273.1 to 100 °C")
        let outcome: Logged<Void> = try await transaction(logger) { conn in
            guard let (toSite, received) = try await conn.guardedQuery("SELECT to_site, received_at IS NOT NULL FROM shipment WHERE id = \(id) FOR UPDATE", logger: logger)
                .decode((String, Bool).self).all().first else {
                throw DomainError.notFound(kind: "shipment", id: id)
            }
            if received { throw DomainError.conflict(field: "shipmentId", rule: "shipment \(id) was already received") }
            let vials = try await conn.guardedQuery("""
                SELECT v.id, p.storage_max_celsius::float8 AS max_celsius, r.subject_id
                FROM shipment_vial s JOIN vial v ON v.id = s.vial_id JOIN lot l ON l.lot_number = v.lot_number
                JOIN product p ON p.code = l.product_code LEFT JOIN reservation r ON r.vial_id = v.id AND r.cancelled_at IS NULL
                WHERE s.shipment_id = \(id) AND v.status = 'shipped' ORDER BY v.id FOR UPDATE OF v
                """, logger: logger).named { c in
                (id: try c("id", as: String.self), maxCelsius: try c("max_celsius", as: Double.self), subject: try c("subject_id", as: String?.self))
            }
            if let refused = try await Self.loggingRefusal(.receive, vials: vials.map(\.id), patients: vials.compactMap(\.subject),
                                                           scanned: ["scannedVials": scannedVialIds.joined(separator: ","), "shipment": id],
                                                           actor: actor, on: conn, logger: logger, { () throws(DomainError) in
                try HandOff.check(.receive, field: "scannedVialIds", what: "vial", expected: vials.map(\.id), scanned: scannedVialIds)
            }) { return .refused(refused) }
            let warm = vials.filter { loggerMaxCelsius > $0.maxCelsius }.map(\.id)
            try await conn.guardedQuery("""
                UPDATE shipment SET received_at = now(), received_by = \(actor.id), logger_max_celsius = \(loggerMaxCelsius)::numeric(5,1), receipt_excursion = \(!warm.isEmpty)
                WHERE id = \(id)
                """, logger: logger)
            try await Self.changeVialStatus(vials.map(\.id), to: .received, on: conn, logger: logger)
            let text = String(format: "%.1f", loggerMaxCelsius)
            var entries = vials.map {
                CustodyEntry(subjectType: "vial", subjectId: $0.id, action: HandOffStep.receive.action, fromState: "shipped", toState: "received",
                             fromLocation: "shipment \(id)", toLocation: "site \(toSite) pharmacy",
                             details: ["shipment": id, "loggerMaxCelsius": text, "scannedVial": $0.id])
            }
            entries.append(CustodyEntry(subjectType: "shipment", subjectId: id, action: "shipment.received", fromState: "in-transit",
                                        toState: warm.isEmpty ? "received" : "received-with-excursion", toLocation: toSite,
                                        details: ["loggerMaxCelsius": text, "vialsHeld": String(warm.count)]))
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            try await Self.insertHolds(warm.map {
                NewHold(subject: .vial, id: $0, reason: "shipment \(id) data logger recorded \(text) °C, above the storage limit", source: "shipment-excursion", sourceRef: id)
            }, actor: actor, on: conn, logger: logger)
            return .done(())
        }
        try outcome.get()
        return try await shipment(id: id, actor: actor, logger: logger)
    }

    /// Thaws a vial at the site: the vial and the patient band scanned (rule 9), the patient ready today (rule 8), nothing
    /// blocking (rule 3). `Thaw.check` decides; the database decides again (`check_thaw_readiness`, `check_handoff_scanned`).
    /// Every refusal is logged on the vial and the patient.
    public func thawVial(id text: String, scannedVialId: String, scannedSubjectId: String, actor: Principal, logger: Logger) async throws -> VialRecord {
        try actor.require(.dispense)
        let id = try VialID(parsing: text)
        let scanned = ["scannedVial": scannedVialId, "scannedPatient": scannedSubjectId]
        let reserved = try await read(logger) { conn in
            try await conn.guardedQuery("SELECT subject_id FROM reservation WHERE vial_id = \(id.value) AND cancelled_at IS NULL", logger: logger)
                .decode(String.self).all().first
        }
        let outcome: Logged<Void> = try await transaction(logger, refusal: { conn, refusal in
            try await Self.logRefusal(.thaw, refusal, vials: [id.value], patients: reserved.map { [$0] } ?? [], scanned: scanned, actor: actor, on: conn, logger: logger)
        }) { conn in
            let (status, _) = try await Self.lockVial(id.value, on: conn, logger: logger)
            let subject = try await conn.guardedQuery("""
                SELECT r.subject_id FROM reservation r JOIN patient p ON p.subject_id = r.subject_id
                WHERE r.vial_id = \(id.value) AND r.cancelled_at IS NULL FOR SHARE OF p
                """, logger: logger).decode(String.self).all().first
            let readiness = if let subject { try await Self.readinessFacts(subject, lock: false, on: conn, logger: logger) } else { ReadinessFacts?.none }
            let blockers = try await conn.guardedQuery("SELECT vial_blockers(\(id.value))", logger: logger).decode(String?.self).all().first ?? nil
            let facts = ThawFacts(vialId: id.value, status: try VialStatus(stored: status), reservedFor: subject, scannedSubjectId: scannedSubjectId,
                                  scannedVialId: scannedVialId, readiness: readiness, blockers: blockers)
            if let refused = try await Self.loggingRefusal(.thaw, vials: [id.value], patients: subject.map { [$0] } ?? [], scanned: scanned,
                                                           actor: actor, on: conn, logger: logger, { () throws(DomainError) in try Thaw.check(facts) }) {
                return .refused(refused)
            }
            try await Self.changeVialStatus([id.value], to: .thawed, on: conn, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "vial", subjectId: id.value, action: HandOffStep.thaw.action, fromState: "received", toState: "thawed",
                                                  details: ["patient": subject ?? "", "scannedVial": scannedVialId, "scannedPatient": scannedSubjectId]),
                                     by: actor, on: conn, logger: logger)
            return .done(())
        }
        try outcome.get()
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
            let emptied = try await conn.guardedQuery("DELETE FROM vial_position WHERE vial_id = \(id.value) RETURNING box_id", logger: logger)
                .decode(String.self).all()
            try await Self.noteStorageFullness(boxes: emptied, actor: actor, on: conn, logger: logger)
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

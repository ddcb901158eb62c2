import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Records a freezer temperature. A reading above a product's storage limit is an excursion: every vial of
    /// that product that was in the freezer between the previous reading and this one goes on hold, and no other.
    public func recordTemperature(freezerId: String, celsius: Double, measuredAt: Date, probe: String?,
                                  actor: Principal, logger: Logger) async throws -> TemperatureRecord {
        try actor.require(.recordTemperature)
        let v = Validator()
        try v.require(celsius.isFinite && (-273.1...100).contains(celsius), "celsius", "must be a temperature between -273.1 and 100 °C")
        try v.require(measuredAt <= Date().addingTimeInterval(300), "measuredAt", "must not be in the future")
        try v.require((probe?.count ?? 0) <= 100, "probe", "at most 100 characters")
        return try await transaction(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(freezerId) FOR UPDATE", logger: logger)
                .decode(Int.self).all().first != nil else {
                throw DomainError.notFound(kind: "freezer", id: freezerId)
            }
            let previous = try await conn.guardedQuery("""
                SELECT max(measured_at) FROM temperature_reading WHERE freezer_id = \(freezerId) AND measured_at < \(measuredAt)
                """, logger: logger).decode(Date?.self).all().first ?? nil
            let (strictest, limit) = try await conn.guardedQuery("SELECT min(storage_max_celsius)::float8, max(storage_max_celsius)::float8 FROM product", logger: logger)
                .decode((Double?, Double?).self).all()[0]
            let excursion = strictest.map { celsius > $0 } ?? false
            let id = try await conn.guardedQuery("""
                INSERT INTO temperature_reading (freezer_id, measured_at, celsius, probe, recorded_by, excursion)
                VALUES (\(freezerId), \(measuredAt), \(celsius)::numeric(5,1), \(probe), \(actor.id), \(excursion))
                RETURNING id
                """, logger: logger).decode(Int64.self).all()[0]
            var held: [String] = []
            if excursion {
                // The window starts just after the previous reading (the last time the freezer was known in range).
                let from = previous ?? measuredAt
                held = try await conn.guardedQuery("""
                    SELECT DISTINCT h.vial_id FROM vial_location_history h
                    JOIN box b ON b.id = h.box_id JOIN rack r ON r.id = b.rack_id
                    JOIN vial v ON v.id = h.vial_id JOIN lot l ON l.lot_number = v.lot_number JOIN product p ON p.code = l.product_code
                    WHERE r.freezer_id = \(freezerId) AND h.during && tstzrange(\(from), \(measuredAt), '[]')
                      AND \(celsius)::numeric(5,1) > p.storage_max_celsius AND v.status NOT IN ('administered', 'destroyed')
                    ORDER BY h.vial_id
                    """, logger: logger).decode(String.self).all()
                let text = String(format: "%.1f", celsius)
                try await Self.insertHolds(held.map {
                    NewHold(subject: .vial, id: $0, reason: "temperature excursion in \(freezerId): \(text) °C", source: "excursion", sourceRef: String(id))
                }, actor: actor, on: conn, logger: logger)
                try await Custody.append(CustodyEntry(subjectType: "storage", subjectId: freezerId, action: "temperature.excursion",
                                                      reason: "reading of \(text) °C above the storage limit",
                                                      details: ["reading": String(id), "celsius": text, "vialsHeld": String(held.count),
                                                                "warmestProductLimit": limit.map { String(format: "%.1f", $0) } ?? ""]),
                                         by: actor, on: conn, logger: logger)
            }
            return TemperatureRecord(id: id, freezerId: freezerId, measuredAt: measuredAt, celsius: (celsius * 10).rounded() / 10,
                                     probe: probe, excursion: excursion, heldVials: held)
        }
    }
}

extension Store {
    /// A freezer's readings, newest first, each excursion with the vials it put on hold (active or lifted since).
    public func temperatureReadings(freezerId: String, limit: Int, actor: Principal, logger: Logger) async throws -> [TemperatureRecord] {
        try actor.require(.readInventory)
        try Validator().require((1...5000).contains(limit), "limit", "between 1 and 5000")
        return try await read(logger) { conn in
            guard try await conn.guardedQuery("SELECT 1 FROM freezer WHERE id = \(freezerId)", logger: logger).decode(Int.self).all().first != nil else {
                throw DomainError.notFound(kind: "freezer", id: freezerId)
            }
            return try await conn.guardedQuery("""
                SELECT t.id, t.measured_at, t.celsius::float8 AS celsius, t.probe, t.excursion,
                       coalesce((SELECT array_agg(h.subject_id ORDER BY h.subject_id) FROM hold h
                                 WHERE h.source = 'excursion' AND h.subject_type = 'vial' AND h.source_ref = t.id::text), '{}') AS held_vials
                FROM temperature_reading t WHERE t.freezer_id = \(freezerId) ORDER BY t.measured_at DESC LIMIT \(limit)
                """, logger: logger).named { c in
                TemperatureRecord(id: try c("id"), freezerId: freezerId, measuredAt: try c("measured_at"), celsius: try c("celsius"), probe: try c("probe"),
                                  excursion: try c("excursion"), heldVials: try c("held_vials"))
            }
        }
    }
}

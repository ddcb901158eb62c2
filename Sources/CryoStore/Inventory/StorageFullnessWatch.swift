import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Issue 28: after vials were placed into, moved between or taken out of `boxes` (in the same transaction), looks
    /// at those boxes and their freezers once (`storage_fullness_crossings`, applying `storage_nearly_full`, the twin of
    /// `StorageFullness.isNearlyFull`) and appends `box.nearly-full` / `freezer.nearly-full` for each that has just
    /// crossed 90 %: one statement however many vials moved, and nothing more while it stays above.
    static func noteStorageFullness(boxes: [String], actor: Principal, on conn: PostgresConnection, logger: Logger) async throws {
        let boxes = Array(Set(boxes)).sorted()
        guard !boxes.isEmpty else { return }
        let crossed = try await conn.guardedQuery("""
            SELECT subject_type, subject_id, used, capacity FROM storage_fullness_crossings(\(boxes)::text[])
            """, logger: logger).named { c in
            (type: try c("subject_type", as: String.self), id: try c("subject_id", as: String.self),
             used: try c("used", as: Int.self), capacity: try c("capacity", as: Int.self))
        }
        try await Custody.append(crossed.map { s in
            CustodyEntry(subjectType: "storage", subjectId: s.id, action: "\(s.type).nearly-full",
                         reason: "\(s.used) of \(s.capacity) positions hold a vial",
                         details: ["used": String(s.used), "capacity": String(s.capacity)])
        }, by: actor, on: conn, logger: logger)
    }
}

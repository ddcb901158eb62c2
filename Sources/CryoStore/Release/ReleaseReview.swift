import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// The tests QC records and QA reviews for a lot, with their limits, from its specification version.
    public func lotSpecification(lotNumber: String, actor: Principal, logger: Logger) async throws -> LotSpecification {
        try actor.require(.readInventory)
        return try await read(logger) { conn in
            guard let l = try await conn.guardedQuery("""
                SELECT l.product_code, l.spec_version, to_char(s.effective_from, 'YYYY-MM-DD')
                FROM lot l LEFT JOIN spec_version s ON s.product_code = l.product_code AND s.version = l.spec_version
                WHERE l.lot_number = \(lotNumber)
                """, logger: logger).decode((String, Int?, String?).self).all().first else {
                throw DomainError.notFound(kind: "lot", id: lotNumber)
            }
            var tests: [SpecTest] = []
            if let version = l.1 {
                tests = try await conn.guardedQuery("""
                    SELECT code, name, kind, unit, min_value::float8 AS min_value, max_value::float8 AS max_value, expected FROM spec_test
                    WHERE product_code = \(l.0) AND version = \(version) ORDER BY code
                    """, logger: logger).named { c in
                    SpecTest(code: try c("code"), name: try c("name"), kind: try c("kind"), unit: try c("unit"), min: try c("min_value"),
                             max: try c("max_value"), expected: try c("expected"))
                }
            }
            return LotSpecification(lotNumber: lotNumber, productCode: l.0, version: l.1, effectiveFrom: l.2, tests: tests)
        }
    }

    /// Active holds on the vials of a lot (the lot's own holds: `listHolds(subject: .lot, …)`).
    public func vialHolds(lotNumber: String, actor: Principal, logger: Logger) async throws -> [HoldRecord] {
        try actor.require(.readInventory)
        return try await holds(where: "h.lifted_at IS NULL AND h.subject_type = 'vial' AND h.subject_id IN (SELECT id FROM vial WHERE lot_number = $1)",
                               bind: lotNumber, logger: logger)
    }

    /// A donor's active look-back holds and dosed patients; an auditor's read of the patients is logged.
    public func lookBackStatus(donorCode: String, actor: Principal, logger: Logger) async throws -> LookBackStatus {
        try actor.require(.readInventory)
        let holds = try await holds(where: "h.lifted_at IS NULL AND h.source = 'look-back' AND h.source_ref = $1", bind: donorCode, logger: logger)
        let dosed = try await read(logger) { conn in try await Self.dosedPatients(donorCode: donorCode, on: conn, logger: logger) }
        try await logAuditorRead(of: Array(Set(dosed.map(\.subjectId))).sorted(), what: "donor look-back", actor: actor, logger: logger)
        return LookBackStatus(donorCode: donorCode, lotHolds: holds.filter { $0.subjectType == "lot" },
                              vialHolds: holds.filter { $0.subjectType == "vial" }, dosedPatients: dosed)
    }
}

import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Patients awaiting a dose: enrolled, no live allocation, infusion not past (all of them, or only those named).
    /// The planner's demands and the pharmacy board's list, so both mean the same patients.
    static func patientsAwaitingDose(only: [String]?, on conn: PostgresConnection, logger: Logger) async throws -> [AwaitingDose] {
        try await conn.guardedQuery("""
            SELECT p.subject_id, p.study_code, s.product_code, p.cohort_id, p.target_cells, p.site_code,
                   to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on, p.anti_hla
            FROM patient p JOIN study s ON s.code = p.study_code
            WHERE p.status = 'enrolled' AND p.infusion_on >= current_date
              AND NOT EXISTS (SELECT 1 FROM allocation a WHERE a.subject_id = p.subject_id AND a.status <> 'cancelled')
              AND (\(only)::text[] IS NULL OR p.subject_id = ANY(\(only)::text[]))
            ORDER BY p.subject_id
            """, logger: logger).named { c in
            AwaitingDose(subjectId: try c("subject_id"), studyCode: try c("study_code"), productCode: try c("product_code"), cohortId: try c("cohort_id"),
                         targetCells: try c("target_cells"), siteCode: try c("site_code"), infusionOn: try c("infusion_on"), antiHla: try c("anti_hla"))
        }
    }

    /// The pharmacy's work: who awaits a plan, which allocations are on their way, which shipments are out.
    /// An auditor's read of these patient-linked records is logged.
    public func pharmacyBoard(actor: Principal, logger: Logger) async throws -> PharmacyBoard {
        try actor.require(.readInventory)
        let board: PharmacyBoard = try await read(logger) { conn in
            let awaiting = try await Self.patientsAwaitingDose(only: nil, on: conn, logger: logger)
                .sorted { ($0.siteCode, $0.infusionOn, $0.subjectId) < ($1.siteCode, $1.infusionOn, $1.subjectId) }
            let rows = try await conn.guardedQuery("""
                SELECT a.id AS allocation_id, a.plan_id, a.subject_id, p.site_code, to_char(p.infusion_on, 'YYYY-MM-DD') AS infusion_on, a.lot_number,
                       r.vial_id, v.status, EXISTS (SELECT 1 FROM vial_position vp WHERE vp.vial_id = v.id) AS in_storage,
                       (SELECT sv.shipment_id FROM shipment_vial sv WHERE sv.vial_id = v.id) AS shipment_id, vial_blockers(v.id) AS blockers
                FROM allocation a JOIN patient p ON p.subject_id = a.subject_id
                JOIN reservation r ON r.allocation_id = a.id AND r.cancelled_at IS NULL JOIN vial v ON v.id = r.vial_id
                WHERE a.status = 'reserved'
                ORDER BY p.site_code, p.infusion_on, a.subject_id, r.vial_id
                """, logger: logger).named { $0 }
            var allocations: [AllocationProgress] = []
            for c in rows {
                let vial = DispensingVial(vialId: try c("vial_id"), status: try VialStatus(stored: c("status")), inStorage: try c("in_storage"),
                                          shipmentId: try c("shipment_id"), blockers: try c("blockers"))
                let allocationId: Int64 = try c("allocation_id")
                if allocations.last?.allocationId == allocationId {
                    allocations[allocations.count - 1].vials.append(vial)
                } else {
                    allocations.append(AllocationProgress(allocationId: allocationId, planId: try c("plan_id"), subjectId: try c("subject_id"),
                                                          siteCode: try c("site_code"), infusionOn: try c("infusion_on"), lotNumber: try c("lot_number"), vials: [vial]))
                }
            }
            let shipments = try await conn.guardedQuery("""
                SELECT id, from_site, to_site, dry_shipper_id, data_logger_id, validated_hold_hours, shipped_at, expected_arrival, received_at,
                       logger_max_celsius::float8 AS logger_max_celsius, receipt_excursion,
                       (SELECT array_agg(vial_id ORDER BY vial_id) FROM shipment_vial WHERE shipment_id = s.id) AS vial_ids
                FROM shipment s WHERE received_at IS NULL OR received_at > now() - interval '14 days' ORDER BY shipped_at DESC, id DESC LIMIT 50
                """, logger: logger).named { c in
                ShipmentRecord(id: try c("id"), fromSite: try c("from_site"), toSite: try c("to_site"), dryShipperId: try c("dry_shipper_id"),
                               dataLoggerId: try c("data_logger_id"), validatedHoldHours: try c("validated_hold_hours"), shippedAt: try c("shipped_at"),
                               expectedArrival: try c("expected_arrival"), receivedAt: try c("received_at"), loggerMaxCelsius: try c("logger_max_celsius"),
                               receiptExcursion: try c("receipt_excursion"), vialIds: try c("vial_ids"))
            }
            return PharmacyBoard(awaiting: awaiting, allocations: allocations, shipments: shipments)
        }
        try await logAuditorRead(of: Array(Set(board.awaiting.map(\.subjectId) + board.allocations.map(\.subjectId))).sorted(),
                                 what: "pharmacy board", actor: actor, logger: logger)
        return board
    }

    /// A plan as stored when it was made (assignments with their explanations, unassigned demands with their
    /// reasons, each level's proof status), and what has been committed from it.
    public func allocationPlan(id: UUID, actor: Principal, logger: Logger) async throws -> StoredPlan {
        try actor.require(.readInventory)
        let stored = try await read(logger) { conn -> StoredPlan in
            guard let r = try await conn.guardedQuery("""
                SELECT to_char(p.as_of, 'YYYY-MM-DD') AS as_of, p.plan::text AS plan, p.vials::text AS vials,
                       (SELECT coalesce(jsonb_object_agg(d->>'id', d->>'kind'), '{}')::text FROM jsonb_array_elements(p.instance->'demands') d) AS kinds,
                       u.name AS created_by, p.created_at
                FROM allocation_plan p JOIN app_user u ON u.id = p.created_by WHERE p.id = \(id)
                """, logger: logger).named({ $0 }).first else {
                throw DomainError.notFound(kind: "allocation plan", id: id.uuidString.lowercased())
            }
            let committed = try await conn.guardedQuery("SELECT subject_id, id FROM allocation WHERE plan_id = \(id) ORDER BY id", logger: logger)
                .decode((String, Int64).self).all()
            let decoder = JSONDecoder()
            let wire = try decoder.decode(PlanWire.self, from: Data(try r("plan", as: String.self).utf8))
            let vials = try decoder.decode([String: [String]].self, from: Data(try r("vials", as: String.self).utf8))
            let kinds = try decoder.decode([String: String].self, from: Data(try r("kinds", as: String.self).utf8))
            let plan = PlanRecord(
                id: id, asOf: try r("as_of"), objective: wire.levels.map(\.value), provenOptimal: wire.solver.provenOptimal, solveSeconds: wire.solver.seconds,
                assignments: wire.assignments.sorted { $0.demand < $1.demand }.map {
                    PlannedAssignment(demand: $0.demand, kind: kinds[$0.demand] ?? "patient", lot: $0.lot, vials: $0.vials, vialIds: vials[$0.demand] ?? [],
                                      explanation: $0.explanation)
                },
                unassigned: wire.unassigned.sorted { $0.demand < $1.demand }.map { ["demand": $0.demand, "kind": kinds[$0.demand] ?? "patient", "reason": $0.reason] })
            return StoredPlan(plan: plan, levels: wire.levels.map { PlanLevel(name: $0.name, value: $0.value, provenOptimal: $0.provenOptimal, bound: $0.bound, method: $0.method) },
                              notes: wire.solver.notes, createdBy: try r("created_by"), createdAt: try r("created_at"),
                              committed: Dictionary(committed, uniquingKeysWith: { _, last in last }))
        }
        let subjects = stored.plan.assignments.filter { $0.kind == "patient" }.map(\.demand) + stored.plan.unassigned.filter { $0["kind"] == "patient" }.compactMap { $0["demand"] }
        try await logAuditorRead(of: subjects.sorted(), what: "allocation plan \(id.uuidString.lowercased())", actor: actor, logger: logger)
        return stored
    }

    /// Vials reserved for a patient and received at a clinical site or thawed there, by site and patient.
    public func bedsideVials(actor: Principal, logger: Logger) async throws -> [BedsideVial] {
        try actor.require(.readInventory)
        let vials = try await read(logger) { conn in
            var vials = try await conn.guardedQuery("""
                SELECT v.id, r.subject_id, pt.site_code, v.lot_number, l.product_code, v.status, pr.thaw_to_infusion_minutes, v.thawed_at,
                       thaw_window_closes_at(v.id) AS closes_at, vial_blockers(v.id) AS blockers
                FROM vial v JOIN reservation r ON r.vial_id = v.id AND r.cancelled_at IS NULL JOIN patient pt ON pt.subject_id = r.subject_id
                JOIN lot l ON l.lot_number = v.lot_number JOIN product pr ON pr.code = l.product_code
                WHERE v.status IN ('received', 'thawed')
                ORDER BY pt.site_code, r.subject_id, v.id
                """, logger: logger).named { c in
                BedsideVial(vialId: try c("id"), subjectId: try c("subject_id"), siteCode: try c("site_code"), lotNumber: try c("lot_number"),
                            productCode: try c("product_code"), status: try VialStatus(stored: try c("status")),
                            thawLimitMinutes: try c("thaw_to_infusion_minutes"), thawedAt: try c("thawed_at"), infuseBy: try c("closes_at"),
                            blockers: try c("blockers"))
            }
            var readiness: [String: InfusionReadinessRecord] = [:]
            for subject in Set(vials.map(\.subjectId)) { readiness[subject] = try await Self.readinessRecord(subject, on: conn, logger: logger) }
            for i in vials.indices { vials[i].readiness = readiness[vials[i].subjectId] }
            return vials
        }
        try await logAuditorRead(of: Array(Set(vials.map(\.subjectId))).sorted(), what: "bedside vials", actor: actor, logger: logger)
        return vials
    }
}

/// The parts of `cryoledger.allocation-plan/v1` (PlanWriter) a stored plan is shown from.
private struct PlanWire: Decodable {
    struct Assigned: Decodable { var demand: String, lot: String, vials: Int, explanation: String }
    struct Left: Decodable { var demand: String, reason: String }
    struct Level: Decodable { var name: String, value: Int, provenOptimal: Bool, bound: Int?, method: String }
    struct Solver: Decodable { var seconds: Double, provenOptimal: Bool, notes: [String] }
    var assignments: [Assigned]
    var unassigned: [Left]
    var levels: [Level]
    var solver: Solver
}

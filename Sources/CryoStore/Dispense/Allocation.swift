import AllocationOptimizer
import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Builds the FORMAT.md instance from the live state: stored vials that rule 3 (`vial_blockers`) lets through, per lot
    /// and depot; patients awaiting a dose; open cohort places; routes.
    public func allocationInstance(_ req: PlanRequest, logger: Logger) async throws -> (instance: AllocationInstance, json: Data, vialsByLot: [String: [String]]) {
        let v = Validator()
        try v.require((0...50).contains(req.doseTolerancePct), "doseTolerancePct", "between 0 and 50")
        try v.require((0...365).contains(req.expiryMarginDays), "expiryMarginDays", "between 0 and 365")
        return try await read(logger) { conn in
            let asOfText = try await conn.guardedQuery("SELECT to_char(current_date, 'YYYY-MM-DD')", logger: logger).decode(String.self).all()[0]
            guard let asOf = Day(iso: asOfText) else { throw StoreError.configuration("the database's current_date \(asOfText) is not a calendar day") }
            func day(_ text: String) throws -> Day {
                guard let d = Day(iso: text) else { throw StoreError.configuration("the database holds \(text), not a calendar day") }
                return d
            }
            // Available vials, in pick order, with their lot and depot.
            let vials = try await conn.guardedQuery("""
                SELECT v.id, l.lot_number, f.site_code
                FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                JOIN vial_position p ON p.vial_id = v.id JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
                WHERE v.status = 'stored' AND vial_blockers(v.id) IS NULL
                ORDER BY l.lot_number, f.site_code, b.id, p.row_no, p.column_no
                """, logger: logger).decode((String, String, String).self).all()
            var vialsByKey: [String: [String]] = [:]
            var keys: [(lot: String, depot: String)] = []
            let multiDepot = Dictionary(grouping: vials, by: \.1).mapValues { Set($0.map(\.2)).count > 1 }
            for (id, lot, depot) in vials {
                let key = multiDepot[lot]! ? "\(lot)@\(depot)" : lot
                if vialsByKey[key] == nil { keys.append((lot, depot)) }
                vialsByKey[key, default: []].append(id)
            }
            let lotRows = try await conn.guardedQuery("""
                SELECT l.lot_number, l.product_code, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on, l.cells_per_vial,
                       coalesce((SELECT array_agg(h.allele ORDER BY h.locus, h.copy) FROM donor_hla h WHERE h.donor_code = l.donor_code), '{}') AS donor_hla,
                       coalesce(d.restricted_to, '{}') AS restricted_to
                FROM lot l LEFT JOIN lot_disposition d ON d.lot_number = l.lot_number
                WHERE l.lot_number = ANY(\(Array(Set(keys.map(\.lot)))))
                """, logger: logger).named { c in
                (lotNumber: try c("lot_number", as: String.self), product: try c("product_code", as: String.self), expiresOn: try c("expires_on", as: String.self),
                 cellsPerVial: try c("cells_per_vial", as: Int64.self), donorHla: try c("donor_hla", as: [String].self),
                 restrictedTo: try c("restricted_to", as: [String].self))
            }
            let lotInfo = Dictionary(uniqueKeysWithValues: lotRows.map { ($0.lotNumber, $0) })
            var lots: [AllocationOptimizer.Lot] = []
            var restricted: [String: Set<String>] = [:]
            for (lot, depot) in keys {
                let key = multiDepot[lot]! ? "\(lot)@\(depot)" : lot
                let info = lotInfo[lot]!
                if !info.restrictedTo.isEmpty { restricted[key] = Set(info.restrictedTo) }
                lots.append(AllocationOptimizer.Lot(id: key, product: info.product, status: "released", expiry: try day(info.expiresOn),
                                                    cellsPerVial: Int(info.cellsPerVial), vialsAvailable: vialsByKey[key]!.count, depot: depot, donorHla: info.donorHla))
            }
            let patients = try await Self.patientsAwaitingDose(only: req.patients, on: conn, logger: logger)
            if let wanted = req.patients, let missing = wanted.first(where: { w in !patients.contains { $0.subjectId == w } }) {
                throw DomainError.conflict(field: "patients", rule: "patient \(missing) is not awaiting a dose (unknown, already allocated, dosed, withdrawn or infusion date past)")
            }
            var demands: [Demand] = []
            func excluded(_ subject: String) -> [String] { restricted.filter { !$0.value.contains(subject) }.map(\.key).sorted() }
            for p in patients {
                demands.append(Demand(id: p.subjectId, kind: .patient, product: p.productCode, cohort: p.cohortId, targetCells: Int(p.targetCells),
                                      site: p.siteCode, infusionDate: try day(p.infusionOn), antiHla: p.antiHla, excludedLots: excluded(p.subjectId)))
            }
            if req.patients == nil {
                // Open cohort places not yet filled: planned at the cohort's latest enrolling site (else the study's first),
                // for infusion slot-lead days from now, at the dose level's flat dose or per-kg dose times the reference weight.
                let slots = try await conn.guardedQuery("""
                    SELECT c.id AS cohort_id, s.product_code,
                           CASE d.basis WHEN 'flat' THEN d.target_cells ELSE round(d.target_cells * s.reference_weight_kg)::bigint END AS target_cells,
                           coalesce((SELECT p.site_code FROM patient p WHERE p.cohort_id = c.id ORDER BY p.enrolled_at DESC LIMIT 1),
                                    (SELECT min(site_code) FROM study_site WHERE study_code = s.code)) AS site_code,
                           to_char(current_date + s.slot_lead_days, 'YYYY-MM-DD') AS infusion_on,
                           c.capacity - (SELECT count(*) FROM patient p WHERE p.cohort_id = c.id AND p.status <> 'withdrawn')::int AS open_places
                    FROM cohort c JOIN study s ON s.code = c.study_code JOIN dose_level d ON d.study_code = c.study_code AND d.code = c.dose_code
                    WHERE c.state IN ('open', 'expanded') ORDER BY c.id
                    """, logger: logger).named { c in
                    (cohort: try c("cohort_id", as: String.self), product: try c("product_code", as: String.self), targetCells: try c("target_cells", as: Int64.self),
                     site: try c("site_code", as: String.self), infusionOn: try c("infusion_on", as: String.self), openPlaces: try c("open_places", as: Int.self))
                }
                for s in slots where s.openPlaces > 0 {
                    for n in 1...s.openPlaces {
                        demands.append(Demand(id: "\(s.cohort)#\(n)", kind: .slot, product: s.product, cohort: s.cohort, targetCells: Int(s.targetCells), site: s.site,
                                              infusionDate: try day(s.infusionOn), antiHla: [], excludedLots: restricted.keys.sorted()))
                    }
                }
            }
            let routeRows = try await conn.guardedQuery("SELECT from_site, to_site, transit_days FROM route ORDER BY from_site, to_site", logger: logger)
                .decode((String, String, Int).self).all()
            let instance = AllocationInstance(
                asOf: asOf, policy: AllocationPolicy(doseTolerancePct: req.doseTolerancePct, expiryMarginDays: req.expiryMarginDays, cohortLots: req.cohortLots),
                lots: lots, demands: demands, routes: routeRows.map { Route(from: $0.0, to: $0.1, days: $0.2) })
            let json = try AllocationInstanceWriter.json(instance)
            return (instance, json, vialsByKey)
        }
    }

    /// Pharmacy plans: the instance from the database, solved by the optimizer; the plan is kept (with its
    /// instance, for export) so that commitAllocation can reserve exactly what was shown.
    public func planAllocation(_ req: PlanRequest, actor: Principal, logger: Logger) async throws -> PlanRecord {
        try actor.require(.allocate)
        let (instance, json, vialsByLot) = try await allocationInstance(req, logger: logger)
        let options = SolveOptions(timeLimitSeconds: req.timeLimitSeconds ?? 20)
        let result = await Self.offloaded { AllocationSolver.solve(instance, options: options) }
        StoreMetrics.solveTime.recordSeconds(result.solveSeconds)
        let kinds = Dictionary(uniqueKeysWithValues: instance.demands.map { ($0.id, $0.kind.rawValue) })
        var cursor: [String: Int] = [:]
        var assignments: [PlannedAssignment] = []
        for a in result.assignments.sorted(by: { $0.demand < $1.demand }) {
            var ids: [String] = []
            if kinds[a.demand] == "patient" {
                let start = cursor[a.lot, default: 0]
                ids = Array(vialsByLot[a.lot]![start..<(start + a.vials)])
                cursor[a.lot] = start + a.vials
            }
            assignments.append(PlannedAssignment(demand: a.demand, kind: kinds[a.demand]!, lot: a.lot, vials: a.vials, vialIds: ids, explanation: a.explanation))
        }
        let unassigned = result.unassigned.sorted { $0.demand < $1.demand }.map { ["demand": $0.demand, "kind": kinds[$0.demand]!, "reason": $0.reason] }
        let id = UUID()
        let plan = PlanRecord(id: id, asOf: instance.asOf.description, objective: result.objective,
                              provenOptimal: result.levels.allSatisfy(\.provenOptimal), solveSeconds: result.solveSeconds,
                              assignments: assignments, unassigned: unassigned)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let planJSON = String(decoding: result.planJSON(), as: UTF8.self)
        let vialsJSON = String(decoding: try encoder.encode(Dictionary(uniqueKeysWithValues: assignments.filter { $0.kind == "patient" }.map { ($0.demand, $0.vialIds) })), as: UTF8.self)
        try await transaction(logger) { conn in
            try await conn.guardedQuery("""
                INSERT INTO allocation_plan (id, as_of, instance, plan, vials, created_by)
                VALUES (\(id), \(plan.asOf)::date, \(String(decoding: json, as: UTF8.self))::jsonb, \(planJSON)::jsonb, \(vialsJSON)::jsonb, \(actor.id))
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "allocation", subjectId: id.uuidString.lowercased(), action: "allocation.planned",
                                                  details: ["objective": result.objective.map(String.init).joined(separator: ","),
                                                            "assignments": String(assignments.count), "unassigned": String(unassigned.count)]),
                                     by: actor, on: conn, logger: logger)
        }
        return plan
    }

    /// The instance a plan was made from, in FORMAT.md v1, for `cryoledger allocate solve` or the reference solver.
    public func allocationPlanInstance(id: UUID, actor: Principal, logger: Logger) async throws -> Data {
        try actor.require(.readInventory)
        guard let text = try await read(logger, { conn in
            try await conn.guardedQuery("SELECT instance::text FROM allocation_plan WHERE id = \(id)", logger: logger).decode(String.self).all().first
        }) else { throw DomainError.notFound(kind: "allocation plan", id: id.uuidString.lowercased()) }
        return Data(text.utf8)
    }

    /// Reserves a plan's vials for its patients, atomically: if any vial was taken, held, or its lot changed,
    /// or a patient was allocated meanwhile, nothing is reserved and the error lists every change.
    public func commitAllocation(planId: UUID, patients only: [String]?, actor: Principal, logger: Logger) async throws -> [CommittedAllocation] {
        try actor.require(.allocate)
        return try await transaction(logger) { conn in
            guard let (vialsText, lotsText) = try await conn.guardedQuery("""
                SELECT vials::text, (SELECT jsonb_object_agg(a->>'demand', a->>'lot')::text FROM jsonb_array_elements(plan->'assignments') a) FROM allocation_plan WHERE id = \(planId)
                """, logger: logger).decode((String, String?).self).all().first else {
                throw DomainError.notFound(kind: "allocation plan", id: planId.uuidString.lowercased())
            }
            var vialsOf = try JSONDecoder().decode([String: [String]].self, from: Data(vialsText.utf8))
            let lotOf = try JSONDecoder().decode([String: String].self, from: Data((lotsText ?? "{}").utf8))
            if let only {
                if let stray = only.first(where: { vialsOf[$0] == nil }) {
                    throw DomainError.invalid(field: "patients", rule: "the plan assigns nothing to \(stray)")
                }
                vialsOf = vialsOf.filter { only.contains($0.key) }
            }
            guard !vialsOf.isEmpty else { throw DomainError.conflict(field: "planId", rule: "the plan assigns no vial to any patient") }
            let subjects = vialsOf.keys.sorted()
            let allVials = vialsOf.values.flatMap { $0 }.sorted()
            // Lock in a fixed order (patients, then vials by id) so concurrent commits queue instead of deadlocking.
            let patientRows = try await conn.guardedQuery("""
                SELECT p.subject_id, p.status, EXISTS (SELECT 1 FROM allocation a WHERE a.subject_id = p.subject_id AND a.status <> 'cancelled')
                FROM patient p WHERE p.subject_id = ANY(\(subjects)) ORDER BY p.subject_id FOR UPDATE
                """, logger: logger).decode((String, String, Bool).self).all()
            let vialRows = try await conn.guardedQuery("""
                SELECT v.id, v.status, coalesce(vial_blockers(v.id), '') FROM vial v WHERE v.id = ANY(\(allVials)) ORDER BY v.id FOR UPDATE
                """, logger: logger).decode((String, String, String).self).all()
            var changes: [String] = []
            for (subject, status, allocated) in patientRows {
                if status != "enrolled" { changes.append("patient \(subject) is \(status)") }
                if allocated { changes.append("patient \(subject) was allocated meanwhile") }
            }
            for (id, status, blockers) in vialRows {
                if status != "stored" { changes.append("vial \(id) is \(status)") }
                if !blockers.isEmpty { changes.append("vial \(id): \(blockers)") }
            }
            guard changes.isEmpty else {
                throw DomainError.conflict(field: "planId", rule: "the inventory changed since planning; plan again. Changes: " + changes.joined(separator: "; "))
            }
            var out: [CommittedAllocation] = []
            var entries: [CustodyEntry] = []
            for subject in subjects {
                let vials = vialsOf[subject]!
                let lot = String(lotOf[subject]!.split(separator: "@")[0])
                let allocationId = try await conn.guardedQuery("""
                    INSERT INTO allocation (plan_id, subject_id, lot_number, vial_count, created_by)
                    VALUES (\(planId), \(subject), \(lot), \(vials.count), \(actor.id)) RETURNING id
                    """, logger: logger).decode(Int64.self).all()[0]
                try await conn.guardedQuery("""
                    INSERT INTO reservation (allocation_id, vial_id, subject_id) SELECT \(allocationId), unnest(\(vials)::text[]), \(subject)
                    """, logger: logger)
                out.append(CommittedAllocation(allocationId: allocationId, subjectId: subject, lotNumber: lot, vialIds: vials))
                entries += vials.map {
                    CustodyEntry(subjectType: "vial", subjectId: $0, action: "vial.reserved", fromState: "stored", toState: "reserved",
                                 details: ["patient": subject, "allocation": String(allocationId)])
                }
                entries.append(CustodyEntry(subjectType: "patient", subjectId: subject, action: "patient.allocated",
                                            details: ["allocation": String(allocationId), "lot": lot, "vials": vials.joined(separator: ",")]))
                entries.append(CustodyEntry(subjectType: "allocation", subjectId: String(allocationId), action: "allocation.committed", toState: "reserved",
                                            details: ["plan": planId.uuidString.lowercased(), "patient": subject, "lot": lot, "vials": String(vials.count)]))
            }
            try await Self.changeVialStatus(allVials, to: .reserved, on: conn, logger: logger)
            try await Custody.append(entries, by: actor, on: conn, logger: logger)
            return out
        }
    }
}

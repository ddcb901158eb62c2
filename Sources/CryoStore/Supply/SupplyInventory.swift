import CryoDomain
import CryoSupply
import Foundation
import Logging
import PostgresNIO

/// Defaults for what a study has no stored assumption for (docs/supply.md).
public enum SupplyDefaults {
    public static let dltProbability = 0.1
    public static let patientsPerMonth = 0.5
    public static let referenceWeightKg = 70.0
    public static let storageSiteCapacity: Int? = nil
}

extension Store {
    /// Today's inventory and the studies' stored assumptions as the forecast's inputs: lots released or in
    /// quarantine and unexpired, their stored vials by site, donor HLA; study dose levels, sites and routes;
    /// the share of enrolled patients with each anti-HLA antibody.
    public func supplyInputs(months: Int, today: CalendarDay, actor: Principal, logger: Logger) async throws -> SupplyInputs {
        try actor.require(.forecastSupply)
        return try await read(logger) { conn in
            let todayText = today.description
            let lotRows = try await conn.guardedQuery("""
                SELECT l.lot_number, l.product_code, l.donor_code, l.cells_per_vial, l.status, l.expires_on::text AS expires_on,
                       f.site_code, count(*)::int AS vials,
                       coalesce((SELECT array_agg(h.allele ORDER BY h.locus, h.copy) FROM donor_hla h WHERE h.donor_code = l.donor_code), '{}') AS hla,
                       coalesce((SELECT a.qc_lead_days FROM supply_study_assumption a JOIN study s ON s.code = a.study_code
                                 WHERE s.product_code = l.product_code ORDER BY a.qc_lead_days LIMIT 1), 21) AS qc_lead_days
                FROM lot l
                JOIN vial v ON v.lot_number = l.lot_number AND v.status = 'stored'
                JOIN vial_position p ON p.vial_id = v.id
                JOIN box b ON b.id = p.box_id JOIN rack r ON r.id = b.rack_id JOIN freezer f ON f.id = r.freezer_id
                WHERE l.status IN ('released', 'quarantine') AND l.expires_on > \(todayText)::date
                  AND NOT EXISTS (SELECT 1 FROM hold h WHERE h.lifted_at IS NULL
                                  AND ((h.subject_type = 'vial' AND h.subject_id = v.id) OR (h.subject_type = 'freezer' AND h.subject_id = f.id)
                                       OR (h.subject_type = 'donor' AND h.subject_id = l.donor_code)))
                GROUP BY l.lot_number, f.site_code
                ORDER BY l.lot_number, f.site_code
                """, logger: logger).named { c in
                (lot: try c("lot_number", as: String.self), product: try c("product_code", as: String.self), donor: try c("donor_code", as: String.self),
                 cells: try c("cells_per_vial", as: Int64.self), status: try c("status", as: String.self), expires: try c("expires_on", as: String.self),
                 site: try c("site_code", as: String.self), vials: try c("vials", as: Int32.self), hla: try c("hla", as: [String].self),
                 qcLead: try c("qc_lead_days", as: Int32.self))
            }
            let studyRows = try await conn.guardedQuery("""
                SELECT s.code, s.product_code, a.dlt_probabilities, a.screen_failure, a.rate_shape, a.max_cohorts
                FROM study s LEFT JOIN supply_study_assumption a ON a.study_code = s.code ORDER BY s.code
                """, logger: logger).named { c in
                (code: try c("code", as: String.self), product: try c("product_code", as: String.self),
                 dlt: try c("dlt_probabilities", as: [Double]?.self), screen: try c("screen_failure", as: Double?.self),
                 shape: try c("rate_shape", as: Double?.self), maxCohorts: try c("max_cohorts", as: Int32?.self))
            }
            let levelRows = try await conn.guardedQuery("""
                SELECT d.study_code, d.code, d.target_cells, d.basis,
                       EXISTS (SELECT 1 FROM cohort c WHERE c.study_code = d.study_code AND c.dose_code = d.code AND c.state IN ('open', 'expanded')) AS open
                FROM dose_level d ORDER BY d.study_code, d.ordinal
                """, logger: logger).named { c in
                (study: try c("study_code", as: String.self), code: try c("code", as: String.self), cells: try c("target_cells", as: Int64.self),
                 basis: try c("basis", as: String.self), open: try c("open", as: Bool.self))
            }
            let siteRows = try await conn.guardedQuery("""
                SELECT ss.study_code, ss.site_code, a.patients_per_month, (a.activation_on - \(todayText)::date) AS activation_day
                FROM study_site ss LEFT JOIN supply_site_assumption a ON a.study_code = ss.study_code AND a.site_code = ss.site_code
                ORDER BY ss.study_code, ss.site_code
                """, logger: logger).named { c in
                (study: try c("study_code", as: String.self), site: try c("site_code", as: String.self),
                 rate: try c("patients_per_month", as: Double?.self), activation: try c("activation_day", as: Int32?.self))
            }
            let routeRows = try await conn.guardedQuery("SELECT from_site, to_site, transit_days FROM route ORDER BY from_site, to_site", logger: logger).named { c in
                (from: try c("from_site", as: String.self), to: try c("to_site", as: String.self), days: try c("transit_days", as: Int32.self))
            }
            let antibodyRows = try await conn.guardedQuery("""
                SELECT p.study_code, a.spec, count(*)::int AS patients,
                       (SELECT count(*)::int FROM patient q WHERE q.study_code = p.study_code) AS enrolled
                FROM patient p CROSS JOIN LATERAL unnest(p.anti_hla) AS a(spec)
                GROUP BY p.study_code, a.spec ORDER BY p.study_code, a.spec
                """, logger: logger).named { c in
                (study: try c("study_code", as: String.self), spec: try c("spec", as: String.self),
                 patients: try c("patients", as: Int32.self), enrolled: try c("enrolled", as: Int32.self))
            }
            return SupplyInventoryMapping.inputs(
                today: today, months: months,
                lots: lotRows.map { .init(lot: $0.lot, product: $0.product, donor: $0.donor, cellsPerVial: Int($0.cells), released: $0.status == "released",
                                          expiresInDays: (CalendarDay($0.expires) ?? today) - today, site: $0.site, vials: Int($0.vials), hla: $0.hla, qcLeadDays: Int($0.qcLead)) },
                studies: studyRows.map { s in
                    .init(code: s.code, product: s.product, dltProbabilities: s.dlt ?? [], screenFailure: s.screen, rateShape: s.shape, maxCohorts: s.maxCohorts.map(Int.init),
                          levels: levelRows.filter { $0.study == s.code }.map { .init(code: $0.code, targetCells: Int($0.cells), perKg: $0.basis == "per-kg", open: $0.open) },
                          sites: siteRows.filter { $0.study == s.code }.map { .init(site: $0.site, patientsPerMonth: $0.rate, activationDay: $0.activation.map(Int.init)) },
                          antibodyShare: Dictionary(uniqueKeysWithValues: antibodyRows.filter { $0.study == s.code && $0.enrolled > 0 }
                                                        .map { ($0.spec, Double($0.patients) / Double($0.enrolled)) }))
                },
                routes: routeRows.map { ($0.from, $0.to, Int($0.days)) })
        }
    }
}

import CryoDomain
import CryoSupply
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// What the plan search may choose from, read from the database: the eligible donors with an HLA typing, and per
    /// product a campaign template (the stored campaign lead time and lots per campaign, or 60 days and 2 lots; vials
    /// per lot and cells per vial as the product's lots have them, median; the product's shelf life).
    public func supplyPlanOptions(for inputs: SupplyInputs, seed: UInt64, runs: Int, actor: Principal, logger: Logger) async throws -> PlanOptions {
        try actor.require(.forecastSupply)
        return try await read(logger) { conn in
            let donors = try await conn.guardedQuery("""
                SELECT d.code, array_agg(h.allele ORDER BY h.locus, h.copy) AS hla
                FROM donor d JOIN donor_hla h ON h.donor_code = d.code
                WHERE d.eligibility = 'eligible'
                GROUP BY d.code ORDER BY d.code
                """, logger: logger).named { c in CandidateDonor(donor: try c("code"), hla: try c("hla")) }
            let products = Array(Set(inputs.studies.map(\.product))).sorted()
            let templates = try await conn.guardedQuery("""
                SELECT p.code, p.shelf_life_days, coalesce(a.campaign_lead_days, 60) AS lead_days, coalesce(a.lots_per_campaign, 2) AS lots,
                       coalesce(a.vials_per_lot, (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY n) FROM
                                 (SELECT count(*)::int AS n FROM vial v JOIN lot l ON l.lot_number = v.lot_number
                                   WHERE l.product_code = p.code GROUP BY l.lot_number) q), 24) AS vials_per_lot,
                       (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY l.cells_per_vial) FROM lot l WHERE l.product_code = p.code) AS cells_per_vial
                FROM product p LEFT JOIN supply_product_assumption a ON a.product_code = p.code
                WHERE p.code = ANY(\(products)) ORDER BY p.code
                """, logger: logger).named { c -> Campaign? in
                guard let cells: Int64 = try c("cells_per_vial") else { return nil }
                return Campaign(product: try c("code"), startDay: 0, leadDays: Double(try c("lead_days", as: Int32.self)), lots: Int(try c("lots", as: Int32.self)),
                                vialsPerLot: Int(try c("vials_per_lot", as: Int32.self)), cellsPerVial: Int(cells),
                                shelfLifeDays: Double(try c("shelf_life_days", as: Int32.self)), donor: "", donorHla: [])
            }.compactMap { $0 }
            return PlanOptions.forRun(runs: runs, seed: seed, donors: donors, campaignTemplates: templates)
        }
    }
}

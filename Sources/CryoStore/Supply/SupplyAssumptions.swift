import CryoDomain
import Foundation
import Logging
import PostgresNIO

extension Store {
    /// Sets a study's planning assumptions (pharmacy, manufacturing); fields left nil keep their stored value or default.
    public func setStudySupplyAssumption(study: String, _ a: StudySupplyAssumption, actor: Principal, logger: Logger) async throws {
        try actor.require(.forecastSupply)
        try await transaction(logger) { conn in
            let levels = try await conn.guardedQuery("SELECT count(*)::int AS n, (SELECT count(*)::int FROM study WHERE code = \(study)) AS found FROM dose_level WHERE study_code = \(study)",
                                                     logger: logger).named { c in (try c("n", as: Int32.self), try c("found", as: Int32.self)) }.first ?? (0, 0)
            guard levels.1 > 0 else { throw DomainError.notFound(kind: "study", id: study) }
            try a.check(levels: Int(levels.0))
            try await conn.guardedQuery("""
                INSERT INTO supply_study_assumption (study_code, dlt_probabilities, screen_failure, rate_shape, max_cohorts, qc_lead_days)
                VALUES (\(study), coalesce(\(a.dltProbabilities)::float8[], '{}'), coalesce(\(a.screenFailure), 0.2), \(a.rateShape),
                        coalesce(\(a.maxCohorts.map(Int32.init)), 6), coalesce(\(a.qcLeadDays.map(Int32.init)), 21))
                ON CONFLICT (study_code) DO UPDATE SET
                    dlt_probabilities = coalesce(\(a.dltProbabilities)::float8[], supply_study_assumption.dlt_probabilities),
                    screen_failure = coalesce(\(a.screenFailure), supply_study_assumption.screen_failure),
                    rate_shape = coalesce(\(a.rateShape), supply_study_assumption.rate_shape),
                    max_cohorts = coalesce(\(a.maxCohorts.map(Int32.init)), supply_study_assumption.max_cohorts),
                    qc_lead_days = coalesce(\(a.qcLeadDays.map(Int32.init)), supply_study_assumption.qc_lead_days),
                    updated_at = now()
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "study", subjectId: study, action: "supply.assumption-set",
                                                  details: Self.assumptionDetails(["dltProbabilities": a.dltProbabilities?.map { "\($0)" }.joined(separator: ","),
                                                                                   "screenFailure": a.screenFailure.map { "\($0)" }, "rateShape": a.rateShape.map { "\($0)" },
                                                                                   "maxCohorts": a.maxCohorts.map { "\($0)" }, "qcLeadDays": a.qcLeadDays.map { "\($0)" }])),
                                     by: actor, on: conn, logger: logger)
        }
    }

    /// Sets the expected arrivals at one study site (pharmacy, manufacturing).
    public func setSiteSupplyAssumption(study: String, site: String, _ a: SiteSupplyAssumption, actor: Principal, logger: Logger) async throws {
        try actor.require(.forecastSupply)
        try a.check()
        try await transaction(logger) { conn in
            let known = try await conn.guardedQuery("SELECT 1 FROM study_site WHERE study_code = \(study) AND site_code = \(site)", logger: logger).decode(Int.self).all()
            guard !known.isEmpty else { throw DomainError.notFound(kind: "study site", id: "\(study)/\(site)") }
            try await conn.guardedQuery("""
                INSERT INTO supply_site_assumption (study_code, site_code, patients_per_month, activation_on)
                VALUES (\(study), \(site), \(a.patientsPerMonth), \(a.activationOn?.description)::date)
                ON CONFLICT (study_code, site_code) DO UPDATE SET patients_per_month = excluded.patients_per_month, activation_on = excluded.activation_on
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "study", subjectId: study, action: "supply.site-assumption-set",
                                                  details: Self.assumptionDetails(["site": site, "patientsPerMonth": "\(a.patientsPerMonth)",
                                                                                   "activationOn": a.activationOn?.description])),
                                     by: actor, on: conn, logger: logger)
        }
    }

    /// Sets a product's campaign template (pharmacy, manufacturing).
    public func setProductSupplyAssumption(product: String, _ a: ProductSupplyAssumption, actor: Principal, logger: Logger) async throws {
        try actor.require(.forecastSupply)
        try a.check()
        try await transaction(logger) { conn in
            let known = try await conn.guardedQuery("SELECT 1 FROM product WHERE code = \(product)", logger: logger).decode(Int.self).all()
            guard !known.isEmpty else { throw DomainError.notFound(kind: "product", id: product) }
            try await conn.guardedQuery("""
                INSERT INTO supply_product_assumption (product_code, campaign_lead_days, lots_per_campaign, vials_per_lot)
                VALUES (\(product), coalesce(\(a.campaignLeadDays.map(Int32.init)), 60), coalesce(\(a.lotsPerCampaign.map(Int32.init)), 2), \(a.vialsPerLot.map(Int32.init)))
                ON CONFLICT (product_code) DO UPDATE SET
                    campaign_lead_days = coalesce(\(a.campaignLeadDays.map(Int32.init)), supply_product_assumption.campaign_lead_days),
                    lots_per_campaign = coalesce(\(a.lotsPerCampaign.map(Int32.init)), supply_product_assumption.lots_per_campaign),
                    vials_per_lot = coalesce(\(a.vialsPerLot.map(Int32.init)), supply_product_assumption.vials_per_lot),
                    updated_at = now()
                """, logger: logger)
            try await Custody.append(CustodyEntry(subjectType: "product", subjectId: product, action: "supply.assumption-set",
                                                  details: Self.assumptionDetails(["campaignLeadDays": a.campaignLeadDays.map { "\($0)" },
                                                                                   "lotsPerCampaign": a.lotsPerCampaign.map { "\($0)" },
                                                                                   "vialsPerLot": a.vialsPerLot.map { "\($0)" }])),
                                     by: actor, on: conn, logger: logger)
        }
    }

    static func assumptionDetails(_ values: [String: String?]) -> [String: String] {
        values.compactMapValues { $0 }
    }
}

import Foundation

/// What the plan search may choose from.
public struct PlanOptions: Codable, Sendable, Equatable {
    /// Replications per evaluated candidate (common random numbers: every candidate sees the same seeds).
    public var searchRuns: Int
    /// Replications of the out-of-sample check, with seeds the search never saw.
    public var validationRuns: Int
    public var seed: UInt64
    /// Donors a campaign may come from, with their HLA typing.
    public var donors: [CandidateDonor]
    /// Per product: lead time, lots per step, vials per lot, cells per vial and shelf life of a new campaign.
    public var campaignTemplates: [Campaign]
    /// Days from `asOf` at which a campaign may start.
    public var campaignStarts: [Double]
    public var maxCampaignLots: Int
    /// Cost of one shipment, in expired vials.
    public var shipmentWeight: Double

    public init(searchRuns: Int = 1000, validationRuns: Int = 2000, seed: UInt64, donors: [CandidateDonor], campaignTemplates: [Campaign],
                campaignStarts: [Double] = [0, 90, 180], maxCampaignLots: Int = 16, shipmentWeight: Double = 0.2) {
        self.searchRuns = searchRuns; self.validationRuns = validationRuns; self.seed = seed; self.donors = donors
        self.campaignTemplates = campaignTemplates; self.campaignStarts = campaignStarts; self.maxCampaignLots = maxCampaignLots
        self.shipmentWeight = shipmentWeight
    }
}

extension PlanOptions {
    /// The options of a plan recommended alongside a forecast of `runs` replications: candidates are compared on half
    /// as many replications (at least 10, at most 1,000), and the plan is judged out of sample on as many as the forecast.
    public static func forRun(runs: Int, seed: UInt64, donors: [CandidateDonor], campaignTemplates: [Campaign]) -> PlanOptions {
        PlanOptions(searchRuns: min(1000, max(10, runs / 2)), validationRuns: max(10, runs), seed: seed, donors: donors, campaignTemplates: campaignTemplates)
    }
}

public struct CandidateDonor: Codable, Sendable, Equatable {
    public var donor: String
    public var hla: [String]
    public init(donor: String, hla: [String]) { self.donor = donor; self.hla = hla }
}

/// A plan's figures from one forecast.
public struct PlanFigures: Codable, Sendable, Equatable {
    public var serviceLevel: Double
    public var serviceStandardError: Double
    public var dsaServiceLevel: Double?
    public var expiredVialsPerRun: Double
    public var shipmentsPerRun: Double
    public var runs: Int
    public var seed: UInt64
    public var misses: [ForecastResult.CauseShare]
    init(_ r: ForecastResult) {
        misses = r.misses
        serviceLevel = r.serviceLevel; serviceStandardError = r.serviceStandardError; dsaServiceLevel = r.dsaServiceLevel
        expiredVialsPerRun = r.expiredVialsPerRun; shipmentsPerRun = r.shipmentsPerRun; runs = r.runs; seed = r.seed
    }
}

public struct PlanRecommendation: Codable, Sendable, Equatable {
    public var mode: SupplyMode
    public var campaigns: [Campaign]
    public var parLevels: [ParLevel]
    /// The donor chosen per product, and the on-time share of antibody-positive patients without and with its campaign.
    public var donorEffects: [DonorEffect]
    public var evaluations: Int
    public var meetsTarget: Bool
    public var serviceTarget: Double
    /// Re-simulated with fresh seeds, beside the baseline policy in the same run.
    public var recommended: PlanFigures
    public var baseline: PlanFigures
    public var baselineDescription: String

    public struct DonorEffect: Codable, Sendable, Equatable {
        public var product: String
        public var donor: String
        /// The expected share of antibody-positive patients compatible with the donor (antibodies are independent in the model).
        public var compatibleShare: Double
        public var dsaServiceWithout: Double?
        public var dsaServiceWith: Double?
        public var sentence: String
    }
}

/// Simulation-based search for the plan (docs/supply.md says why this and not a MILP): campaigns first, by greedy
/// addition with common random numbers, then par levels by coordinate search; the result is judged out of sample.
public enum SupplyPlanner {
    public static func recommend(_ base: SupplyInputs, options o: PlanOptions,
                                 progress: (@Sendable (String) -> Void)? = nil) throws(SupplyInputError) -> PlanRecommendation {
        guard o.searchRuns >= 10, o.validationRuns >= 10 else { throw .init(field: "runs", rule: "the plan needs at least 10 replications per evaluation") }
        var evaluations = 0
        func evaluate(_ x: SupplyInputs, runs: Int = o.searchRuns, seed: UInt64 = o.seed) throws(SupplyInputError) -> ForecastResult {
            evaluations += 1
            return try SupplyForecast.run(x, runs: runs, seed: seed)
        }
        func cost(_ r: ForecastResult) -> Double { r.expiredVialsPerRun + o.shipmentWeight * r.shipmentsPerRun }
        let target = base.serviceTarget
        /// In sample a plan must clear the target by two standard errors, so that it still meets it on fresh seeds.
        func meets(_ r: ForecastResult) -> Bool { r.serviceLevel - 2 * r.serviceStandardError >= target }
        /// Better: meets the target at lower cost, or (neither meets it) serves more.
        func better(_ a: ForecastResult, than b: ForecastResult) -> Bool {
            let am = meets(a), bm = meets(b)
            if am != bm { return am }
            if am { return cost(a) < cost(b) - 1e-9 }
            return a.serviceLevel > b.serviceLevel + max(1e-9, b.serviceStandardError)
        }

        // Phase A: the donor per product, from the antibody shares, then campaigns by greedy addition.
        var plan = base
        plan.policy = SupplyPolicy(mode: .both, parLevels: [])
        var effects: [PlanRecommendation.DonorEffect] = []
        var chosen: [String: CandidateDonor] = [:]
        for t in o.campaignTemplates {
            guard let d = bestDonor(for: t.product, inputs: base, donors: o.donors) else { continue }
            chosen[t.product] = d.donor
            effects.append(.init(product: t.product, donor: d.donor.donor, compatibleShare: d.share, dsaServiceWithout: nil, dsaServiceWith: nil, sentence: ""))
        }
        var current = try evaluate(plan)
        progress?("start: service \(percent(current.serviceLevel))")
        var lots = 0
        while lots < o.maxCampaignLots {
            var best: (SupplyInputs, ForecastResult)?
            for t in o.campaignTemplates {
                guard let d = chosen[t.product] else { continue }
                for start in o.campaignStarts {
                    var c = t
                    c.startDay = start; c.donor = d.donor; c.donorHla = d.hla
                    var x = plan
                    if let i = x.campaigns.firstIndex(where: { $0.product == c.product && $0.startDay == start && $0.donor == c.donor }) {
                        x.campaigns[i].lots += t.lots
                    } else { x.campaigns.append(c) }
                    let r = try evaluate(x)
                    if best == nil || better(r, than: best!.1) { best = (x, r) }
                }
            }
            guard let (x, r) = best, r.serviceLevel > current.serviceLevel + max(current.serviceStandardError, 1e-6) else { break }
            plan = x; current = r
            lots = plan.campaigns.reduce(0) { $0 + $1.lots }
            progress?("campaigns: \(lots) lots, service \(percent(r.serviceLevel))")
            if meets(r) { break }
        }

        // Phase B: par levels where the depot cannot reach the site within the target time, by coordinate search.
        let slow = base.sites.filter { $0.transitDays * 24 > base.targetHours && $0.transitDays <= $0.dryShipperHoldDays }
        let doseVials = referenceDoseVials(base)
        let largest = largestDoseVials(base)
        var pars: [ParLevel] = []
        for s in slow {
            for (product, k) in largest where base.studies.contains(where: { $0.product == product && $0.sites.contains { $0.site == s.id } }) {
                pars.append(ParLevel(site: s.id, product: product, min: k, max: 2 * k))
            }
        }
        if !pars.isEmpty {
            plan.policy.parLevels = pars
            current = try evaluate(plan)
            for _ in 0..<3 {
                var improved = false
                for i in pars.indices {
                    // In doses of the largest level the product may reach, so stock kept for a cohort that escalates still fits.
                    let k = largest.first { $0.0 == pars[i].product }?.1 ?? 1
                    let capacity = base.sites.first { $0.id == pars[i].site }?.capacityVials ?? Int.max
                    for (mn, mx) in [(0, 0), (k, k), (k, 2 * k), (2 * k, 2 * k), (2 * k, 3 * k), (3 * k, 4 * k), (4 * k, 5 * k)]
                        where (mn, mx) != (pars[i].min, pars[i].max) && mx <= capacity {
                        var x = plan
                        x.policy.parLevels[i].min = mn; x.policy.parLevels[i].max = mx
                        let r = try evaluate(x)
                        if better(r, than: current) { plan = x; current = r; improved = true }
                    }
                    pars = plan.policy.parLevels
                }
                if !improved { break }
            }
            plan.policy.parLevels.removeAll { $0.max == 0 }
        }
        progress?("search done after \(evaluations) evaluations")

        // Out of sample: fresh seeds, the recommended plan and the baseline in the same run.
        let fresh = o.seed &+ 0x5EED_0000_0000_0001
        let recommended = try evaluate(plan, runs: o.validationRuns, seed: fresh)
        var baseline = plan
        baseline.policy = SupplyPolicy(mode: .site, parLevels: base.sites.flatMap { s in
            doseVials.filter { p in base.studies.contains { $0.product == p.0 && $0.sites.contains { $0.site == s.id } } }
                .map { ParLevel(site: s.id, product: $0.0, min: 2 * $0.1, max: 2 * $0.1) }
        })
        let baselineResult = try evaluate(baseline, runs: o.validationRuns, seed: fresh)
        var without = base
        without.policy = plan.policy
        let withoutResult = try evaluate(without, runs: o.validationRuns, seed: fresh)
        // Only the products the plan makes new lots of have a donor effect; the on-time share is over all the
        // antibody-positive patients, with and without the new campaigns, so one sentence names every campaign donor.
        let made = Set(plan.campaigns.filter { !base.campaigns.contains($0) }.map(\.product))
        effects.removeAll { !made.contains($0.product) }
        let donors = effects.map { e in
            let avoided = avoidedSpecificities(e.product, inputs: base, hla: chosen[e.product]?.hla ?? [])
            return "\(e.product) from donor \(e.donor)" + (avoided.isEmpty ? "" : " (without \(avoided.joined(separator: ", ")))")
        }
        let sentence = "New lots of " + donors.joined(separator: " and ") + " raise on-time dosing of antibody-positive patients from "
            + "\(percent(withoutResult.dsaServiceLevel)) to \(percent(recommended.dsaServiceLevel))."
        for i in effects.indices {
            effects[i].dsaServiceWithout = withoutResult.dsaServiceLevel
            effects[i].dsaServiceWith = recommended.dsaServiceLevel
            effects[i].sentence = sentence
        }
        return PlanRecommendation(mode: plan.policy.mode, campaigns: plan.campaigns.filter { !base.campaigns.contains($0) },
                                  parLevels: plan.policy.parLevels, donorEffects: effects, evaluations: evaluations,
                                  meetsTarget: recommended.serviceLevel >= target, serviceTarget: target,
                                  recommended: PlanFigures(recommended), baseline: PlanFigures(baselineResult),
                                  baselineDescription: "two doses at par at every site (site stock only), with the same campaigns")
    }

    /// The donor whose lots the most antibody-positive patients of the product's studies can take: with independent
    /// antibodies, P(compatible) is the product of (1 − share) over the specificities that match a donor allele.
    static func bestDonor(for product: String, inputs: SupplyInputs, donors: [CandidateDonor]) -> (donor: CandidateDonor, share: Double)? {
        var best: (CandidateDonor, Double)?
        for d in donors {
            var weighted = 0.0, weight = 0.0
            for st in inputs.studies where st.product == product {
                let rate = st.sites.reduce(0) { $0 + $1.patientsPerMonth }
                var p = 1.0
                for (spec, share) in st.antibodyShare where AllocationRulesBridge.hits(spec, d.hla) { p *= 1 - share }
                weighted += rate * p; weight += rate
            }
            let share = weight > 0 ? weighted / weight : 1
            if best == nil || share > best!.1 + 1e-12 { best = (d, share) }
        }
        return best
    }

    static func avoidedSpecificities(_ product: String, inputs: SupplyInputs, hla: [String]) -> [String] {
        let specs = Set(inputs.studies.filter { $0.product == product }.flatMap { $0.antibodyShare.filter { $0.value > 0 }.keys })
        return specs.filter { !AllocationRulesBridge.hits($0, hla) }.sorted()
    }

    /// Vials of one dose at the highest level of the product's studies, for the product's first lot or campaign.
    static func largestDoseVials(_ x: SupplyInputs) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for st in x.studies {
            let cells = x.lots.first { $0.product == st.product }?.cellsPerVial ?? x.campaigns.first { $0.product == st.product }?.cellsPerVial
            let k = st.doseLevels.compactMap { level in cells.flatMap { AllocationRulesBridge.vials(level.targetCells, $0, x.doseTolerancePct) } }.max() ?? 1
            if let i = out.firstIndex(where: { $0.0 == st.product }) { out[i].1 = max(out[i].1, k) } else { out.append((st.product, k)) }
        }
        return out
    }

    /// Vials of one dose at each study's current level, per product, for the product's first lot or campaign.
    static func referenceDoseVials(_ x: SupplyInputs) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for st in x.studies where !out.contains(where: { $0.0 == st.product }) {
            let cells = x.lots.first { $0.product == st.product }?.cellsPerVial ?? x.campaigns.first { $0.product == st.product }?.cellsPerVial
            let target = st.doseLevels[st.currentLevel].targetCells
            let k = cells.flatMap { AllocationRulesBridge.vials(target, $0, x.doseTolerancePct) } ?? 1
            out.append((st.product, k))
        }
        return out
    }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.0f %%", $0 * 100) } ?? "n/a" }
}

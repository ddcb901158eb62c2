import AllocationOptimizer
import CivilCalendar

/// The inputs checked and indexed for the simulation: integers and flat arrays, no dictionaries in the hot path.
struct Model: Sendable {
    struct Study: Sendable {
        var product: Int
        var levels: [Int]              // global level indices
        var dlt: [Double]
        var startLevel: Int, startTreated: Int, startDlts: Int
        var maxCohorts: Int
        var expand: Bool
        var screenFailure: Double
        var rateShape: Double?
        var antibodies: [(bit: Int, share: Double)]
        var sites: [(site: Int, perDay: Double, from: Double)]
    }

    let inputs: SupplyInputs
    let products: [String]
    let locations: [String]            // 0 = depot, then the sites in input order
    let siteTransit: [Double]          // per location; depot 0
    let siteRoute: [Bool]              // transit within the dry shipper's hold
    let siteCapacity: [Int]            // Int.max when unlimited
    let studies: [Study]
    let targetCells: [Int]             // per global level
    let specificities: [String]
    // Lots: the stock on hand, then every campaign's lots.
    let lotProduct: [Int], lotMask: [UInt64], lotExpiry: [Double], lotRelease: [Double], lotLocation: [Int]
    let lotVials: [Int], lotDonor: [String], lotCells: [Int]
    /// Vials of lot `l` for global level `g` at `l * levelCount + g`; 0 when no whole number fits.
    let vialsPerDose: [Int32]
    let levelCount: Int
    /// Vials of a dose at each global level for a product's reference vial, to count waiting patients' needs.
    let referenceVials: [Int]
    let parMin: [Int], parMax: [Int]   // location * products + product
    let monthStart: [Double]
    let monthLabels: [String]
    let horizon: Double
    /// When stock changes without a patient or a shipment: a lot is released, or a lot stops being worth holding at a
    /// site (its expiry less the usage margin less the site's transit, so a replacement ordered then arrives in time).
    /// Sites review their par levels and waiting patients are retried at each.
    let reviewTimes: [Double]
    /// The share of the product's patients who carry no antibody against the lot's donor (antibodies independent;
    /// each specificity at its highest share among the product's studies): site stock is filled with the lots the
    /// most patients can take.
    let lotCompatibleShare: [Double]

    init(_ x: SupplyInputs) throws(SupplyInputError) {
        inputs = x
        guard let asOf = Day(iso: x.asOf) else { throw .init(field: "asOf", rule: "must be a date written YYYY-MM-DD") }
        guard (1...60).contains(x.months) else { throw .init(field: "months", rule: "must be a whole number of months from 1 to 60") }
        guard x.targetHours >= 0 else { throw .init(field: "targetHours", rule: "must not be negative") }
        guard x.serviceTarget > 0 && x.serviceTarget <= 1 else { throw .init(field: "serviceTarget", rule: "must be a share above 0 and at most 1") }
        guard (0...100).contains(x.doseTolerancePct) else { throw .init(field: "doseTolerancePct", rule: "must be a percentage from 0 to 100") }

        var products: [String] = []
        func productIndex(_ p: String) -> Int {
            if let i = products.firstIndex(of: p) { return i }
            products.append(p); return products.count - 1
        }
        var locations = [x.depot]
        var transit = [0.0], route = [true], capacity = [Int.max]
        for (i, s) in x.sites.enumerated() {
            guard !locations.contains(s.id) else { throw .init(field: "sites[\(i)].id", rule: "each site appears once, and not as the depot") }
            guard s.transitDays >= 0 else { throw .init(field: "sites[\(i)].transitDays", rule: "must not be negative") }
            guard (s.capacityVials ?? 0) >= 0 else { throw .init(field: "sites[\(i)].capacityVials", rule: "must not be negative") }
            locations.append(s.id); transit.append(s.transitDays)
            route.append(s.transitDays <= s.dryShipperHoldDays); capacity.append(s.capacityVials ?? Int.max)
        }

        var specs: [String] = []
        var targets: [Int] = []
        var studies: [Study] = []
        for (i, st) in x.studies.enumerated() {
            let f = "studies[\(i)]"
            guard !st.doseLevels.isEmpty else { throw .init(field: "\(f).doseLevels", rule: "a study needs at least one dose level") }
            guard st.doseLevels.indices.contains(st.currentLevel) else { throw .init(field: "\(f).currentLevel", rule: "must be the index of one of the study's dose levels") }
            guard (0...1).contains(st.screenFailure) else { throw .init(field: "\(f).screenFailure", rule: "must be a share from 0 to 1") }
            guard st.maxCohorts >= 1 else { throw .init(field: "\(f).maxCohorts", rule: "must be at least 1") }
            guard st.currentTreated >= 0, (0...st.currentTreated).contains(st.currentDlts) else {
                throw .init(field: "\(f).currentDlts", rule: "must be between 0 and the patients treated at the current level")
            }
            if let shape = st.rateShape, !(shape > 0) { throw .init(field: "\(f).rateShape", rule: "must be above 0 (or absent for a known rate)") }
            var levels: [Int] = [], dlt: [Double] = []
            for (j, l) in st.doseLevels.enumerated() {
                guard l.targetCells > 0 else { throw .init(field: "\(f).doseLevels[\(j)].targetCells", rule: "must be above 0") }
                guard (0...1).contains(l.dltProbability) else { throw .init(field: "\(f).doseLevels[\(j)].dltProbability", rule: "must be a probability from 0 to 1") }
                levels.append(targets.count); targets.append(l.targetCells); dlt.append(l.dltProbability)
            }
            var antibodies: [(Int, Double)] = []
            for (spec, share) in st.antibodyShare.sorted(by: { $0.key < $1.key }) {
                guard (0...1).contains(share) else { throw .init(field: "\(f).antibodyShare[\(spec)]", rule: "must be a share from 0 to 1") }
                var bit = specs.firstIndex(of: spec) ?? -1
                if bit < 0 { specs.append(spec); bit = specs.count - 1 }
                guard bit < 64 else { throw .init(field: "\(f).antibodyShare", rule: "at most 64 distinct antibody specificities over all studies") }
                antibodies.append((bit, share))
            }
            var sites: [(Int, Double, Double)] = []
            for (j, s) in st.sites.enumerated() {
                guard let loc = locations.firstIndex(of: s.site), loc > 0 else { throw .init(field: "\(f).sites[\(j)].site", rule: "must be one of the sites") }
                guard s.patientsPerMonth >= 0 else { throw .init(field: "\(f).sites[\(j)].patientsPerMonth", rule: "must not be negative") }
                sites.append((loc, s.patientsPerMonth * 12 / 365.25, max(0, s.activationDay)))
            }
            studies.append(Study(product: productIndex(st.product), levels: levels, dlt: dlt, startLevel: st.currentLevel,
                                 startTreated: st.currentTreated, startDlts: st.currentDlts, maxCohorts: st.maxCohorts,
                                 expand: st.expandAfterEscalation, screenFailure: st.screenFailure, rateShape: st.rateShape,
                                 antibodies: antibodies, sites: sites))
        }

        var lp: [Int] = [], lm: [UInt64] = [], le: [Double] = [], lr: [Double] = [], ll: [Int] = [], lv: [Int] = [], ld: [String] = [], lc: [Int] = []
        func mask(_ hla: [String]) -> UInt64 {
            var m: UInt64 = 0
            for (bit, spec) in specs.enumerated() where !AllocationRules.antibodyHits(antiHla: [spec], donorHla: hla).isEmpty { m |= 1 << UInt64(bit) }
            return m
        }
        for (i, l) in x.lots.enumerated() {
            guard let loc = locations.firstIndex(of: l.location) else { throw .init(field: "lots[\(i)].location", rule: "must be the depot or one of the sites") }
            guard l.vials >= 0 else { throw .init(field: "lots[\(i)].vials", rule: "must not be negative") }
            guard l.cellsPerVial > 0 else { throw .init(field: "lots[\(i)].cellsPerVial", rule: "must be above 0") }
            lp.append(productIndex(l.product)); lm.append(mask(l.donorHla)); le.append(l.expiresInDays); lr.append(max(0, l.releaseInDays))
            ll.append(loc); lv.append(l.vials); ld.append(l.donor); lc.append(l.cellsPerVial)
        }
        for (i, c) in x.campaigns.enumerated() {
            guard c.lots >= 0, c.vialsPerLot >= 0 else { throw .init(field: "campaigns[\(i)].lots", rule: "lots and vials per lot must not be negative") }
            guard c.cellsPerVial > 0 else { throw .init(field: "campaigns[\(i)].cellsPerVial", rule: "must be above 0") }
            guard c.leadDays >= 0, c.shelfLifeDays > 0 else { throw .init(field: "campaigns[\(i)].leadDays", rule: "lead time must not be negative and shelf life must be above 0") }
            for _ in 0..<c.lots {
                lp.append(productIndex(c.product)); lm.append(mask(c.donorHla)); le.append(c.startDay + c.shelfLifeDays)
                lr.append(max(0, c.startDay + c.leadDays)); ll.append(0); lv.append(c.vialsPerLot); ld.append(c.donor); lc.append(c.cellsPerVial)
            }
        }
        var vpd = [Int32](repeating: 0, count: lp.count * targets.count)
        for l in lp.indices {
            for g in targets.indices {
                vpd[l * targets.count + g] = Int32(AllocationRules.vialCount(targetCells: targets[g], cellsPerVial: lc[l], tolerancePct: x.doseTolerancePct) ?? 0)
            }
        }
        var reference: [Int] = []
        for st in studies {
            let cells = lp.indices.first { lp[$0] == st.product }.map { lc[$0] }
            for g in st.levels {
                reference.append(cells.flatMap { AllocationRules.vialCount(targetCells: targets[g], cellsPerVial: $0, tolerancePct: x.doseTolerancePct) } ?? 1)
            }
        }
        var pmin = [Int](repeating: 0, count: locations.count * products.count), pmax = pmin
        if x.policy.mode != .central {
            for (i, p) in x.policy.parLevels.enumerated() {
                guard let loc = locations.firstIndex(of: p.site), loc > 0 else { throw .init(field: "policy.parLevels[\(i)].site", rule: "must be one of the sites") }
                guard p.min >= 0, p.max >= p.min else { throw .init(field: "policy.parLevels[\(i)].max", rule: "min must not be negative and max must be at least min") }
                let k = loc * products.count + productIndex(p.product)
                if k < pmin.count { pmin[k] = p.min; pmax[k] = p.max }
            }
        }

        var starts: [Double] = [], labels: [String] = []
        let (y0, m0, _) = CivilCalendar.civil(fromDays: asOf.ordinal)
        for m in 0...x.months {
            let y = y0 + (m0 - 1 + m) / 12, mo = (m0 - 1 + m) % 12 + 1
            let first = CivilCalendar.daysFromCivil(year: y, month: mo, day: 1)
            starts.append(m == 0 ? 0 : Double(first - asOf.ordinal))
            if m < x.months { labels.append(String(format: "%04d-%02d", y, mo)) }
        }
        self.products = products; self.locations = locations; siteTransit = transit; siteRoute = route; siteCapacity = capacity
        self.studies = studies; targetCells = targets; specificities = specs
        lotProduct = lp; lotMask = lm; lotExpiry = le; lotRelease = lr; lotLocation = ll; lotVials = lv; lotDonor = ld; lotCells = lc
        vialsPerDose = vpd; levelCount = targets.count; referenceVials = reference; parMin = pmin; parMax = pmax
        monthStart = starts; monthLabels = labels; horizon = starts[x.months]
        var compatible = [Double](repeating: 1, count: lp.count)
        for l in lp.indices {
            var worst: [Int: Double] = [:]
            for st in studies where st.product == lp[l] { for (bit, share) in st.antibodies { worst[bit] = max(worst[bit] ?? 0, share) } }
            for (bit, share) in worst where lm[l] & (1 << UInt64(bit)) != 0 { compatible[l] *= 1 - share }
        }
        lotCompatibleShare = compatible
        let transits = Set(transit.dropFirst())
        let expiryReviews = le.flatMap { e in transits.map { e - Double(x.expiryMarginDays) - $0 } }
        reviewTimes = Array(Set((lr + expiryReviews).filter { $0 > 0 && $0 < starts[x.months] })).sorted()
    }

    var siteCount: Int { locations.count - 1 }

    func month(of t: Double) -> Int {
        var m = 0
        while m + 1 < monthStart.count - 1 && monthStart[m + 1] <= t { m += 1 }
        return m
    }
}

import Foundation

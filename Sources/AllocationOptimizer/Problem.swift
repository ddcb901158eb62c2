/// The instance reduced to what the optimizer works on: demands grouped into classes of
/// identical demands, and one entry per allowed (class, lot) pair with its dose.
///
/// Identical demands (same kind, product, cohort, target, site, date, antibodies and
/// exclusions) are interchangeable in every rule and every level of the objective, so one
/// integer variable per (class, lot) counting how many of them the lot serves is exact.
/// Lots are never merged: a dose must come from one lot, and the cohort level counts lots.
struct Problem: Sendable {
    let instance: AllocationInstance
    let rules: AllocationRules

    /// Demand indices of each class, in instance order.
    let classMembers: [[Int]]
    let classOfDemand: [Int]
    let classIsPatient: [Bool]
    let classCohort: [Int]
    let cohorts: [String]

    /// Pairs, sorted by class then lot.
    let pairClass: [Int32]
    let pairLot: [Int32]
    let pairVials: [Int32]
    let pairSlack: [Int32]
    let pairOver: [Int]
    /// Pairs of class `q` are `classPairStart[q] ..< classPairStart[q + 1]`.
    let classPairStart: [Int]
    let lotPairs: [[Int32]]

    var pairCount: Int { pairClass.count }
    var classCount: Int { classMembers.count }
    var lotCount: Int { instance.lots.count }

    func pairs(ofClass q: Int) -> Range<Int> { classPairStart[q] ..< classPairStart[q + 1] }

    /// The pair (class of `demand`, `lot`), if allowed and usable.
    func pair(demand: Int, lot: Int) -> Int? {
        let r = pairs(ofClass: classOfDemand[demand])
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(pairLot[mid]) < lot { lo = mid + 1 } else { hi = mid }
        }
        return lo < r.upperBound && Int(pairLot[lo]) == lot ? lo : nil
    }

    init(_ instance: AllocationInstance) {
        self.instance = instance
        let rules = AllocationRules(instance)
        self.rules = rules
        let lots = instance.lots
        let demands = instance.demands

        // Demand classes.
        struct ClassKey: Hashable {
            let kind: DemandKind, product: String, cohort: String, target: Int, site: String, date: Day
            let anti: [String], excluded: [String]
        }
        var classIndex: [ClassKey: Int] = [:]
        var members: [[Int]] = []
        var ofDemand = [Int](repeating: 0, count: demands.count)
        for (i, d) in demands.enumerated() {
            let key = ClassKey(kind: d.kind, product: d.product, cohort: d.cohort, target: d.targetCells, site: d.site,
                               date: d.infusionDate, anti: Array(Set(d.antiHla)).sorted(),
                               excluded: Array(Set(d.excludedLots)).sorted())
            if let q = classIndex[key] {
                members[q].append(i)
                ofDemand[i] = q
            } else {
                classIndex[key] = members.count
                ofDemand[i] = members.count
                members.append([i])
            }
        }
        classMembers = members
        classOfDemand = ofDemand
        classIsPatient = members.map { demands[$0[0]].kind == .patient }
        var cohortIndex: [String: Int] = [:]
        var cohortNames: [String] = []
        classCohort = members.map { m in
            let c = demands[m[0]].cohort
            if let i = cohortIndex[c] { return i }
            cohortIndex[c] = cohortNames.count
            cohortNames.append(c)
            return cohortNames.count - 1
        }
        cohorts = cohortNames

        // Places and alleles as small integers, so that the pair scan does no string work.
        var placeIndex: [String: Int] = [:]
        func place(_ s: String) -> Int {
            if let i = placeIndex[s] { return i }
            placeIndex[s] = placeIndex.count
            return placeIndex.count - 1
        }
        var alleleIndex: [String: Int] = [:]
        var alleles: [String] = []
        var lotDepot: [Int] = []
        var lotAlleles: [[Int]] = []
        for lot in lots {
            lotDepot.append(place(lot.depot))
            lotAlleles.append(lot.donorHla.map { h in
                if let i = alleleIndex[h] { return i }
                alleleIndex[h] = alleles.count
                alleles.append(h)
                return alleles.count - 1
            })
        }
        let words = (alleles.count + 63) / 64
        let lotHla: [[UInt64]] = lotAlleles.map { ids in
            var bits = [UInt64](repeating: 0, count: words)
            for a in ids { bits[a >> 6] |= 1 << UInt64(a & 63) }
            return bits
        }
        var lotsByProduct: [String: [Int]] = [:]
        var lotIndexById: [String: Int] = [:]
        for (j, lot) in lots.enumerated() {
            lotIndexById[lot.id] = j
            if lot.status == "released" { lotsByProduct[lot.product, default: []].append(j) }
        }

        struct DoseKey: Hashable { let target: Int, perVial: Int }
        var vialCache: [DoseKey: Int32] = [:]  // 0: no count fits
        var pClass: [Int32] = [], pLot: [Int32] = [], pVials: [Int32] = [], pSlack: [Int32] = [], pOver: [Int] = []
        var starts: [Int] = [0]
        var byLot = [[Int32]](repeating: [], count: lots.count)
        let tol = instance.policy.doseTolerancePct
        for q in 0..<members.count {
            let d = demands[members[q][0]]
            let siteDays: [Int?] = {
                var out = [Int?](repeating: nil, count: placeIndex.count)
                for (p, i) in placeIndex { out[i] = rules.routeDays(from: p, to: d.site) }
                return out
            }()
            var forbidden = [UInt64](repeating: 0, count: words)
            var anyForbidden = false
            for (i, a) in alleles.enumerated() where d.antiHla.contains(where: { AllocationRules.antibodyMatches($0, allele: a) }) {
                forbidden[i >> 6] |= 1 << UInt64(i & 63)
                anyForbidden = true
            }
            let excluded = Set(d.excludedLots.compactMap { lotIndexById[$0] })
            let latest = d.infusionDate + instance.policy.expiryMarginDays
            for j in lotsByProduct[d.product] ?? [] {
                let lot = lots[j]
                guard lot.expiry >= latest, let days = siteDays[lotDepot[j]], instance.asOf + days <= d.infusionDate
                else { continue }
                if anyForbidden {
                    var hit = false
                    for w in 0..<words where forbidden[w] & lotHla[j][w] != 0 { hit = true; break }
                    if hit { continue }
                }
                if excluded.contains(j) { continue }
                let key = DoseKey(target: d.targetCells, perVial: lot.cellsPerVial)
                let k: Int32
                if let cached = vialCache[key] {
                    k = cached
                } else {
                    k = Int32(AllocationRules.vialCount(targetCells: d.targetCells, cellsPerVial: lot.cellsPerVial,
                                                        tolerancePct: tol) ?? 0)
                    vialCache[key] = k
                }
                guard k > 0, Int(k) <= lot.vialsAvailable else { continue }
                byLot[j].append(Int32(pClass.count))
                pClass.append(Int32(q))
                pLot.append(Int32(j))
                pVials.append(k)
                pSlack.append(Int32(lot.expiry - d.infusionDate))
                pOver.append(abs(Int(k) * lot.cellsPerVial - d.targetCells))
            }
            starts.append(pClass.count)
        }
        pairClass = pClass
        pairLot = pLot
        pairVials = pVials
        pairSlack = pSlack
        pairOver = pOver
        classPairStart = starts
        lotPairs = byLot
    }
}

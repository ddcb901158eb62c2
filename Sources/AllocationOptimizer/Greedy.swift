/// Fast plans without a solver: the first-expiry-first-out rule pharmacies use by hand
/// (as ../shared/allocation/oracle.py `--greedy`), and a cohort-aware variant that fills
/// each cohort from as few lots as it can. Both are starting points for the MIP.
enum Greedy {
    /// Patients first, then by infusion date and id; each takes the allowed lot with vials
    /// left that expires first (then least overage, then lot id), keeping to its cohort's
    /// lots under `soft` when one of them fits and always under `hard`.
    static func firstExpiryFirstOut(_ p: Problem) -> Plan {
        let inst = p.instance
        var plan = Plan(demandCount: inst.demands.count)
        var left = inst.lots.map(\.vialsAvailable)
        var cohortLots = [Set<Int>](repeating: [], count: p.cohorts.count)
        let order = inst.demands.indices.sorted { a, b in
            let da = inst.demands[a], db = inst.demands[b]
            if da.kind != db.kind { return da.kind == .patient }
            if da.infusionDate != db.infusionDate { return da.infusionDate < db.infusionDate }
            return da.id < db.id
        }
        let policy = inst.policy.cohortLots
        for i in order {
            let q = p.classOfDemand[i], c = p.classCohort[q]
            var options = p.pairs(ofClass: q).filter { left[Int(p.pairLot[$0])] >= Int(p.pairVials[$0]) }
            if policy != .off, !cohortLots[c].isEmpty {
                let same = options.filter { cohortLots[c].contains(Int(p.pairLot[$0])) }
                if !same.isEmpty || policy == .hard { options = same }
            }
            guard let best = options.min(by: { a, b in
                let la = inst.lots[Int(p.pairLot[a])], lb = inst.lots[Int(p.pairLot[b])]
                if la.expiry != lb.expiry { return la.expiry < lb.expiry }
                if p.pairOver[a] != p.pairOver[b] { return p.pairOver[a] < p.pairOver[b] }
                return la.id < lb.id
            }) else { continue }
            let lot = Int(p.pairLot[best])
            left[lot] -= Int(p.pairVials[best])
            cohortLots[c].insert(lot)
            plan.lotOfDemand[i] = lot
        }
        return plan
    }

    /// Cohort by cohort, repeatedly takes the lot that can host the most of the cohort's
    /// demands still open (patients before slots, then the smaller doses), breaking ties
    /// by earlier expiry. Under `hard` each cohort takes only its best lot.
    static func cohortCover(_ p: Problem) -> Plan {
        let inst = p.instance
        var plan = Plan(demandCount: inst.demands.count)
        var left = inst.lots.map(\.vialsAvailable)
        var demandsOfCohort = [[Int]](repeating: [], count: p.cohorts.count)
        for i in inst.demands.indices { demandsOfCohort[p.classCohort[p.classOfDemand[i]]].append(i) }
        // Cohorts whose demands have the fewest lots to choose from go first.
        func options(_ i: Int) -> Int { p.pairs(ofClass: p.classOfDemand[i]).count }
        let cohortOrder = demandsOfCohort.indices.sorted { a, b in
            let fa = demandsOfCohort[a].map(options).min() ?? 0, fb = demandsOfCohort[b].map(options).min() ?? 0
            return fa != fb ? fa < fb : a < b
        }
        let hard = inst.policy.cohortLots == .hard
        for c in cohortOrder {
            var open = demandsOfCohort[c].filter { !p.pairs(ofClass: p.classOfDemand[$0]).isEmpty }
            while !open.isEmpty {
                // Candidate lots and, per lot, the open demands it may serve.
                var served: [Int: [(demand: Int, vials: Int)]] = [:]
                for i in open {
                    for j in p.pairs(ofClass: p.classOfDemand[i]) where left[Int(p.pairLot[j])] >= Int(p.pairVials[j]) {
                        served[Int(p.pairLot[j]), default: []].append((i, Int(p.pairVials[j])))
                    }
                }
                var best: (lot: Int, patients: Int, total: Int, picked: [Int])? = nil
                for (lot, cands) in served {
                    let sorted = cands.sorted { a, b in
                        let pa = inst.demands[a.demand].kind == .patient, pb = inst.demands[b.demand].kind == .patient
                        if pa != pb { return pa }
                        return a.vials != b.vials ? a.vials < b.vials : a.demand < b.demand
                    }
                    var room = left[lot], picked: [Int] = [], patients = 0
                    for cand in sorted where cand.vials <= room {
                        room -= cand.vials
                        picked.append(cand.demand)
                        if inst.demands[cand.demand].kind == .patient { patients += 1 }
                    }
                    let better: Bool
                    if let b = best {
                        if patients != b.patients { better = patients > b.patients }
                        else if picked.count != b.total { better = picked.count > b.total }
                        else if inst.lots[lot].expiry != inst.lots[b.lot].expiry { better = inst.lots[lot].expiry < inst.lots[b.lot].expiry }
                        else { better = lot < b.lot }
                    } else {
                        better = !picked.isEmpty
                    }
                    if better { best = (lot, patients, picked.count, picked) }
                }
                guard let chosen = best else { break }
                for i in chosen.picked {
                    plan.lotOfDemand[i] = chosen.lot
                    left[chosen.lot] -= Int(p.pairVials[p.pair(demand: i, lot: chosen.lot)!])
                }
                let pickedSet = Set(chosen.picked)
                open.removeAll { pickedSet.contains($0) }
                if hard { break }
            }
        }
        return plan
    }
}

/// The pairs of a restricted model, for instances too large for the full MIP: every pair
/// some starting plan uses (so that it stays feasible), each demand class's least-slack
/// lots, and for each cohort the lots that can host most of its demands.
enum CandidatePairs {
    static let perClass = 6
    static let perCohort = 8

    static func select(_ p: Problem, keeping plans: [Plan]) -> [Int] {
        var chosen = Set<Int>()
        for plan in plans {
            for (i, lot) in plan.lotOfDemand.enumerated() where lot >= 0 {
                if let j = p.pair(demand: i, lot: lot) { chosen.insert(j) }
            }
        }
        var pairsOfCohortLot: [Int64: [Int]] = [:]
        for q in 0..<p.classCount {
            let r = p.pairs(ofClass: q)
            let best = r.sorted { a, b in
                p.pairSlack[a] != p.pairSlack[b] ? p.pairSlack[a] < p.pairSlack[b] : p.pairOver[a] < p.pairOver[b]
            }
            chosen.formUnion(best.prefix(perClass))
            for j in r { pairsOfCohortLot[Formulation.key(p.classCohort[q], Int(p.pairLot[j])), default: []].append(j) }
        }
        // Per cohort, rank lots by how many of the cohort's demands fit (smallest doses first).
        // Under `hard` patients count first, as in the objective.
        let patientsFirst = p.instance.policy.cohortLots == .hard
        var ranked: [Int: [(patients: Int, hosts: Int, expiry: Day, pairs: [Int])]] = [:]
        for (key, js) in pairsOfCohortLot {
            let lot = Int(key & 0xffff_ffff), cohort = Int(key >> 32)
            var doses: [(patient: Bool, vials: Int)] = []
            for j in js {
                let q = Int(p.pairClass[j])
                doses.append(contentsOf: repeatElement((patient: p.classIsPatient[q], vials: Int(p.pairVials[j])), count: p.classMembers[q].count))
            }
            doses.sort { a, b in
                if patientsFirst && a.patient != b.patient { return a.patient }
                return a.vials < b.vials
            }
            var room = p.instance.lots[lot].vialsAvailable, hosts = 0, patients = 0
            for d in doses where d.vials <= room {
                room -= d.vials
                hosts += 1
                if d.patient { patients += 1 }
            }
            ranked[cohort, default: []].append((patientsFirst ? patients : 0, hosts, p.instance.lots[lot].expiry, js))
        }
        for (_, lots) in ranked {
            let top = lots.sorted { a, b in
                if a.patients != b.patients { return a.patients > b.patients }
                return a.hosts != b.hosts ? a.hosts > b.hosts : a.expiry < b.expiry
            }.prefix(perCohort)
            for l in top { chosen.formUnion(l.pairs) }
            // And for the expiry level: the first-expiring lots that host at least half as many.
            let most = top.first?.hosts ?? 0
            let early = lots.filter { 2 * $0.hosts >= most }.sorted { $0.expiry < $1.expiry }.prefix(perCohort)
            for l in early { chosen.formUnion(l.pairs) }
        }
        return chosen.sorted()
    }
}

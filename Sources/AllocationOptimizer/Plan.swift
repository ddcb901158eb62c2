/// A plan inside the optimizer: the lot index serving each demand, or -1.
struct Plan: Sendable, Equatable {
    var lotOfDemand: [Int]

    init(demandCount: Int) { lotOfDemand = [Int](repeating: -1, count: demandCount) }

    /// The objective tuple of FORMAT.md, or nil if the plan breaks a rule
    /// (a pair not allowed, a lot over its vials, a cohort on two lots under `hard`).
    func objective(in p: Problem) -> [Int]? {
        let inst = p.instance
        var used = [Int](repeating: 0, count: p.lotCount)
        var cohortLots = Set<Int64>()
        var lotsPerCohort = [Int](repeating: 0, count: p.cohorts.count)
        var unassigned = [0, 0]
        var slack = 0, over = 0
        for (i, lot) in lotOfDemand.enumerated() {
            let patient = inst.demands[i].kind == .patient
            guard lot >= 0 else {
                unassigned[patient ? 0 : 1] += 1
                continue
            }
            guard let j = p.pair(demand: i, lot: lot) else { return nil }
            used[lot] += Int(p.pairVials[j])
            slack += Int(p.pairSlack[j])
            over += p.pairOver[j]
            let c = p.classCohort[p.classOfDemand[i]]
            if cohortLots.insert(Int64(c) << 32 | Int64(lot)).inserted { lotsPerCohort[c] += 1 }
        }
        for (j, n) in used.enumerated() where n > inst.lots[j].vialsAvailable { return nil }
        let spread = lotsPerCohort.reduce(0, +)
        if inst.policy.cohortLots == .hard, lotsPerCohort.contains(where: { $0 > 1 }) { return nil }
        return [unassigned[0], unassigned[1], inst.policy.cohortLots == .soft ? spread : 0, slack, over]
    }
}

extension Array where Element == Int {
    /// Lexicographic comparison of objective tuples.
    static func lexLess(_ a: [Int], _ b: [Int]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x < y }
        return false
    }
}

/// Moves that keep every served demand served and lower levels 3–5 lexicographically:
/// a demand moving to another lot with room, or two demands trading lots. Used on instances
/// too large for the full MIP, where CBC's own heuristics rarely improve a start.
struct LocalSearch {
    let p: Problem
    var plan: Plan
    var left: [Int]
    /// Demands of each (cohort, lot) pair in the plan.
    var onCohortLot: [Int64: Int] = [:]
    var demandsOnLot: [[Int]]
    let policy: CohortLotsPolicy

    init(_ p: Problem, _ plan: Plan) {
        self.p = p
        self.plan = plan
        policy = p.instance.policy.cohortLots
        left = p.instance.lots.map(\.vialsAvailable)
        demandsOnLot = [[Int]](repeating: [], count: p.lotCount)
        for (i, lot) in plan.lotOfDemand.enumerated() where lot >= 0 {
            left[lot] -= vials(i, lot)
            onCohortLot[key(i, lot), default: 0] += 1
            demandsOnLot[lot].append(i)
        }
    }

    func key(_ i: Int, _ lot: Int) -> Int64 { Formulation.key(p.classCohort[p.classOfDemand[i]], lot) }
    func vials(_ i: Int, _ lot: Int) -> Int { Int(p.pairVials[p.pair(demand: i, lot: lot)!]) }

    /// Change in (spread, slack, overage) if demand i moves from lot a to pair j's lot.
    func delta(_ i: Int, from a: Int, to j: Int) -> (Int, Int, Int) {
        let ja = p.pair(demand: i, lot: a)!
        var spread = 0
        if policy == .soft {
            let gainsLot = (onCohortLot[key(i, Int(p.pairLot[j]))] ?? 0) == 0
            let losesLot = onCohortLot[key(i, a)] == 1
            spread = (gainsLot ? 1 : 0) - (losesLot ? 1 : 0)
        }
        return (spread, Int(p.pairSlack[j]) - Int(p.pairSlack[ja]), p.pairOver[j] - p.pairOver[ja])
    }

    static func less(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Bool {
        a.0 != b.0 ? a.0 < b.0 : (a.1 != b.1 ? a.1 < b.1 : a.2 < b.2)
    }

    mutating func move(_ i: Int, to b: Int) {
        let a = plan.lotOfDemand[i]
        left[a] += vials(i, a)
        onCohortLot[key(i, a)]! -= 1
        demandsOnLot[a].removeAll { $0 == i }
        left[b] -= vials(i, b)
        onCohortLot[key(i, b), default: 0] += 1
        demandsOnLot[b].append(i)
        plan.lotOfDemand[i] = b
    }

    /// Improves until no move helps or the deadline passes. Under `hard` any move would put a
    /// cohort on a second lot, so there is nothing to do.
    mutating func run(until deadline: ContinuousClock.Instant) {
        guard policy != .hard else { return }
        var improved = true
        while improved && ContinuousClock.now < deadline {
            improved = false
            for i in plan.lotOfDemand.indices where plan.lotOfDemand[i] >= 0 {
                if ContinuousClock.now >= deadline { return }
                let a = plan.lotOfDemand[i]
                var best: (move: (Int, Int, Int), lot: Int, swap: Int?)? = nil
                for j in p.pairs(ofClass: p.classOfDemand[i]) {
                    let b = Int(p.pairLot[j])
                    guard b != a else { continue }
                    let k = Int(p.pairVials[j])
                    if left[b] >= k {
                        let d = delta(i, from: a, to: j)
                        if Self.less(d, (0, 0, 0)), best == nil || Self.less(d, best!.move) {
                            best = (d, b, nil)
                        }
                        continue
                    }
                    // Lot b is too full: trade with a demand on b that can take lot a.
                    guard p.pairSlack[j] <= p.pairSlack[p.pair(demand: i, lot: a)!] else { continue }
                    for other in demandsOnLot[b] {
                        guard let jo = p.pair(demand: other, lot: a) else { continue }
                        let kOtherB = vials(other, b), kOtherA = Int(p.pairVials[jo]), kiA = vials(i, a)
                        guard left[b] + kOtherB >= k, left[a] + kiA >= kOtherA else { continue }
                        let d1 = delta(i, from: a, to: j), d2 = delta(other, from: b, to: jo)
                        let spread = policy == .soft ? spreadChangeOfSwap(i, a, other, b) : 0
                        let d = (spread, d1.1 + d2.1, d1.2 + d2.2)
                        if Self.less(d, (0, 0, 0)), best == nil || Self.less(d, best!.move) { best = (d, b, other) }
                    }
                }
                guard let chosen = best else { continue }
                if let other = chosen.swap {
                    // Free b's vials first so that i fits, then put the other demand on a.
                    let b = chosen.lot
                    left[b] += vials(other, b)
                    left[a] += vials(i, a)
                    onCohortLot[key(other, b)]! -= 1
                    onCohortLot[key(i, a)]! -= 1
                    demandsOnLot[b].removeAll { $0 == other }
                    demandsOnLot[a].removeAll { $0 == i }
                    left[b] -= vials(i, b)
                    left[a] -= vials(other, a)
                    onCohortLot[key(i, b), default: 0] += 1
                    onCohortLot[key(other, a), default: 0] += 1
                    demandsOnLot[b].append(i)
                    demandsOnLot[a].append(other)
                    plan.lotOfDemand[i] = b
                    plan.lotOfDemand[other] = a
                } else {
                    move(i, to: chosen.lot)
                }
                improved = true
            }
        }
    }

    /// The exact change in (cohort, lot) pairs when i (on a) and other (on b) trade lots.
    func spreadChangeOfSwap(_ i: Int, _ a: Int, _ other: Int, _ b: Int) -> Int {
        var counts: [Int64: Int] = [:]
        for k in [key(i, a), key(i, b), key(other, a), key(other, b)] { counts[k] = onCohortLot[k] ?? 0 }
        let before = counts.values.filter { $0 > 0 }.count
        counts[key(i, a)]! -= 1
        counts[key(other, b)]! -= 1
        counts[key(i, b)]! += 1
        counts[key(other, a)]! += 1
        return counts.values.filter { $0 > 0 }.count - before
    }
}

/// Lower bounds that need no solver. Each is valid when the levels before it are at their
/// proven optimum; when a plan meets one, that level is proven optimal without a MIP.
enum Bounds {
    /// Level 1 and 2: demands without a single usable lot stay unassigned in every plan.
    static func unservable(_ p: Problem, patients: Bool) -> Int {
        var n = 0
        for q in 0..<p.classCount where p.classIsPatient[q] == patients && p.pairs(ofClass: q).isEmpty {
            n += p.classMembers[q].count
        }
        return n
    }

    /// Level 3 under `soft`, when every demand with a usable lot must be served (levels 1 and 2
    /// at their counting bounds): in each cohort, a lot can host at most as many of the cohort's
    /// demands as fit its vials smallest dose first, so the cohort needs at least as many lots as
    /// it takes of the largest such counts to reach its number of demands.
    static func cohortLots(_ p: Problem) -> Int { lotsPerCohort(p).reduce(0, +) }

    /// The per-cohort terms of `cohortLots`.
    static func lotsPerCohort(_ p: Problem) -> [Int] {
        var doses = [[Int64: [Int]]](repeating: [:], count: p.cohorts.count)  // cohort -> lot -> vials of each demand
        var needed = [Int](repeating: 0, count: p.cohorts.count)
        for q in 0..<p.classCount where !p.pairs(ofClass: q).isEmpty {
            let c = p.classCohort[q], n = p.classMembers[q].count
            needed[c] += n
            for j in p.pairs(ofClass: q) {
                doses[c][Int64(p.pairLot[j]), default: []].append(contentsOf: repeatElement(Int(p.pairVials[j]), count: n))
            }
        }
        var least = [Int](repeating: 0, count: p.cohorts.count)
        for c in doses.indices where needed[c] > 0 {
            var hosts: [Int] = []
            for (lot, vials) in doses[c] {
                var room = p.instance.lots[Int(lot)].vialsAvailable, count = 0
                for k in vials.sorted() where k <= room {
                    room -= k
                    count += 1
                }
                hosts.append(count)
            }
            hosts.sort(by: >)
            var covered = 0, lots = 0
            for h in hosts where covered < needed[c] {
                covered += h
                lots += 1
            }
            least[c] = max(lots, 1)
        }
        return least
    }

    /// Under `hard` a cohort is served from one lot, so it gets at most as many of its patients
    /// (or of its demands) as the best single lot can host, smallest doses first.
    static func hardCohortHosts(_ p: Problem, patientsOnly: Bool) -> Int {
        var doses = [[Int: [Int]]](repeating: [:], count: p.cohorts.count)
        for q in 0..<p.classCount where !patientsOnly || p.classIsPatient[q] {
            for j in p.pairs(ofClass: q) {
                doses[p.classCohort[q]][Int(p.pairLot[j]), default: []]
                    .append(contentsOf: repeatElement(Int(p.pairVials[j]), count: p.classMembers[q].count))
            }
        }
        var total = 0
        for byLot in doses {
            var best = 0
            for (lot, vials) in byLot {
                var room = p.instance.lots[lot].vialsAvailable, count = 0
                for k in vials.sorted() where k <= room {
                    room -= k
                    count += 1
                }
                best = max(best, count)
            }
            total += best
        }
        return total
    }

    /// Level 4 when every demand with a usable lot must be served: each takes at least its least slack.
    static func slack(_ p: Problem) -> Int {
        var total = 0
        for q in 0..<p.classCount {
            guard let m = p.pairs(ofClass: q).map({ Int(p.pairSlack[$0]) }).min() else { continue }
            total += m * p.classMembers[q].count
        }
        return total
    }

    /// Level 5 when every demand with a usable lot must be served; when level 4 is at `slack(p)`,
    /// each demand must take one of its least-slack lots.
    static func overage(_ p: Problem, leastSlackForced: Bool) -> Int {
        var total = 0
        for q in 0..<p.classCount {
            let r = p.pairs(ofClass: q)
            guard let minSlack = r.map({ p.pairSlack[$0] }).min() else { continue }
            let eligible = leastSlackForced ? r.filter { p.pairSlack[$0] == minSlack } : Array(r)
            total += (eligible.map { p.pairOver[$0] }.min() ?? 0) * p.classMembers[q].count
        }
        return total
    }
}

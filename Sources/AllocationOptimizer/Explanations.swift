/// Readable reasons for a plan: why a demand was left unassigned, and why an assigned
/// demand got its lot rather than one that expires sooner.
public enum AllocationExplanations {
    /// Groups the lots a rule excludes from a demand into readable counts, largest group first:
    /// "12 lots expire before 2026-06-11; 3 lots: donor-specific antibody A*02 (A*02:01)".
    public static func groupExclusions(_ exclusions: [(lot: Lot, reason: Exclusion)], examples: Int = 3) -> String {
        var groups: [String: [String]] = [:]
        var order: [String] = []
        var reasons: [String: Exclusion] = [:]
        for (lot, reason) in exclusions {
            let label = groupLabel(reason, plural: true)
            if groups[label] == nil {
                order.append(label)
                reasons[label] = reason
            }
            groups[label, default: []].append(lot.id)
        }
        let sorted = order.enumerated().sorted { a, b in
            let na = groups[a.element]!.count, nb = groups[b.element]!.count
            return na != nb ? na > nb : a.offset < b.offset
        }
        return sorted.map { _, label in
            let ids = groups[label]!
            let shown = ids.prefix(examples).joined(separator: ", ") + (ids.count > examples ? ", …" : "")
            let text = ids.count == 1 ? groupLabel(reasons[label]!, plural: false) : label
            return "\(ids.count) lot\(ids.count == 1 ? "" : "s") \(text) (\(shown))"
        }.joined(separator: "; ")
    }

    /// The words after "N lots" (or "1 lot") for a group of lots excluded the same way.
    static func groupLabel(_ e: Exclusion, plural: Bool) -> String {
        func verb(_ many: String, _ one: String) -> String { plural ? many : one }
        return switch e {
        case .notReleased(let s): "not released (\(s))"
        case .otherProduct(let p): "of product \(p)"
        case .expiresTooEarly(_, let latest): "\(verb("expire", "expires")) before \(latest)"
        case .noRoute(let depot, let site): "at depot \(depot), which has no route to site \(site)"
        case .arrivesTooLate(let arrival, let infusion):
            "\(verb("arrive", "arrives")) \(arrival) at the earliest, after infusion on \(infusion)"
        case .donorSpecificAntibody(let a, let h): "\(verb("carry", "carries")) \(h), hit by donor-specific antibody \(a)"
        case .excludedForDemand: "excluded for this demand"
        case .noVialCount(let c): "with \(c) cells per vial: no whole number of vials fits the dose window"
        case .tooFewVials(let k, _): "\(verb("hold", "holds")) fewer than the \(k) vials of one dose"
        }
    }
}

struct Explainer {
    let p: Problem
    let plan: Plan
    let rules: AllocationRules
    var left: [Int]
    var cohortLots: [Set<Int>]
    var lotsByProduct: [String: [Int]] = [:]

    init(_ p: Problem, plan: Plan) {
        self.p = p
        self.plan = plan
        rules = p.rules
        left = p.instance.lots.map(\.vialsAvailable)
        cohortLots = [Set<Int>](repeating: [], count: p.cohorts.count)
        for (i, lot) in plan.lotOfDemand.enumerated() where lot >= 0 {
            left[lot] -= Int(p.pairVials[p.pair(demand: i, lot: lot)!])
            cohortLots[p.classCohort[p.classOfDemand[i]]].insert(lot)
        }
        for (j, lot) in p.instance.lots.enumerated() { lotsByProduct[lot.product, default: []].append(j) }
    }

    func whyUnassigned(demand i: Int) -> String {
        let d = p.instance.demands[i]
        let q = p.classOfDemand[i]
        let lots = p.instance.lots
        let candidates = lotsByProduct[d.product] ?? []
        if candidates.isEmpty { return "no \(d.product) lot in the instance" }
        let allowed = p.pairs(ofClass: q)
        if allowed.isEmpty {
            let excluded = candidates.map { (lot: lots[$0], reason: rules.whyNotUsable(d, lots[$0])!) }
            return "no \(d.product) lot may serve it: " + AllocationExplanations.groupExclusions(excluded)
        }
        let c = p.classCohort[q]
        // Only a plan made elsewhere can leave a demand out while a lot still has room for it.
        let roomy = allowed.filter { j in
            let lot = Int(p.pairLot[j])
            return left[lot] >= Int(p.pairVials[j])
                && (p.instance.policy.cohortLots != .hard || cohortLots[c].isEmpty || cohortLots[c] == [lot])
        }
        if !roomy.isEmpty {
            let ids = roomy.map { lots[Int(p.pairLot[$0])].id }
            return "not assigned in this plan, though \(ids.count) allowed lot\(ids.count == 1 ? "" : "s") still "
                + "\(ids.count == 1 ? "has" : "have") room for its dose: " + ids.prefix(3).joined(separator: ", ")
                + (ids.count > 3 ? ", …" : "")
        }
        if p.instance.policy.cohortLots == .hard, let bound = cohortLots[c].first {
            let others = allowed.count - (p.pair(demand: i, lot: bound) == nil ? 0 : 1)
            let boundReason: String
            if let j = p.pair(demand: i, lot: bound) {
                boundReason = "which has \(left[bound]) vial\(left[bound] == 1 ? "" : "s") left, fewer than its dose of \(p.pairVials[j])"
            } else {
                boundReason = "which may not serve it: \(rules.whyNotUsable(d, lots[bound])?.description ?? "dose does not fit")"
            }
            return "cohortLots hard: cohort \(d.cohort) draws from lot \(lots[bound].id), \(boundReason); "
                + "its \(others) other allowed lot\(others == 1 ? "" : "s") would put the cohort on a second lot"
        }
        let short = allowed.map { j in "\(lots[Int(p.pairLot[j])].id) (\(left[Int(p.pairLot[j])]) of \(p.pairVials[j]) vials left)" }
        return "capacity went to higher-ranked demands: \(allowed.count) allowed lot\(allowed.count == 1 ? "" : "s"), "
            + "none with room left for its dose: "
            + short.prefix(3).joined(separator: ", ") + (short.count > 3 ? ", …" : "")
    }

    func whyThisLot(demand i: Int) -> String {
        let d = p.instance.demands[i]
        let lots = p.instance.lots
        let a = plan.lotOfDemand[i]
        let expiry = lots[a].expiry
        let sooner = (lotsByProduct[d.product] ?? []).filter { lots[$0].expiry < expiry }
        if sooner.isEmpty { return "\(lots[a].id) (expires \(expiry)) is the first-expiring \(d.product) lot" }
        var excluded: [(lot: Lot, reason: Exclusion)] = []
        var usedUp: [String] = [], cohortBound: [String] = [], open: [String] = []
        let c = p.classCohort[p.classOfDemand[i]]
        for j in sooner.sorted(by: { lots[$0].expiry > lots[$1].expiry }) {
            if let reason = rules.whyNotUsable(d, lots[j]) {
                excluded.append((lots[j], reason))
            } else if left[j] < Int(p.pairVials[p.pair(demand: i, lot: j)!]) {
                usedUp.append(lots[j].id)
            } else if p.instance.policy.cohortLots != .off && !cohortLots[c].contains(j) {
                cohortBound.append(lots[j].id)
            } else {
                open.append(lots[j].id)
            }
        }
        func list(_ ids: [String]) -> String { ids.prefix(3).joined(separator: ", ") + (ids.count > 3 ? ", …" : "") }
        var parts: [String] = []
        if !usedUp.isEmpty { parts.append("\(usedUp.count) have too few vials left after serving other demands (\(list(usedUp)))") }
        if !cohortBound.isEmpty {
            parts.append(p.instance.policy.cohortLots == .hard
                ? "\(cohortBound.count) would put cohort \(d.cohort) on a second lot (\(list(cohortBound)))"
                : "\(cohortBound.count) would add a lot to cohort \(d.cohort), which counts before expiry (\(list(cohortBound)))")
        }
        if !open.isEmpty { parts.append("\(open.count) could take it but no better plan was proven with them (\(list(open)))") }
        if !excluded.isEmpty { parts.append(AllocationExplanations.groupExclusions(excluded)) }
        return "\(lots[a].id) expires \(expiry); of the \(sooner.count) \(d.product) lot\(sooner.count == 1 ? "" : "s") expiring sooner, "
            + parts.joined(separator: "; ")
    }
}

import AllocationOptimizer
import Foundation

/// Small hand-made instances for the rule and solver tests.
enum Fixture {
    static let asOf = Day(iso: "2026-06-01")!

    static func day(_ s: String) -> Day { Day(iso: s)! }

    static func lot(_ id: String, product: String = "P", status: String = "released", expiry: String = "2026-12-31",
                    cellsPerVial: Int = 50, vials: Int = 10, depot: String = "D", hla: [String] = []) -> Lot {
        Lot(id: id, product: product, status: status, expiry: day(expiry), cellsPerVial: cellsPerVial,
            vialsAvailable: vials, depot: depot, donorHla: hla)
    }

    static func demand(_ id: String, kind: DemandKind = .patient, product: String = "P", cohort: String = "C",
                       target: Int = 100, site: String = "S", infusion: String = "2026-06-10",
                       anti: [String] = [], excluded: [String] = []) -> Demand {
        Demand(id: id, kind: kind, product: product, cohort: cohort, targetCells: target, site: site,
               infusionDate: day(infusion), antiHla: anti, excludedLots: excluded)
    }

    static func instance(lots: [Lot], demands: [Demand], routes: [Route] = [Route(from: "D", to: "S", days: 1)],
                         tolerance: Int = 20, margin: Int = 1, cohortLots: CohortLotsPolicy = .soft) -> AllocationInstance {
        AllocationInstance(asOf: asOf, policy: AllocationPolicy(doseTolerancePct: tolerance, expiryMarginDays: margin,
                                                                cohortLots: cohortLots),
                           lots: lots, demands: demands, routes: routes)
    }

    static func rules(routes: [Route] = [Route(from: "D", to: "S", days: 1)], tolerance: Int = 20, margin: Int = 1) -> AllocationRules {
        AllocationRules(asOf: asOf, policy: AllocationPolicy(doseTolerancePct: tolerance, expiryMarginDays: margin, cohortLots: .soft),
                        routes: routes)
    }
}

/// Checks a result against FORMAT.md without the optimizer's own code paths: every assignment
/// allowed with rule 6's vial count, no demand twice, lots within their vials, one lot per
/// cohort under `hard`; returns the objective tuple recomputed from the assignments.
func independentObjective(_ inst: AllocationInstance, _ result: AllocationResult) -> [Int]? {
    let rules = AllocationRules(inst)
    let lots = Dictionary(uniqueKeysWithValues: inst.lots.map { ($0.id, $0) })
    let demands = Dictionary(uniqueKeysWithValues: inst.demands.map { ($0.id, $0) })
    var taken: [String: Int] = [:]
    var served = Set<String>()
    var cohortLots: [String: Set<String>] = [:]
    var slack = 0, over = 0
    for a in result.assignments {
        guard let d = demands[a.demand], let lot = lots[a.lot], rules.whyNot(d, lot) == nil,
              served.insert(a.demand).inserted,
              a.vials == AllocationRules.vialCount(targetCells: d.targetCells, cellsPerVial: lot.cellsPerVial,
                                                   tolerancePct: inst.policy.doseTolerancePct)
        else { return nil }
        taken[a.lot, default: 0] += a.vials
        cohortLots[d.cohort, default: []].insert(a.lot)
        slack += lot.expiry - d.infusionDate
        over += abs(a.vials * lot.cellsPerVial - d.targetCells)
    }
    for (id, n) in taken where n > lots[id]!.vialsAvailable { return nil }
    if inst.policy.cohortLots == .hard, cohortLots.values.contains(where: { $0.count > 1 }) { return nil }
    let unserved = inst.demands.filter { !served.contains($0.id) }
    guard Set(result.unassigned.map(\.demand)) == Set(unserved.map(\.id)) else { return nil }
    return [unserved.filter { $0.kind == .patient }.count, unserved.filter { $0.kind == .slot }.count,
            inst.policy.cohortLots == .soft ? cohortLots.values.reduce(0) { $0 + $1.count } : 0, slack, over]
}

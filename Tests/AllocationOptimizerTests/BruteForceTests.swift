import AllocationOptimizer
import Foundation
import Testing

/// Random small instances (up to 8 demands × 6 lots) whose lexicographic optimum is found by
/// enumerating every plan.
enum RandomInstance {
    static let alleles = ["A*01:01", "A*02:01", "A*02:05", "B*07:02", "B*44:02", "C*07:01"]
    static let antibodies = ["A*02", "A*02:01", "B*44:02", "C*07"]

    static func make(seed: UInt64) -> AllocationInstance {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        func chance(_ p: Double) -> Bool { Double(rng.next() % 1000) < p * 1000 }
        let asOf = Day(iso: "2026-06-01")!
        let lotCount = Int(rng.next() % 6) + 1, demandCount = Int(rng.next() % 8) + 1
        var lots: [Lot] = []
        for i in 0..<lotCount {
            lots.append(Lot(id: "L\(i)", product: chance(0.85) ? "P" : "Q", status: chance(0.9) ? "released" : "quarantine",
                            expiry: asOf + Int(rng.next() % 40) + 3, cellsPerVial: pick([20, 25, 30, 40, 50, 60]),
                            vialsAvailable: Int(rng.next() % 9) + 1, depot: pick(["D", "D", "E"]),
                            donorHla: [pick(alleles), pick(alleles)]))
        }
        var demands: [Demand] = []
        for i in 0..<demandCount {
            demands.append(Demand(id: "d\(i)", kind: chance(0.6) ? .patient : .slot, product: chance(0.9) ? "P" : "Q",
                                  cohort: pick(["C1", "C2", "C3"]), targetCells: pick([50, 100, 120]), site: pick(["S1", "S2"]),
                                  infusionDate: asOf + Int(rng.next() % 19) + 2,
                                  antiHla: chance(0.25) ? [pick(antibodies)] : [],
                                  excludedLots: chance(0.1) ? ["L\(rng.next() % UInt64(lotCount))"] : []))
        }
        var routes = [Route(from: "D", to: "S1", days: Int(rng.next() % 3) + 1), Route(from: "E", to: "S1", days: 3)]
        if chance(0.7) { routes.append(Route(from: "D", to: "S2", days: Int(rng.next() % 4) + 1)) }
        if chance(0.3) { routes.append(Route(from: "D", to: "S1", days: 1)) }
        let policy = AllocationPolicy(doseTolerancePct: pick([0, 10, 20, 30]), expiryMarginDays: pick([0, 1, 2]),
                                      cohortLots: pick(CohortLotsPolicy.allCases))
        return AllocationInstance(asOf: asOf, policy: policy, lots: lots, demands: demands, routes: routes)
    }

    /// The least objective tuple over every plan, by depth-first enumeration.
    static func bruteForceOptimum(_ inst: AllocationInstance) -> [Int] {
        let rules = AllocationRules(inst)
        let options: [[(lot: Int, dose: Dose)]] = inst.demands.map { d in
            inst.lots.indices.compactMap { j in
                guard let dose = rules.dose(d, inst.lots[j]), dose.vials <= inst.lots[j].vialsAvailable else { return nil }
                return (j, dose)
            }
        }
        var left = inst.lots.map(\.vialsAvailable)
        var cohortLots: [String: [Int: Int]] = [:]  // cohort -> lot -> demands using it
        var best: [Int]? = nil
        var current = [0, 0, 0, 0, 0]
        func visit(_ i: Int) {
            if i == inst.demands.count {
                var tuple = current
                tuple[2] = inst.policy.cohortLots == .soft ? cohortLots.values.reduce(0) { $0 + $1.count } : 0
                if best == nil || tuple.lexicographicallyPrecedes(best!) { best = tuple }
                return
            }
            let d = inst.demands[i]
            current[d.kind == .patient ? 0 : 1] += 1
            visit(i + 1)
            current[d.kind == .patient ? 0 : 1] -= 1
            for (j, dose) in options[i] where left[j] >= dose.vials {
                let lotsOfCohort = cohortLots[d.cohort] ?? [:]
                if inst.policy.cohortLots == .hard, !lotsOfCohort.isEmpty, lotsOfCohort[j] == nil { continue }
                left[j] -= dose.vials
                cohortLots[d.cohort, default: [:]][j, default: 0] += 1
                current[3] += dose.slackDays
                current[4] += dose.overageCells
                visit(i + 1)
                current[3] -= dose.slackDays
                current[4] -= dose.overageCells
                cohortLots[d.cohort]![j]! -= 1
                if cohortLots[d.cohort]![j]! == 0 { cohortLots[d.cohort]![j] = nil }
                left[j] += dose.vials
            }
        }
        visit(0)
        return best!
    }
}

@Suite("Optimality against brute force")
struct BruteForceTests {
    @Test("the optimizer's objective equals full enumeration's on random instances", arguments: 0..<10)
    func matchesEnumeration(batch: Int) {
        for seed in UInt64(batch * 40)..<UInt64(batch * 40 + 40) {
            let inst = RandomInstance.make(seed: seed)
            let expected = RandomInstance.bruteForceOptimum(inst)
            let result = AllocationSolver.solve(inst, options: SolveOptions())
            #expect(result.objective == expected, "seed \(seed), policy \(inst.policy.cohortLots)")
            #expect(independentObjective(inst, result) == result.objective, "seed \(seed): plan does not match its objective")
            #expect(result.levels.allSatisfy { $0.provenOptimal }, "seed \(seed): optimality not proven")
        }
    }

    @Test("the generator covers every policy, binding capacity, unservable demands and MIP solves")
    func generatorCoverage() {
        var policies = Set<String>(), capacityBinds = false, unservable = false, solverNeeded = 0
        for seed in UInt64(0)..<400 {
            let inst = RandomInstance.make(seed: seed)
            policies.insert(inst.policy.cohortLots.rawValue)
            let result = AllocationSolver.solve(inst, options: SolveOptions())
            if result.unassigned.contains(where: { $0.reason.hasPrefix("capacity") || $0.reason.hasPrefix("cohortLots hard") }) { capacityBinds = true }
            if result.unassigned.contains(where: { $0.reason.hasPrefix("no ") }) { unservable = true }
            if result.levels.contains(where: { $0.method == "cbc" }) { solverNeeded += 1 }
        }
        #expect(policies.count == 3)
        #expect(capacityBinds)
        #expect(unservable)
        // Enough instances where counting bounds do not settle the plan and the MIP must.
        #expect(solverNeeded >= 100, "only \(solverNeeded) instances needed CBC")
    }
}

import Foundation

public enum AllocationSolver {
    /// Share of the remaining time each level may take. Under `hard` the hard part is serving
    /// patients and slots with one lot per cohort; otherwise it is the cohort and expiry levels.
    static func levelWeights(_ policy: CohortLotsPolicy) -> [Double] {
        policy == .hard ? [2, 2, 0, 2, 1] : [1, 1, 3, 3, 2]
    }
    /// Levels solved together with provably safe weights (see `solveStage`).
    static let stages: [[Int]] = [[0, 1], [2], [3, 4]]
    /// Largest combined objective handed to CBC: beyond it, levels are solved one by one
    /// rather than weighted, so that every objective value stays far inside double precision.
    static let maxCombinedObjective = 1 << 36

    public static func solve(_ instance: AllocationInstance, options: SolveOptions) -> AllocationResult {
        let began = ContinuousClock.now
        var run = Run(Problem(instance), began: began, options: options)
        run.solveLevels()
        let p = run.p
        let explainer = Explainer(p, plan: run.incumbent)
        var assignments: [Assignment] = []
        var unassigned: [Unassigned] = []
        for (i, d) in instance.demands.enumerated() {
            let lot = run.incumbent.lotOfDemand[i]
            if lot >= 0 {
                let k = Int(p.pairVials[p.pair(demand: i, lot: lot)!])
                assignments.append(Assignment(demand: d.id, lot: instance.lots[lot].id, vials: k,
                                              explanation: explainer.whyThisLot(demand: i)))
            } else {
                unassigned.append(Unassigned(demand: d.id, reason: explainer.whyUnassigned(demand: i)))
            }
        }
        return AllocationResult(assignments: assignments, unassigned: unassigned, objective: run.objective,
                                levels: run.levels, solveSeconds: (ContinuousClock.now - began).seconds,
                                greedyObjective: run.greedyObjective, allowedPairs: p.pairCount, notes: run.notes)
    }

    /// The counting bound of level `l` given the values of the levels before it, if any applies.
    static func countingBound(_ l: Int, _ p: Problem, _ values: [Int]) -> Int? {
        let noPatients = Bounds.unservable(p, patients: true)
        let noSlots = Bounds.unservable(p, patients: false)
        let patients = p.instance.demands.filter { $0.kind == .patient }.count
        let slots = p.instance.demands.count - patients
        switch l {
        case 0 where p.instance.policy.cohortLots == .hard:
            return max(noPatients, patients - Bounds.hardCohortHosts(p, patientsOnly: true))
        case 1 where p.instance.policy.cohortLots == .hard:
            // Demands served in all <= sum of each cohort's best lot; the patients take values[0] of them.
            return max(noSlots, slots - (Bounds.hardCohortHosts(p, patientsOnly: false) - (patients - values[0])))
        case 0: return noPatients
        case 1: return noSlots
        default:
            // The bounds below assume every demand with a usable lot is served.
            guard values[0] == noPatients, values[1] == noSlots else { return nil }
            switch l {
            case 2: return p.instance.policy.cohortLots == .soft ? Bounds.cohortLots(p) : 0
            case 3: return Bounds.slack(p)
            default: return Bounds.overage(p, leastSlackForced: values[3] == Bounds.slack(p))
            }
        }
    }
}

/// One solve: the incumbent plan and the levels settled so far.
struct Run {
    let p: Problem
    let began: ContinuousClock.Instant
    let budget: Double
    let restricted: Bool
    var f: Formulation
    /// For a restricted model: the candidate pairs it was built from.
    var basePairs: [Int] = []
    var incumbent: Plan
    var objective: [Int]
    let greedyObjective: [Int]
    var levels: [LevelStatus] = []
    var notes: [String] = []
    var prefixProven = true

    init(_ p: Problem, began: ContinuousClock.Instant, options: SolveOptions) {
        self.p = p
        self.began = began
        let greedy = Greedy.firstExpiryFirstOut(p)
        greedyObjective = greedy.objective(in: p)!
        incumbent = greedy
        objective = greedyObjective
        if p.instance.policy.cohortLots != .off {
            let cover = Greedy.cohortCover(p)
            if let o = cover.objective(in: p), [Int].lexLess(o, objective) {
                incumbent = cover
                objective = o
            }
        }
        restricted = p.pairCount > Formulation.fullModelPairLimit
        budget = options.timeLimitSeconds ?? (restricted ? 50 : 25)
        let pairs: [Int]
        if restricted {
            pairs = CandidatePairs.select(p, keeping: [greedy, incumbent])
            notes.append("\(p.pairCount) allowed pairs: the MIP ran on \(pairs.count) candidate pairs "
                + "(each demand's least-slack lots, each cohort's widest lots, the greedy plans' pairs); "
                + "optimality is proven only where a counting bound is met")
        } else {
            pairs = Array(0..<p.pairCount)
        }
        basePairs = pairs
        f = Formulation(p, pairs: pairs)
    }

    /// Local search from the incumbent until `deadline`; on a restricted model, the formulation
    /// is rebuilt to include the pairs of the improved plan, with the settled levels fixed again.
    mutating func localSearch(until deadline: ContinuousClock.Instant) {
        var search = LocalSearch(p, incumbent)
        search.run(until: deadline)
        guard let o = search.plan.objective(in: p), [Int].lexLess(o, objective) else { return }
        incumbent = search.plan
        objective = o
        guard restricted else { return }
        var pairs = Set(basePairs)
        for (i, lot) in incumbent.lotOfDemand.enumerated() where lot >= 0 { pairs.insert(p.pair(demand: i, lot: lot)!) }
        basePairs = pairs.sorted()
        f = Formulation(p, pairs: basePairs)
        for l in levels.indices { f.fix(level: l, atMost: objective[l]) }
        if levels.count >= 3, p.instance.policy.cohortLots == .soft, AllocationSolver.countingBound(2, p, objective) != nil {
            f.limitLotsPerCohort(total: objective[2], least: Bounds.lotsPerCohort(p))
        }
    }

    /// Levels improved after they were recorded (by the final local search) take the new values.
    mutating func refreshLevels() {
        var before = true
        for l in levels.indices {
            levels[l].value = objective[l]
            if before, !levels[l].provenOptimal, let b = levels[l].bound, b >= objective[l] {
                levels[l].provenOptimal = true
            }
            before = levels[l].provenOptimal
        }
    }

    var elapsed: Double { (ContinuousClock.now - began).seconds }

    mutating func record(_ l: Int, proven: Bool, bound: Int?, method: String, since start: Double) {
        levels.append(LevelStatus(name: AllocationResult.levelNames[l], value: objective[l], provenOptimal: proven,
                                  bound: proven ? objective[l] : bound, seconds: elapsed - start, method: method))
        prefixProven = proven
    }

    mutating func solveLevels() {
        let policy = p.instance.policy.cohortLots
        for stage in AllocationSolver.stages {
            if stage.first == 3, policy == .soft, AllocationSolver.countingBound(2, p, objective) != nil {
                f.limitLotsPerCohort(total: objective[2], least: Bounds.lotsPerCohort(p))
            }
            if stage.first == 3 {
                if policy != .off { polishWithinCohortLots() }
                localSearch(until: ContinuousClock.now + .milliseconds(Int(1000 * max(0, budget - elapsed) * (restricted ? 0.2 : 0.05))))
            }
            var open: [Int] = []
            for l in stage {
                let start = elapsed
                if l == 2 && policy != .soft {
                    record(l, proven: prefixProven, bound: prefixProven ? 0 : nil, method: "constant", since: start)
                    continue
                }
                if open.isEmpty, prefixProven, let counting = AllocationSolver.countingBound(l, p, objective),
                   counting >= objective[l] {
                    record(l, proven: true, bound: counting, method: "counting-bound", since: start)
                    f.fix(level: l, atMost: objective[l])
                    continue
                }
                open.append(l)
            }
            // Weigh together as many of the open levels as stay within the magnitude limit.
            while !open.isEmpty {
                var group = [open[0]]
                var terms = [f.level(open[0])]
                for l in open.dropFirst() {
                    let t = f.level(l)
                    if Self.weights(terms + [t]) == nil { break }
                    group.append(l)
                    terms.append(t)
                }
                solveStage(group, terms)
                open.removeFirst(group.count)
            }
        }
        if restricted, elapsed < budget {
            localSearch(until: began + .milliseconds(Int(1000 * budget)))
            refreshLevels()
        }
        if let firstOpen = levels.firstIndex(where: { !$0.provenOptimal }) {
            notes.append("levels from \(firstOpen + 1) on are not proven optimal; level \(firstOpen + 1) is bounded below by "
                + (levels[firstOpen].bound.map(String.init) ?? "nothing known"))
        }
    }

    /// Levels 4 and 5 over only the (cohort, lot) pairs the incumbent already uses: a small
    /// MIP whose optimum keeps levels 1–3 and is a much better start for the full stage,
    /// since the cohort level's solve ignored expiry.
    mutating func polishWithinCohortLots() {
        var used = Set<Int64>()
        for (i, lot) in incumbent.lotOfDemand.enumerated() where lot >= 0 {
            used.insert(Formulation.key(p.classCohort[p.classOfDemand[i]], lot))
        }
        let pairs = f.pairs.filter { used.contains(Formulation.key(p.classCohort[Int(p.pairClass[$0])], Int(p.pairLot[$0]))) }
        var g = Formulation(p, pairs: pairs)
        for l in 0..<3 { g.fix(level: l, atMost: objective[l]) }
        let terms = [g.level(3), g.level(4)]
        guard let w = Self.weights(terms), let start = g.columns(of: incumbent) else { return }
        var objectiveVector = [Double](repeating: 0, count: g.model.columnCount)
        for (t, weight) in zip(terms, w) {
            for (i, c) in t.coefficients.enumerated() where c != 0 { objectiveVector[i] += c * Double(weight) }
        }
        let outcome = CbcSolver.solve(g.model, objective: objectiveVector, start: start,
                                      timeLimit: min(5, max(0, budget - elapsed) * 0.15))
        if let values = outcome.values, let o = g.plan(from: values).objective(in: p), [Int].lexLess(o, objective) {
            incumbent = g.plan(from: values)
            objective = o
        }
    }

    /// Weights that make `sum w[i] * u[i]` order plans lexicographically: each weight exceeds
    /// the most that all later levels together can change. Nil if the objective would grow
    /// past `maxCombinedObjective`.
    static func weights(_ terms: [LevelTerms]) -> [Int]? {
        var w = [Int](repeating: 1, count: terms.count)
        var later = 0  // sum over later levels of weight * range
        for i in terms.indices.reversed() {
            w[i] = later + 1
            let (product, overflow) = w[i].multipliedReportingOverflow(by: max(terms[i].range, 1))
            guard !overflow, product < AllocationSolver.maxCombinedObjective - later else { return nil }
            later += product
        }
        return w
    }

    /// Solves some consecutive levels at once, minimising `sum w[i] * u[i]` with the weights of
    /// `weights(_:)`, so that the weighted optimum is the lexicographic one.
    mutating func solveStage(_ ls: [Int], _ terms: [LevelTerms]) {
        let start = elapsed
        let w = Self.weights(terms) ?? [1]
        var objectiveVector = [Double](repeating: 0, count: f.model.columnCount)
        for (t, weight) in zip(terms, w) {
            for (i, c) in t.coefficients.enumerated() where c != 0 { objectiveVector[i] += c * Double(weight) }
        }
        let policy = p.instance.policy.cohortLots
        let weights = AllocationSolver.levelWeights(policy)
        let activeWeight = (ls[0]..<5).filter { $0 != 2 || policy == .soft }.map { weights[$0] }.reduce(0, +)
        let slice = (budget - elapsed) * ls.map { weights[$0] }.reduce(0, +) / activeWeight
        guard slice > 0.02 else {
            notes.append("levels \(ls.map { String($0 + 1) }.joined(separator: ", ")) got no solver time: the time limit was spent")
            for (i, l) in ls.enumerated() {
                let counting = i == 0 && prefixProven ? AllocationSolver.countingBound(l, p, objective) : nil
                record(l, proven: false, bound: counting, method: "heuristic", since: start)
                f.fix(level: l, atMost: objective[l])
            }
            return
        }
        let outcome = CbcSolver.solve(f.model, objective: objectiveVector, start: f.columns(of: incumbent), timeLimit: slice)
        if let values = outcome.values {
            let plan = f.plan(from: values)
            if let o = plan.objective(in: p), [Int].lexLess(o, objective) {
                incumbent = plan
                objective = o
            }
        }
        let method = outcome.provenOptimal ? "cbc" : "cbc-time-limit"
        // A solver bound B on sum w[j] u[j], with the levels before i at the incumbent's values
        // and the levels after i at most their range above 0, gives
        // u[i] >= (B - sum_{j<i} w[j] u[j] - sum_{j>i} w[j] range[j]) / w[i].
        let solverBound: Double? = (!restricted && outcome.bound.isFinite) ? outcome.bound - 1e-6 : nil
        var levelStart = start
        for (i, l) in ls.enumerated() {
            var bound = prefixProven ? AllocationSolver.countingBound(l, p, objective) : nil
            if prefixProven, let b = solverBound {
                var rest = b
                for j in 0..<i { rest -= Double(w[j]) * Double(terms[j].units(ofValue: objective[ls[j]])) }
                for j in (i + 1)..<ls.count { rest -= Double(w[j]) * Double(max(terms[j].range, 0)) }
                let fromSolver = terms[i].value(ofUnits: Int((rest / Double(w[i])).rounded(.up)))
                bound = max(bound ?? fromSolver, fromSolver)
            }
            let proven = prefixProven && ((!restricted && outcome.provenOptimal) || (bound ?? Int.min) >= objective[l])
            record(l, proven: proven, bound: bound, method: method, since: levelStart)
            f.fix(level: l, atMost: objective[l])
            levelStart = elapsed
        }
    }
}

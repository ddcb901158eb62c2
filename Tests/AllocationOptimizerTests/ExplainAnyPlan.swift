// Used by the tests only, so it lives with them: explanations for a plan given from outside the solver.
@testable import AllocationOptimizer

extension AllocationExplanations {
    /// Explanations for any plan of `instance`, such as one read back from the database, given
    /// as the lot id serving each assigned demand id: for each assigned demand why it got this lot
    /// rather than one that expires sooner, and for each other demand why it is unassigned.
    /// Nil when the plan breaks a rule of FORMAT.md or names an unknown demand or lot.
    static func explain(_ instance: AllocationInstance, lotOfDemand: [String: String])
        -> (assignments: [String: String], unassigned: [String: String])? {
        let p = Problem(instance)
        let lotIndex = Dictionary(instance.lots.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let demandIds = Set(instance.demands.map(\.id))
        guard lotOfDemand.keys.allSatisfy(demandIds.contains) else { return nil }
        var plan = Plan(demandCount: instance.demands.count)
        for (i, d) in instance.demands.enumerated() {
            guard let id = lotOfDemand[d.id] else { continue }
            guard let j = lotIndex[id] else { return nil }
            plan.lotOfDemand[i] = j
        }
        guard plan.objective(in: p) != nil else { return nil }
        let explainer = Explainer(p, plan: plan)
        var assigned: [String: String] = [:], unassigned: [String: String] = [:]
        for (i, d) in instance.demands.enumerated() {
            if plan.lotOfDemand[i] >= 0 {
                assigned[d.id] = explainer.whyThisLot(demand: i)
            } else {
                unassigned[d.id] = explainer.whyUnassigned(demand: i)
            }
        }
        return (assigned, unassigned)
    }
}

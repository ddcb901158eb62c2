import Foundation

public struct SolveOptions: Sendable {
    /// Wall-clock budget for the whole solve, shared out over the levels. Nil: 25 s, or 50 s
    /// when the instance has more than `Formulation.fullModelPairLimit` allowed pairs.
    public var timeLimitSeconds: Double?

    public init(timeLimitSeconds: Double? = nil) { self.timeLimitSeconds = timeLimitSeconds }
}

public struct Assignment: Sendable, Hashable {
    public var demand: String
    public var lot: String
    public var vials: Int
    /// Why this lot rather than one that expires sooner.
    public var explanation: String
}

public struct Unassigned: Sendable, Hashable {
    public var demand: String
    public var reason: String
}

public struct LevelStatus: Sendable, Hashable {
    /// As in check_plan.py: unassignedPatients, unassignedSlots, cohortSpread, expirySlackDays, overageCells.
    public var name: String
    public var value: Int
    /// The value is the least possible given the levels before it.
    public var provenOptimal: Bool
    /// A proven lower bound when optimality was not proven (nil when the level before it was not proven either).
    public var bound: Int?
    public var seconds: Double
    /// How the level was settled: "constant", "counting-bound", "cbc", "cbc-time-limit", "heuristic".
    public var method: String
}

public struct AllocationResult: Sendable {
    public var assignments: [Assignment]
    public var unassigned: [Unassigned]
    /// The five levels of FORMAT.md, smaller is better.
    public var objective: [Int]
    public var levels: [LevelStatus]
    public var solveSeconds: Double
    /// The first-expiry-first-out greedy plan's objective, for comparison.
    public var greedyObjective: [Int]
    public var allowedPairs: Int
    /// Notes on how the solve went (model restricted, levels not proven, ...).
    public var notes: [String]

    public static let levelNames = ["unassignedPatients", "unassignedSlots", "cohortSpread", "expirySlackDays", "overageCells"]
}

/// An allocation problem, format `cryoledger.allocation/v1` (FORMAT.md).
public struct AllocationInstance: Sendable {
    public var asOf: Day
    public var policy: AllocationPolicy
    public var lots: [Lot]
    public var demands: [Demand]
    public var routes: [Route]

    public init(asOf: Day, policy: AllocationPolicy, lots: [Lot], demands: [Demand], routes: [Route]) {
        self.asOf = asOf
        self.policy = policy
        self.lots = lots
        self.demands = demands
        self.routes = routes
    }
}

public enum CohortLotsPolicy: String, Sendable, CaseIterable {
    case soft, hard, off
}

public struct AllocationPolicy: Sendable {
    public var doseTolerancePct: Int
    public var expiryMarginDays: Int
    public var cohortLots: CohortLotsPolicy

    public init(doseTolerancePct: Int, expiryMarginDays: Int, cohortLots: CohortLotsPolicy) {
        self.doseTolerancePct = doseTolerancePct
        self.expiryMarginDays = expiryMarginDays
        self.cohortLots = cohortLots
    }
}

public struct Lot: Sendable {
    public var id: String
    public var product: String
    public var status: String
    public var expiry: Day
    public var cellsPerVial: Int
    public var vialsAvailable: Int
    public var depot: String
    public var donorHla: [String]

    public init(id: String, product: String, status: String, expiry: Day, cellsPerVial: Int,
                vialsAvailable: Int, depot: String, donorHla: [String]) {
        self.id = id
        self.product = product
        self.status = status
        self.expiry = expiry
        self.cellsPerVial = cellsPerVial
        self.vialsAvailable = vialsAvailable
        self.depot = depot
        self.donorHla = donorHla
    }
}

public enum DemandKind: String, Sendable {
    /// An enrolled patient: level 1 of the objective.
    case patient
    /// A cohort place not filled yet: level 2.
    case slot
}

public struct Demand: Sendable {
    public var id: String
    public var kind: DemandKind
    public var product: String
    public var cohort: String
    public var targetCells: Int
    public var site: String
    public var infusionDate: Day
    public var antiHla: [String]
    public var excludedLots: [String]

    public init(id: String, kind: DemandKind, product: String, cohort: String, targetCells: Int, site: String,
                infusionDate: Day, antiHla: [String], excludedLots: [String]) {
        self.id = id
        self.kind = kind
        self.product = product
        self.cohort = cohort
        self.targetCells = targetCells
        self.site = site
        self.infusionDate = infusionDate
        self.antiHla = antiHla
        self.excludedLots = excludedLots
    }
}

public struct Route: Sendable {
    public var from: String
    public var to: String
    public var days: Int

    public init(from: String, to: String, days: Int) {
        self.from = from
        self.to = to
        self.days = days
    }
}

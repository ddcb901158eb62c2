/// Everything a forecast run needs, as stored with the run (JSON) so it can be reproduced exactly.
/// Times are days from `asOf` (negative: in the past).
public struct SupplyInputs: Codable, Sendable, Equatable {
    /// The day the run starts from, `YYYY-MM-DD`.
    public var asOf: String
    public var months: Int
    /// The central depot's location id; lots stored elsewhere are at that site.
    public var depot: String
    /// A patient is dosed on time when the dose is at the bedside within this many hours of clearance.
    public var targetHours: Double
    /// The service level the plan must reach (share of patients dosed on time).
    public var serviceTarget: Double
    /// FORMAT.md rule 6's window around the target dose, in percent.
    public var doseTolerancePct: Int
    /// FORMAT.md rule 2: a lot must not expire within this many days of the infusion.
    public var expiryMarginDays: Int
    public var studies: [StudyAssumptions]
    public var sites: [SiteSupply]
    public var lots: [LotSupply]
    public var campaigns: [Campaign]
    public var policy: SupplyPolicy

    public init(asOf: String, months: Int, depot: String, targetHours: Double = 72, serviceTarget: Double = 0.99,
                doseTolerancePct: Int = 20, expiryMarginDays: Int = 0, studies: [StudyAssumptions], sites: [SiteSupply],
                lots: [LotSupply], campaigns: [Campaign] = [], policy: SupplyPolicy) {
        self.asOf = asOf; self.months = months; self.depot = depot; self.targetHours = targetHours
        self.serviceTarget = serviceTarget; self.doseTolerancePct = doseTolerancePct; self.expiryMarginDays = expiryMarginDays
        self.studies = studies; self.sites = sites; self.lots = lots; self.campaigns = campaigns; self.policy = policy
    }
}

/// A study's planning assumptions: demand, dose path and antibody prevalence.
public struct StudyAssumptions: Codable, Sendable, Equatable {
    public var id: String
    public var product: String
    /// In escalation order.
    public var doseLevels: [DoseLevelAssumption]
    /// Index into `doseLevels` of the cohort now open.
    public var currentLevel: Int
    /// Patients already dosed, and those with a DLT, at the current level.
    public var currentTreated: Int
    public var currentDlts: Int
    /// Escalation ends after this many cohorts (counting the open one).
    public var maxCohorts: Int
    /// After escalation ends, keep enrolling at the recommended dose (expansion) instead of closing.
    public var expandAfterEscalation: Bool
    public var screenFailure: Double
    /// Gamma shape of the uncertainty of each site's arrival rate (Poisson–Gamma); nil: the rate is known.
    public var rateShape: Double?
    /// Share of patients with an antibody against each specificity (e.g. `"A*02:01": 0.12`).
    public var antibodyShare: [String: Double]
    public var sites: [StudySiteAssumption]

    public init(id: String, product: String, doseLevels: [DoseLevelAssumption], currentLevel: Int = 0, currentTreated: Int = 0,
                currentDlts: Int = 0, maxCohorts: Int = 6, expandAfterEscalation: Bool = true, screenFailure: Double = 0,
                rateShape: Double? = nil, antibodyShare: [String: Double] = [:], sites: [StudySiteAssumption]) {
        self.id = id; self.product = product; self.doseLevels = doseLevels; self.currentLevel = currentLevel
        self.currentTreated = currentTreated; self.currentDlts = currentDlts; self.maxCohorts = maxCohorts
        self.expandAfterEscalation = expandAfterEscalation; self.screenFailure = screenFailure; self.rateShape = rateShape
        self.antibodyShare = antibodyShare; self.sites = sites
    }
}

public struct DoseLevelAssumption: Codable, Sendable, Equatable {
    public var code: String
    /// Target CAR+ cells of one dose (per-kg levels converted at the study's reference weight).
    public var targetCells: Int
    public var dltProbability: Double
    public init(code: String, targetCells: Int, dltProbability: Double) {
        self.code = code; self.targetCells = targetCells; self.dltProbability = dltProbability
    }
}

public struct StudySiteAssumption: Codable, Sendable, Equatable {
    public var site: String
    /// Mean patients cleared per month once the site is active.
    public var patientsPerMonth: Double
    /// Days from `asOf` to the site's activation (0 or less: active now).
    public var activationDay: Double
    public init(site: String, patientsPerMonth: Double, activationDay: Double = 0) {
        self.site = site; self.patientsPerMonth = patientsPerMonth; self.activationDay = activationDay
    }
}

public struct SiteSupply: Codable, Sendable, Equatable {
    public var id: String
    /// Transit from the depot, in days.
    public var transitDays: Double
    /// How long the dry shipper holds temperature; a route longer than this cannot ship.
    public var dryShipperHoldDays: Double
    /// Vials the site pharmacy can store; nil: no limit.
    public var capacityVials: Int?
    public init(id: String, transitDays: Double, dryShipperHoldDays: Double = 10, capacityVials: Int? = nil) {
        self.id = id; self.transitDays = transitDays; self.dryShipperHoldDays = dryShipperHoldDays; self.capacityVials = capacityVials
    }
}

public struct LotSupply: Codable, Sendable, Equatable {
    public var id: String
    public var product: String
    public var donor: String
    public var donorHla: [String]
    public var cellsPerVial: Int
    /// Vials usable (stored, no hold).
    public var vials: Int
    public var expiresInDays: Double
    /// 0 when released; the QC lead time for a lot in quarantine.
    public var releaseInDays: Double
    /// The depot or a site id.
    public var location: String
    public init(id: String, product: String, donor: String, donorHla: [String], cellsPerVial: Int, vials: Int,
                expiresInDays: Double, releaseInDays: Double = 0, location: String) {
        self.id = id; self.product = product; self.donor = donor; self.donorHla = donorHla; self.cellsPerVial = cellsPerVial
        self.vials = vials; self.expiresInDays = expiresInDays; self.releaseInDays = releaseInDays; self.location = location
    }
}

/// A manufacturing campaign: `lots` lots from one donor, released at the depot `leadDays` after it starts.
public struct Campaign: Codable, Sendable, Equatable, Hashable {
    public var product: String
    public var startDay: Double
    public var leadDays: Double
    public var lots: Int
    public var vialsPerLot: Int
    public var cellsPerVial: Int
    /// Shelf life from the campaign's start.
    public var shelfLifeDays: Double
    public var donor: String
    public var donorHla: [String]
    public init(product: String, startDay: Double, leadDays: Double, lots: Int, vialsPerLot: Int, cellsPerVial: Int,
                shelfLifeDays: Double, donor: String, donorHla: [String]) {
        self.product = product; self.startDay = startDay; self.leadDays = leadDays; self.lots = lots; self.vialsPerLot = vialsPerLot
        self.cellsPerVial = cellsPerVial; self.shelfLifeDays = shelfLifeDays; self.donor = donor; self.donorHla = donorHla
    }
}

public enum SupplyMode: String, Codable, Sendable, CaseIterable {
    /// Stock at the depot only; each patient's dose is shipped when the patient is cleared.
    case central
    /// Stock at the sites, kept between par levels; patients are dosed from site stock only.
    case site
    /// Par levels at the sites, and a shipment from the depot when the site has no compatible dose.
    case both
}

/// Min/max vials of a product kept at a site: below `min`, the depot ships up to `max`.
public struct ParLevel: Codable, Sendable, Equatable, Hashable {
    public var site: String
    public var product: String
    public var min: Int
    public var max: Int
    public init(site: String, product: String, min: Int, max: Int) {
        self.site = site; self.product = product; self.min = min; self.max = max
    }
}

public struct SupplyPolicy: Codable, Sendable, Equatable {
    public var mode: SupplyMode
    public var parLevels: [ParLevel]
    public init(mode: SupplyMode, parLevels: [ParLevel] = []) { self.mode = mode; self.parLevels = parLevels }
}

/// An input the model cannot run on: the field and the rule, in words.
public struct SupplyInputError: Error, Equatable, CustomStringConvertible {
    public var field: String
    public var rule: String
    public init(field: String, rule: String) { self.field = field; self.rule = rule }
    public var description: String { "\(field): \(rule)" }
}

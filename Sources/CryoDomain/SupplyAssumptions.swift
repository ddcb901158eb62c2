/// The planner's stored assumptions (docs/supply.md), checked before they are stored; the same ranges are CHECKs on
/// `supply_study_assumption`, `supply_site_assumption` (041) and `supply_product_assumption` (045).
public struct StudySupplyAssumption: Sendable, Equatable {
    public var dltProbabilities: [Double]?
    public var screenFailure: Double?
    public var rateShape: Double?
    public var maxCohorts: Int?
    public var qcLeadDays: Int?
    public init(dltProbabilities: [Double]? = nil, screenFailure: Double? = nil, rateShape: Double? = nil, maxCohorts: Int? = nil, qcLeadDays: Int? = nil) {
        self.dltProbabilities = dltProbabilities; self.screenFailure = screenFailure; self.rateShape = rateShape
        self.maxCohorts = maxCohorts; self.qcLeadDays = qcLeadDays
    }

    /// `levels`: the study's dose levels; one DLT probability per level, in their order.
    public func check(levels: Int) throws(DomainError) {
        if let d = dltProbabilities {
            guard d.count == levels else { throw .invalid(field: "dltProbabilities", rule: "give one probability per dose level (\(levels)), lowest level first") }
            guard d.allSatisfy({ (0...1).contains($0) }) else { throw .invalid(field: "dltProbabilities", rule: "each must be a share from 0 to 1") }
        }
        if let s = screenFailure, !(0...1).contains(s) { throw .invalid(field: "screenFailure", rule: "must be a share from 0 to 1") }
        if let r = rateShape, !(r > 0) { throw .invalid(field: "rateShape", rule: "must be above 0 (leave it out for a known rate)") }
        if let m = maxCohorts, !(1...50).contains(m) { throw .invalid(field: "maxCohorts", rule: "must be from 1 to 50") }
        if let q = qcLeadDays, !(0...365).contains(q) { throw .invalid(field: "qcLeadDays", rule: "must be from 0 to 365 days") }
    }
}

public struct SiteSupplyAssumption: Sendable, Equatable {
    public var patientsPerMonth: Double
    public var activationOn: CalendarDay?
    public init(patientsPerMonth: Double, activationOn: CalendarDay? = nil) { self.patientsPerMonth = patientsPerMonth; self.activationOn = activationOn }

    public func check() throws(DomainError) {
        guard patientsPerMonth >= 0, patientsPerMonth.isFinite else { throw .invalid(field: "patientsPerMonth", rule: "must be 0 or more") }
    }
}

public struct ProductSupplyAssumption: Sendable, Equatable {
    public var campaignLeadDays: Int?
    public var lotsPerCampaign: Int?
    public var vialsPerLot: Int?
    public init(campaignLeadDays: Int? = nil, lotsPerCampaign: Int? = nil, vialsPerLot: Int? = nil) {
        self.campaignLeadDays = campaignLeadDays; self.lotsPerCampaign = lotsPerCampaign; self.vialsPerLot = vialsPerLot
    }

    public func check() throws(DomainError) {
        if let d = campaignLeadDays, !(1...730).contains(d) { throw .invalid(field: "campaignLeadDays", rule: "must be from 1 to 730 days") }
        if let l = lotsPerCampaign, !(1...50).contains(l) { throw .invalid(field: "lotsPerCampaign", rule: "must be from 1 to 50") }
        if let v = vialsPerLot, !(1...1000).contains(v) { throw .invalid(field: "vialsPerLot", rule: "must be from 1 to 1,000") }
    }
}

// The values dispense operations take and return; the operations are in ../Dispense/.
import AllocationOptimizer
import CryoDomain
import Foundation

public struct PlanRequest: Sendable {
    public var doseTolerancePct: Int = 20
    public var expiryMarginDays: Int = 1
    public var cohortLots: CohortLotsPolicy = .soft
    /// Plan only for these patients (and no slots); nil: every patient awaiting a dose, and the open cohort places.
    public var patients: [String]?
    public var timeLimitSeconds: Double?
    public init(patients: [String]? = nil) { self.patients = patients }
}

public struct PlannedAssignment: Sendable, Codable, Equatable {
    public var demand: String
    public var kind: String
    public var lot: String
    public var vials: Int
    /// For patients: the vials commitAllocation will reserve, in pick order. Slots are earmarked only.
    public var vialIds: [String]
    public var explanation: String
}

public struct PlanRecord: Sendable, Codable, Equatable {
    public var id: UUID
    public var asOf: String
    public var objective: [Int]
    public var provenOptimal: Bool
    public var solveSeconds: Double
    public var assignments: [PlannedAssignment]
    public var unassigned: [[String: String]]
}

public struct CommittedAllocation: Sendable, Codable, Equatable {
    public var allocationId: Int64
    public var subjectId: String
    public var lotNumber: String
    public var vialIds: [String]
}

public struct PickListLine: Sendable, Codable, Equatable {
    public var vialId: String
    public var subjectId: String
    public var lotNumber: String
    public var status: VialStatus
    /// Where to take it from; nil once picked.
    public var location: String?
}

public struct ShipmentInput: Sendable {
    public var vialIds: [String]
    public var toSite: String
    public var dryShipperId: String
    public var dataLoggerId: String
    public var validatedHoldHours: Int
    /// Rule 9: what was scanned as the vials went into the dry shipper, and the dry shipper's own label.
    public var scannedVialIds: [String]
    public var scannedDryShipperId: String
    public init(vialIds: [String], toSite: String, dryShipperId: String, dataLoggerId: String, validatedHoldHours: Int,
                scannedVialIds: [String], scannedDryShipperId: String) {
        self.vialIds = vialIds; self.toSite = toSite; self.dryShipperId = dryShipperId; self.dataLoggerId = dataLoggerId; self.validatedHoldHours = validatedHoldHours
        self.scannedVialIds = scannedVialIds; self.scannedDryShipperId = scannedDryShipperId
    }
}

public struct ShipmentRecord: Sendable, Codable, Equatable {
    public var id: String
    public var fromSite: String
    public var toSite: String
    public var dryShipperId: String
    public var dataLoggerId: String
    public var validatedHoldHours: Int
    public var shippedAt: Date
    public var expectedArrival: Date
    public var receivedAt: Date?
    public var loggerMaxCelsius: Double?
    public var receiptExcursion: Bool?
    public var vialIds: [String]
}

/// A patient the planner would plan for: enrolled, no live allocation, infusion not past.
public struct AwaitingDose: Sendable, Equatable {
    public var subjectId: String
    public var studyCode: String
    public var productCode: String
    public var cohortId: String
    public var targetCells: Int64
    public var siteCode: String
    public var infusionOn: String
    public var antiHla: [String]
}

/// One vial of a live allocation on its way from the freezer to the patient.
public struct DispensingVial: Sendable, Equatable {
    public var vialId: String
    public var status: VialStatus
    /// Still in its freezer position (not yet picked).
    public var inStorage: Bool
    public var shipmentId: String?
    /// Why rule 3 stops the vial (`vial_blockers`), nil when nothing does.
    public var blockers: String?
}

public struct AllocationProgress: Sendable, Equatable {
    public var allocationId: Int64
    public var planId: UUID?
    public var subjectId: String
    public var siteCode: String
    public var infusionOn: String
    public var lotNumber: String
    public var vials: [DispensingVial]
}

public struct PharmacyBoard: Sendable, Equatable {
    public var awaiting: [AwaitingDose]
    /// Live (reserved) allocations, by site and infusion date.
    public var allocations: [AllocationProgress]
    /// Shipments in transit, and those received in the last 14 days.
    public var shipments: [ShipmentRecord]
}

public struct PlanLevel: Sendable, Equatable {
    public var name: String
    public var value: Int
    public var provenOptimal: Bool
    public var bound: Int?
    public var method: String
}

/// A stored plan as it was shown when made, with what has been committed from it since.
public struct StoredPlan: Sendable, Equatable {
    public var plan: PlanRecord
    public var levels: [PlanLevel]
    public var notes: [String]
    public var createdBy: String
    public var createdAt: Date
    /// Allocations committed from this plan (any status), by patient.
    public var committed: [String: Int64]
}

/// A vial at a clinical site's pharmacy or bedside: received (to thaw) or thawed (the clock running).
public struct BedsideVial: Sendable, Equatable {
    public var vialId: String
    public var subjectId: String
    public var siteCode: String
    public var lotNumber: String
    public var productCode: String
    public var status: VialStatus
    public var thawLimitMinutes: Int
    public var thawedAt: Date?
    /// The end of the thaw-to-infusion window (`thaw_window_closes_at`).
    public var infuseBy: Date?
    public var blockers: String?
    /// The patient's planned day, lymphodepletion record and clearance (rule 8).
    public var readiness: InfusionReadinessRecord?

    public init(vialId: String, subjectId: String, siteCode: String, lotNumber: String, productCode: String, status: VialStatus,
                thawLimitMinutes: Int, thawedAt: Date?, infuseBy: Date?, blockers: String?, readiness: InfusionReadinessRecord? = nil) {
        self.vialId = vialId; self.subjectId = subjectId; self.siteCode = siteCode; self.lotNumber = lotNumber; self.productCode = productCode
        self.status = status; self.thawLimitMinutes = thawLimitMinutes; self.thawedAt = thawedAt; self.infuseBy = infuseBy
        self.blockers = blockers; self.readiness = readiness
    }
}

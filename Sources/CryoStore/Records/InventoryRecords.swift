// The values inventory operations take and return; the operations are in ../Inventory/.
import CryoDomain
import Foundation

public struct DonorRecord: Sendable, Codable, Equatable {
    public struct Test: Sendable, Codable, Equatable {
        public var test: String
        public var result: String
        public var testedOn: String
    }
    public var code: String
    public var eligibility: DonorEligibility
    public var eligibilityDecidedAt: Date?
    public var screeningTests: [Test]
    public var hla: [String]
    public var lots: [String]
    public var registeredAt: Date
}

public struct EvacuationResult: Sendable, Codable, Equatable {
    public var source: String
    public var target: String
    public var mode: String
    public var reason: String
    /// True when nothing was written: the moves are what a real run would do now.
    public var dryRun: Bool
    public var moves: [EvacuationMove]
}

/// What a vial's label carries: its id (printed with the check character), product, lot, expiry and storage condition.
public struct VialLabel: Sendable, Codable, Equatable {
    public var vialId: String
    public var productCode: String
    public var productName: String
    public var lotNumber: String
    public var ordinal: Int
    public var vialCount: Int
    public var expiresOn: String
    public var storageCondition: String
    public var storageMaxCelsius: Double
    /// Viable CAR+ cells per vial (the lot's).
    public var cellsPerVial: Int64
    /// The ISBT 128 codes, for a product that opted in (docs/labels-isbt128.md).
    public var isbt128: ISBT128.VialCodes?

    public init(vialId: String, productCode: String, productName: String, lotNumber: String, ordinal: Int, vialCount: Int,
                expiresOn: String, storageCondition: String, storageMaxCelsius: Double, cellsPerVial: Int64 = 0, isbt128: ISBT128.VialCodes? = nil) {
        self.vialId = vialId; self.productCode = productCode; self.productName = productName; self.lotNumber = lotNumber
        self.ordinal = ordinal; self.vialCount = vialCount; self.expiresOn = expiresOn
        self.storageCondition = storageCondition; self.storageMaxCelsius = storageMaxCelsius
        self.cellsPerVial = cellsPerVial; self.isbt128 = isbt128
    }
}

public struct LotRecord: Sendable, Codable, Equatable {
    public var lotNumber: String
    public var productCode: String
    public var donorCode: String
    public var manufacturedOn: String
    public var expiresOn: String
    public var cellsPerVial: Int64
    public var plannedVials: Int
    public var status: LotStatus
    public var heldFrom: LotStatus?
    public var statusChangedAt: Date
    public var vialsByStatus: [String: Int]
}

public struct LotPage: Sendable {
    public var lots: [LotRecord]
    /// Pass back as `after` to get the next page; nil on the last page.
    public var nextCursor: String?
}

public struct SpecTest: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var kind: String
    public var unit: String?
    public var min: Double?
    public var max: Double?
    public var expected: String?
    public init(code: String, name: String, kind: String, unit: String? = nil, min: Double? = nil, max: Double? = nil, expected: String? = nil) {
        self.code = code; self.name = name; self.kind = kind; self.unit = unit; self.min = min; self.max = max; self.expected = expected
    }
}

public struct ProductRecord: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var shelfLifeDays: Int
    public var storageCondition: String
    public var storageMaxCelsius: Double
    public var thawToInfusionMinutes: Int
    public var specVersion: Int?
    public var specification: [SpecTest]
    /// The limit on a vial's cumulative time out of storage (check-outs); past it the vial is held.
    public var maxTimeOutMinutes: Int
    public init(code: String, name: String, shelfLifeDays: Int, storageCondition: String, storageMaxCelsius: Double,
                thawToInfusionMinutes: Int, specVersion: Int? = nil, specification: [SpecTest] = [], maxTimeOutMinutes: Int = TimeOutOfStorage.defaultLimitMinutes) {
        self.code = code; self.name = name; self.shelfLifeDays = shelfLifeDays; self.storageCondition = storageCondition
        self.storageMaxCelsius = storageMaxCelsius; self.thawToInfusionMinutes = thawToInfusionMinutes
        self.specVersion = specVersion; self.specification = specification; self.maxTimeOutMinutes = maxTimeOutMinutes
    }
}

/// Utilisation per freezer, rack and box, the empty positions, and boxes that could be consolidated.
public struct SpaceReport: Sendable, Codable, Equatable {
    public struct Box: Sendable, Codable, Equatable {
        public var id: String
        public var label: String
        public var occupied: Int
        public var capacity: Int
        public var utilisation: Double
        public var emptyPositions: [String]
    }
    public struct Rack: Sendable, Codable, Equatable {
        public var id: String
        public var label: String
        public var occupied: Int
        public var capacity: Int
        public var utilisation: Double
        public var boxes: [Box]
    }
    public struct Freezer: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var occupied: Int
        public var capacity: Int
        public var utilisation: Double
        public var racks: [Rack]
    }
    public var freezers: [Freezer]
    public var consolidation: [ConsolidationCandidate]
}

public struct FreezerMap: Sendable, Codable, Equatable {
    public struct Slot: Sendable, Codable, Equatable {
        public var row: Int
        public var column: Int
        public var label: String
        public var vialId: String?
        public var lotNumber: String?
        public var status: String?
        /// The lot's expiry (YYYY-MM-DD), so a map needs no query per lot.
        public var expiresOn: String?
        /// Why the vial may not be used (rule 10), empty when nothing stops it.
        public var reasons: [VialAvailability.Reason] = []
    }
    public struct Box: Sendable, Codable, Equatable {
        public var id: String
        public var label: String
        public var rows: Int
        public var columns: Int
        public var occupied: Int
        public var free: Int
        public var slots: [Slot]
    }
    public struct Rack: Sendable, Codable, Equatable {
        public var id: String
        public var label: String
        public var boxes: [Box]
    }
    public var freezerId: String
    public var siteCode: String
    public var kind: String
    public var name: String
    public var maxCelsius: Double
    public var occupied: Int
    public var free: Int
    public var racks: [Rack]
}

public struct FreezerSummary: Sendable, Codable, Equatable {
    public var id: String
    public var siteCode: String
    public var kind: String
    public var name: String
    public var maxCelsius: Double
    public var occupied: Int
    public var capacity: Int
}

public struct TemperatureRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var freezerId: String
    public var measuredAt: Date
    public var celsius: Double
    public var probe: String?
    public var excursion: Bool
    /// The vials this reading put on hold: those in the freezer at any time since the previous reading.
    public var heldVials: [String]
}

/// A vial, or every vial in a box, to check out of storage or back in.
public enum CheckoutTarget: Sendable, Equatable {
    case vial(String), box(String)
}

public struct CheckoutRecord: Sendable, Codable, Equatable {
    public var vialId: String
    /// The position kept for the vial while it is out.
    public var position: String
    public var purpose: String
    public var checkedOutAt: Date
    public var checkedInAt: Date?
    /// This check-out's time, once checked in (whole minutes, rounded up).
    public var minutesOut: Int?
    /// Every completed check-out of the vial, summed.
    public var totalMinutesOut: Int
    public var limitMinutes: Int
    /// The hold placed because this check-in took the vial past its product's limit.
    public var holdId: Int64?
}

public struct VialLocation: Sendable, Codable, Equatable {
    public var siteCode: String
    public var freezerId: String
    public var rackId: String
    public var boxId: String
    public var row: Int
    public var column: Int
    public var label: String
}

public struct VialRecord: Sendable, Codable, Equatable {
    public var id: String
    public var lotNumber: String
    public var productCode: String
    public var ordinal: Int
    public var status: VialStatus
    public var lotStatus: LotStatus
    public var expiresOn: String
    public var location: VialLocation?
    /// Set while the vial is checked out of storage (its position is kept).
    public var checkedOutSince: Date?
    /// Cumulative time out of storage over completed check-outs, in whole minutes rounded up.
    public var minutesOutOfStorage: Int = 0
    /// Its status with every reason that stops its use (rule 10).
    public var availability: VialAvailability
}

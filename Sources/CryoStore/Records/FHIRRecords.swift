// The values fhir operations take and return; the operations are in ../FHIR/.
import CryoDomain
import Foundation

/// What the FHIR BiologicallyDerivedProduct of a vial is made from.
public struct ProductFacts: Sendable, Equatable {
    public var vialId: String
    public var ordinal: Int
    public var lotNumber: String
    public var lotStatus: String
    public var productCode: String
    public var productName: String
    public var donorCode: String
    public var status: VialStatus
    /// Its status and every reason that stops its use (rule 10, `vial_availability`).
    public var availability: VialAvailability
    public var expiresOn: String
    public var storageMaxCelsius: Double
    public var cellsPerVial: Int64
    public var createdAt: Date
    /// The vial's ISBT 128 donation identification number (13 characters), for a product that opted in on an
    /// installation with a facility identification number (docs/labels-isbt128.md).
    public var isbt128DIN: String? = nil
}

/// What the FHIR BiologicallyDerivedProductDispense of a reservation is made from.
public struct DispenseFacts: Sendable, Equatable {
    public var reservationId: Int64
    public var allocationId: Int64
    public var vialId: String
    public var subjectId: String
    public var siteCode: String
    public var status: VialStatus
    public var cancelled: Bool
    public var reservedAt: Date
    public var thawedAt: Date?
    public var receivedAt: Date?
    public var administeredAt: Date?
}

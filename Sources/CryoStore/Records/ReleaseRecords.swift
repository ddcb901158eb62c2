// The values release operations take and return; the operations are in ../Release/.
import CryoDomain
import Foundation

/// A certificate of analysis (CoA): what QA decided about a lot and the evidence it decided on.
/// Product, lot, coded donor id (nothing else about the donor), the specification version the lot was
/// judged against, each specified test with its limit and current result, the corrections on record,
/// and the disposition with its electronic signature, bound to the signed custody event by its hash.
public struct CertificateOfAnalysis: Sendable, Codable, Equatable {
    public struct Product: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var storageCondition: String
        public var storageMaxCelsius: Double
    }

    public struct Lot: Sendable, Codable, Equatable {
        public var lotNumber: String
        public var manufacturedOn: String
        public var expiresOn: String
        public var cellsPerVial: Int64
        public var vialCount: Int
        /// The lot's status when the certificate was generated (it may have moved on since the disposition: hold, recall, expiry).
        public var status: String
    }

    public struct Specification: Sendable, Codable, Equatable {
        public var version: Int
        public var effectiveFrom: String
    }

    public struct Result: Sendable, Codable, Equatable {
        public var id: Int64
        /// The value as printed: a number without trailing zeros, or the qualitative result.
        public var value: String
        public var numericValue: Double?
        public var textValue: String?
        public var unit: String?
        public var method: String
        public var instrument: String?
        public var analyst: String
        /// The user who entered the result.
        public var recordedBy: String
        public var recordedAt: Date
        /// pass or fail, as evaluated against the specification when recorded.
        public var outcome: String
        /// True when the result was recorded after the disposition (e.g. a pending test completed during a hold).
        public var recordedAfterDisposition: Bool
    }

    public struct Test: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// numeric or qualitative
        public var kind: String
        public var unit: String?
        public var min: Double?
        public var max: Double?
        public var expected: String?
        /// The limit as printed, e.g. "≥ 70 %", "≤ 5 EU/mL", "0.5 – 5 copies/cell", "no growth".
        public var limit: String
        /// pass or fail (of the current result), or pending when no result is on record.
        public var outcome: String
        /// The current result: the one no later correction supersedes.
        public var result: Result?
    }

    /// A result that superseded an earlier one; both stay on record.
    public struct Correction: Sendable, Codable, Equatable {
        public var testCode: String
        public var testName: String
        public var resultId: Int64
        public var supersedes: Int64
        public var previousValue: String
        public var correctedValue: String
        public var reason: String
        public var recordedBy: String
        public var recordedAt: Date
    }

    /// The manifestation of the electronic signature (21 CFR 11.50) and the custody event that carries it.
    public struct Signature: Sendable, Codable, Equatable {
        public var printedName: String
        public var meaning: String
        public var signedAt: Date
        public var custodyEventId: Int64
        public var custodyEventSeq: Int64
        public var custodyEventAt: Date
        /// SHA-256 of the custody event (hex), as chained in the audit trail.
        public var custodyEventHash: String
        /// The event's hash recomputed from its stored fields when the certificate was generated matches the stored hash.
        public var hashVerified: Bool
    }

    public struct Disposition: Sendable, Codable, Equatable {
        /// released or rejected
        public var decision: String
        /// standard, conditional or out-of-specification
        public var kind: String
        public var decidedBy: String
        public var decidedByRole: String
        public var decidedAt: Date
        public var reason: String?
        public var justification: String?
        /// Conditional release: the tests still pending when QA released.
        public var pendingTests: [String]
        /// Out-of-specification release: the coded subject ids of the only patients the lot may go to.
        public var restrictedTo: [String]
        public var signature: Signature
    }

    public var format: String
    public var product: Product
    public var lot: Lot
    /// The donor's coded id; a certificate carries nothing else about the donor.
    public var donorCode: String
    /// The specification version in force at manufacture; nil when none was (such a lot can only be rejected).
    public var specification: Specification?
    public var tests: [Test]
    public var corrections: [Correction]
    public var disposition: Disposition
    public var generatedAt: Date
    public var generatedBy: String
    public var generatedByRole: String

    public static let formatName = "cryoledger.certificate-of-analysis/v1"
    public static let noDispositionRule = "no QA disposition yet; a certificate of analysis is issued after release or rejection"

    /// "≥ 70 %", "≤ 5 EU/mL", "0.5 – 5 copies/cell", or the expected qualitative result.
    public static func limitText(kind: String, min: Double?, max: Double?, expected: String?, unit: String?) -> String {
        if kind == "qualitative" { return expected ?? "" }
        let u = unit.map { " \($0)" } ?? ""
        switch (min, max) {
        case let (lo?, hi?) where lo == hi: return "= \(number(lo))\(u)"
        case let (lo?, hi?): return "\(number(lo)) – \(number(hi))\(u)"
        case let (lo?, nil): return "≥ \(number(lo))\(u)"
        case let (nil, hi?): return "≤ \(number(hi))\(u)"
        case (nil, nil): return ""
        }
    }

    /// A number as a person writes it: no exponent, no trailing zeros, up to six decimals.
    public static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var s = String(format: "%.6f", value)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

public enum HoldSubject: String, Sendable, CaseIterable, Codable {
    case lot, vial, donor, freezer

    /// Holds are recorded in the custody log of what they hold; a freezer's log is its storage log.
    var custodyType: String { self == .freezer ? "storage" : rawValue }
}

public struct HoldRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var subjectType: String
    public var subjectId: String
    public var reason: String
    public var source: String
    public var sourceRef: String?
    public var placedBy: String
    public var placedAt: Date
    public var liftedBy: String?
    public var liftedAt: Date?
    public var liftReason: String?
}

public struct DosedPatient: Sendable, Codable, Equatable {
    public var subjectId: String
    public var vialId: String
    public var lotNumber: String
    public var administeredAt: Date
}

public struct LookBackReport: Sendable, Codable, Equatable {
    public var donorCode: String
    public var lotsHeld: [String]
    public var vialsHeld: [String]
    /// Reservations cancelled: the vials go back to stored (and on hold).
    public var reservationsCancelled: [String]
    /// Vials already shipped, received or thawed: held where they are, for the site to quarantine or destroy.
    public var vialsOutsideStorage: [String]
    public var dosedPatients: [DosedPatient]
}

public struct QcResultInput: Sendable {
    public var testCode: String
    public var numericValue: Double?
    public var textValue: String?
    public var unit: String?
    public var method: String
    public var instrument: String?
    public var analyst: String
    /// Set when this result corrects an earlier one; then a reason is required.
    public var supersedes: Int64?
    public var correctionReason: String?

    public init(testCode: String, numericValue: Double? = nil, textValue: String? = nil, unit: String? = nil, method: String,
                instrument: String? = nil, analyst: String, supersedes: Int64? = nil, correctionReason: String? = nil) {
        self.testCode = testCode; self.numericValue = numericValue; self.textValue = textValue; self.unit = unit; self.method = method
        self.instrument = instrument; self.analyst = analyst; self.supersedes = supersedes; self.correctionReason = correctionReason
    }
}

public struct QcResultRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var lotNumber: String
    public var testCode: String
    public var numericValue: Double?
    public var textValue: String?
    public var unit: String?
    public var method: String
    public var instrument: String?
    public var analyst: String
    public var recordedBy: String
    public var recordedAt: Date
    public var outcome: String
    public var supersedes: Int64?
    public var correctionReason: String?
    public var current: Bool
}

public enum ReleaseKind: String, Sendable, CaseIterable {
    case standard, conditional, outOfSpecification = "out-of-specification"
}

/// The specification a lot is judged against: the version in force at its manufacture (nil when none was).
public struct LotSpecification: Sendable, Equatable {
    public var lotNumber: String
    public var productCode: String
    public var version: Int?
    public var effectiveFrom: String?
    public var tests: [SpecTest]
}

/// Where a donor's look-back stands: the look-back holds still active and the patients already dosed.
public struct LookBackStatus: Sendable, Equatable {
    public var donorCode: String
    public var lotHolds: [HoldRecord]
    public var vialHolds: [HoldRecord]
    public var dosedPatients: [DosedPatient]
}

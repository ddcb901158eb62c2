// The values clinical operations take and return; the operations are in ../Clinical/.
import CryoDomain
import Foundation

/// A study as listed: enough to choose it.
public struct StudySummary: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var productCode: String
    public var dltWindowDays: Int
}

/// A patient of a cohort as the cohort board shows them.
public struct CohortPatient: Sendable, Codable, Equatable {
    public var subjectId: String
    public var siteCode: String
    public var status: String
    public var infusionOn: String
    /// The calendar day (UTC) of the infusion, once dosed.
    public var dosedOn: String?
    public var dlts: Int
}

public struct CohortDecisionRecord: Sendable, Codable, Equatable {
    public var cohort: CohortRecord
    public var treated: Int
    public var evaluable: Int
    public var patientsWithDlt: Int
    /// What the 3+3 rules say now; actionable ones await a signed clinical decision.
    public var decision: CohortDecision
    public var actionable: Bool
    public var rationale: String
    public var lowerDoseIsMTD: Bool
    public var history: [String]
    /// Treated patients still inside their DLT window (what `observe` waits for), earliest end first.
    public var awaiting: [AwaitedDltWindow] = []
}

/// A treated patient whose DLT window is still running, and its last day.
public struct AwaitedDltWindow: Sendable, Codable, Equatable {
    public var subjectId: String
    public var windowEnds: String
    public init(subjectId: String, windowEnds: String) { self.subjectId = subjectId; self.windowEnds = windowEnds }
}

public struct Enrolment: Sendable {
    public var subjectId: String
    public var studyCode: String
    public var siteCode: String
    public var cohortId: String
    public var weightKg: Double
    public var ldStartOn: CalendarDay?
    public var infusionOn: CalendarDay
    public var antiHla: [String]
    public var eligibility: [EligibilityAnswer]

    public init(subjectId: String, studyCode: String, siteCode: String, cohortId: String, weightKg: Double, ldStartOn: CalendarDay?,
                infusionOn: CalendarDay, antiHla: [String], eligibility: [EligibilityAnswer]) {
        self.subjectId = subjectId; self.studyCode = studyCode; self.siteCode = siteCode; self.cohortId = cohortId; self.weightKg = weightKg
        self.ldStartOn = ldStartOn; self.infusionOn = infusionOn; self.antiHla = antiHla; self.eligibility = eligibility
    }

    func validate() throws {
        let v = Validator()
        try v.matches(subjectId, /[A-Z0-9][A-Z0-9-]{2,31}/, "subjectId", "a coded subject id (3 to 32 capitals, digits, dashes), never a name")
        try v.require((20...300).contains(weightKg), "weightKg", "between 20 and 300 kg")
        if let ld = ldStartOn { try v.require(ld < infusionOn, "ldStartOn", "lymphodepletion starts before the infusion") }
        for (i, a) in antiHla.enumerated() {
            try HLA.validateSpecificity(a, field: "antiHla[\(i)]")
        }
        try v.require(Set(eligibility.map(\.criterion)).count == eligibility.count, "eligibility", "each criterion answered once")
    }
}

public struct DltRecord: Sendable, Codable, Equatable {
    public var id: Int64
    public var description: String
    public var grade: Int
    public var onsetOn: String
    public var recordedBy: String
    public var recordedAt: Date
}

public struct PatientRecord: Sendable, Codable, Equatable {
    public var subjectId: String
    public var studyCode: String
    public var siteCode: String
    public var cohortId: String
    public var weightKg: Double
    public var targetCells: Int64
    public var ldStartOn: String?
    public var infusionOn: String
    public var antiHla: [String]
    public var status: String
    public var enrolledAt: Date
    public var dosedAt: Date?
    public var eligibility: [String: Bool]
    public var reservedVials: [String]
    public var dlts: [DltRecord]
}

public struct StudyDefinition: Sendable {
    public struct Indication: Sendable, Codable, Equatable { public var code: String; public var name: String
        public init(code: String, name: String) { self.code = code; self.name = name } }
    public struct Arm: Sendable, Codable, Equatable { public var code: String; public var lymphodepletion: Lymphodepletion; public var name: String
        public init(code: String, lymphodepletion: Lymphodepletion, name: String) { self.code = code; self.lymphodepletion = lymphodepletion; self.name = name } }
    public struct DoseLevel: Sendable, Codable, Equatable { public var code: String; public var ordinal: Int; public var targetCells: Int64; public var basis: DoseBasis
        public init(code: String, ordinal: Int, targetCells: Int64, basis: DoseBasis) { self.code = code; self.ordinal = ordinal; self.targetCells = targetCells; self.basis = basis } }
    public struct Criterion: Sendable, Codable, Equatable { public var code: String; public var kind: String; public var text: String; public var indication: String?
        public init(code: String, kind: String, text: String, indication: String? = nil) { self.code = code; self.kind = kind; self.text = text; self.indication = indication } }

    public var code: String
    public var name: String
    public var productCode: String
    public var dltWindowDays: Int
    public var slotLeadDays: Int
    public var indications: [Indication]
    public var arms: [Arm]
    public var doseLevels: [DoseLevel]
    public var sites: [String]
    public var criteria: [Criterion]

    public init(code: String, name: String, productCode: String, dltWindowDays: Int, slotLeadDays: Int = 21, indications: [Indication],
                arms: [Arm], doseLevels: [DoseLevel], sites: [String], criteria: [Criterion]) {
        self.code = code; self.name = name; self.productCode = productCode; self.dltWindowDays = dltWindowDays; self.slotLeadDays = slotLeadDays
        self.indications = indications; self.arms = arms; self.doseLevels = doseLevels; self.sites = sites; self.criteria = criteria
    }

    func validate() throws {
        let v = Validator()
        try v.matches(code, /[A-Z][A-Z0-9-]{1,31}/, "code", "2 to 32 capitals, digits or dashes, starting with a letter")
        try v.require(!name.trimmingCharacters(in: .whitespaces).isEmpty && name.count <= 200, "name", "1 to 200 characters")
        try v.require((1...365).contains(dltWindowDays), "dltWindowDays", "between 1 and 365 days")
        try v.require((0...365).contains(slotLeadDays), "slotLeadDays", "between 0 and 365 days")
        try v.require(!indications.isEmpty, "indications", "a study treats at least one indication")
        try v.require(!arms.isEmpty, "arms", "a study has at least one arm")
        try v.require(!doseLevels.isEmpty, "doseLevels", "a study has at least one dose level")
        try v.require(doseLevels.contains { $0.ordinal >= 1 }, "doseLevels", "one dose level has ordinal 1 or more (the starting dose)")
        try v.require(!sites.isEmpty, "sites", "a study has at least one clinical site")
        for (i, d) in indications.enumerated() {
            try v.matches(d.code, /[A-Z][A-Za-z0-9]{0,15}/, "indications[\(i)].code", "a short code such as SLE, IIM, DLBCL")
        }
        for (i, a) in arms.enumerated() {
            try v.matches(a.code, /[A-Za-z][A-Za-z0-9-]{0,15}/, "arms[\(i)].code", "a short code such as LD or no-LD")
        }
        for (i, d) in doseLevels.enumerated() {
            try v.matches(d.code, /DL-?[0-9]{1,2}/, "doseLevels[\(i)].code", "DL1, DL2, ... (DL-1 below the start)")
            try v.require(d.targetCells > 0, "doseLevels[\(i)].targetCells", "must be positive")
        }
        for (i, c) in criteria.enumerated() {
            try v.matches(c.code, /[a-z][a-z0-9-]{0,47}/, "criteria[\(i)].code", "lower-case words joined by dashes")
            try v.require(["inclusion", "exclusion"].contains(c.kind), "criteria[\(i)].kind", "inclusion or exclusion")
            try v.require(!c.text.isEmpty && c.text.count <= 500, "criteria[\(i)].text", "1 to 500 characters")
            if let ind = c.indication {
                try v.require(indications.contains { $0.code == ind }, "criteria[\(i)].indication", "not an indication of this study")
            }
        }
        try v.require(Set(indications.map(\.code)).count == indications.count, "indications", "codes must be unique")
        try v.require(Set(arms.map(\.code)).count == arms.count, "arms", "codes must be unique")
        try v.require(Set(doseLevels.map(\.code)).count == doseLevels.count, "doseLevels", "codes must be unique")
        try v.require(Set(doseLevels.map(\.ordinal)).count == doseLevels.count, "doseLevels", "ordinals must be unique")
        try v.require(Set(criteria.map(\.code)).count == criteria.count, "criteria", "codes must be unique")
    }
}

public struct CohortRecord: Sendable, Codable, Equatable {
    public var id: String
    public var indication: String
    public var arm: String
    public var lymphodepletion: String
    public var doseLevel: String
    public var targetCells: Int64
    public var basis: String
    public var state: String
    public var capacity: Int
    public var outcome: String?
    public var enrolled: Int
}

public struct StudyRecord: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var productCode: String
    public var dltWindowDays: Int
    public var slotLeadDays: Int
    public var sites: [String]
    public var criteria: [StudyDefinition.Criterion]
    public var cohorts: [CohortRecord]
}

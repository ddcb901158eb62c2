import CryoDomain
import Foundation

/// A patient's readiness for infusion as the bedside and pharmacy pages, the API and the CLI show it.
public struct InfusionReadinessRecord: Sendable, Equatable, Codable {
    public struct PlannedDose: Sendable, Equatable, Codable {
        public var agent: String
        public var givenOn: String
    }
    public struct Dose: Sendable, Equatable, Codable {
        public var agent: String
        public var givenOn: String
        public var recordedBy: String
        public var recordedAt: Date
    }
    public struct Clearance: Sendable, Equatable, Codable {
        public var clearedOn: String
        public var items: [String]
        public var signedBy: String
        public var signedAt: Date
    }
    public struct Reschedule: Sendable, Equatable, Codable {
        public var fromOn: String
        public var toOn: String
        public var reason: String
        public var recordedBy: String
        public var recordedAt: Date
    }

    public var subjectId: String
    public var lymphodepletion: Lymphodepletion
    public var ldStartOn: String?
    public var plannedInfusionOn: String
    /// The day due: the latest reschedule, else the planned day.
    public var infusionOn: String
    public var today: String
    /// The doses the arm plans, in day then agent order, and those recorded as given.
    public var plannedDoses: [PlannedDose]
    public var dosesGiven: [Dose]
    public var clearanceItems: [String]
    public var clearances: [Clearance]
    public var reschedules: [Reschedule]
    /// Why the patient is not ready today (`InfusionReadiness.refusal`), nil when ready.
    public var notReady: String?
    public var ready: Bool { notReady == nil }
}

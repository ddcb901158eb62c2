/// The roles of PRODUCT.md. A user has exactly one.
public enum Role: String, CaseIterable, Sendable, Codable {
    case manufacturing, qc, qa, clinical, pharmacy, auditor, admin
}

/// What a caller wants to do; each action names the roles allowed to do it.
/// The API and the CLI both check through here, so they cannot disagree.
public enum Action: String, Sendable, CaseIterable {
    case readInventory
    case manageProducts
    case registerDonor
    case registerLot
    case advanceLotManufacturing
    case dispositionLot
    case holdLot
    case createVials
    case manageStorage
    case placeVial
    case readCustody
    case manageUsers
    case correctRecords
    case recordQc
    case manageHolds
    case recordTemperature
    case lookBack
    case manageStudies
    case enrollPatient
    case recordDlt
    case prepareInfusion
    case decideCohort
    case allocate
    case dispense
    case forecastSupply
    case readSupplyForecasts
    case printLabels
    case manageNotifications

    public var allowedRoles: Set<Role> {
        switch self {
        case .readInventory, .readCustody:
            return Set(Role.allCases)
        case .manageProducts:
            return [.qa, .admin]
        case .registerDonor, .registerLot, .advanceLotManufacturing, .createVials, .manageStorage, .placeVial:
            return [.manufacturing]
        case .dispositionLot, .holdLot:
            return [.qa]
        case .manageUsers, .manageNotifications:
            return [.admin]
        case .correctRecords:
            return [.qa]
        case .recordQc:
            return [.qc]
        case .manageHolds, .lookBack:
            return [.qa]
        case .recordTemperature:
            return [.manufacturing, .qa]
        case .manageStudies, .enrollPatient, .recordDlt, .prepareInfusion, .decideCohort:
            return [.clinical]
        case .allocate, .dispense:
            return [.pharmacy]
        case .forecastSupply:
            return [.pharmacy, .manufacturing]
        case .readSupplyForecasts:
            return [.pharmacy, .manufacturing, .auditor]
        case .printLabels:
            return [.manufacturing, .qa]
        }
    }
}

extension Role {
    public func may(_ action: Action) -> Bool { action.allowedRoles.contains(self) }
}

extension Action {
    /// What the action does, in the words of PRODUCT.md, for messages (never the internal name).
    public var summary: String {
        switch self {
        case .readInventory: return "reading records"
        case .manageProducts: return "defining products and their specifications"
        case .registerDonor: return "registering donors"
        case .registerLot: return "registering lots"
        case .advanceLotManufacturing: return "completing a manufacturing run (in-process to quarantine)"
        case .dispositionLot: return "releasing, rejecting or recalling a lot"
        case .holdLot: return "placing or lifting a hold on a lot"
        case .createVials: return "creating vials"
        case .manageStorage: return "managing storage (sites, freezers, racks, boxes)"
        case .placeVial: return "placing and moving vials"
        case .readCustody: return "reading the chain of custody"
        case .manageUsers: return "managing users"
        case .correctRecords: return "correcting custody records"
        case .recordQc: return "recording QC results"
        case .manageHolds: return "placing and lifting holds"
        case .recordTemperature: return "recording freezer temperatures"
        case .lookBack: return "declaring a donor ineligible (look-back)"
        case .manageStudies: return "managing studies and shipping routes"
        case .enrollPatient: return "enrolling patients"
        case .recordDlt: return "recording dose-limiting toxicities"
        case .prepareInfusion: return "recording lymphodepletion, pre-infusion clearance and infusion reschedules"
        case .decideCohort: return "confirming cohort decisions"
        case .allocate: return "planning and committing allocations"
        case .dispense: return "picking, shipping, receiving, thawing, administering and destroying vials"
        case .forecastSupply: return "running supply forecasts"
        case .readSupplyForecasts: return "reading supply forecasts"
        case .printLabels: return "sending vial labels to a label printer"
        case .manageNotifications: return "managing webhook endpoints and redelivering notifications"
        }
    }
}

extension Set<Role> {
    /// "qa", "manufacturing or qa": in the order of PRODUCT.md's table.
    public var spoken: String {
        let names = Role.allCases.filter(contains).map(\.rawValue)
        switch names.count {
        case 0: return "nobody"
        case Role.allCases.count: return "every role"
        case 1: return names[0]
        default: return names.dropLast().joined(separator: ", ") + " or " + names.last!
        }
    }
}

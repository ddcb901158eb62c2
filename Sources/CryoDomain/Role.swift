/// The roles of PRODUCT.md. A user has exactly one.
public enum Role: String, CaseIterable, Sendable, Codable {
    case manufacturing, qc, qa, clinical, pharmacy, auditor, admin
}

/// What a caller wants to do; each action names the roles allowed to do it.
/// The API and the CLI both check through here, so they cannot disagree.
public enum Action: String, Sendable {
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
    case decideCohort
    case allocate
    case dispense

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
        case .manageUsers:
            return [.admin]
        case .correctRecords:
            return [.qa]
        case .recordQc:
            return [.qc]
        case .manageHolds, .lookBack:
            return [.qa]
        case .recordTemperature:
            return [.manufacturing, .qa]
        case .manageStudies, .enrollPatient, .recordDlt, .decideCohort:
            return [.clinical]
        case .allocate, .dispense:
            return [.pharmacy]
        }
    }
}

extension Role {
    public func may(_ action: Action) -> Bool { action.allowedRoles.contains(self) }
}

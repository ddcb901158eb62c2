import CryoDomain

/// One entry of the menu.
struct NavItem: Sendable {
    let href: String, label: String
}

/// The menu, from the same operation table the API uses (`OperationAccess`): an entry is shown to a role that may
/// call one of the operations the page exists for. Pages of read-only work (the auditor's) list their reads.
enum Navigation {
    struct Entry {
        let item: NavItem
        /// The operations the page performs (`operationId`s of openapi.yaml); nil: every role's page.
        let operations: [String]?
        /// Whether a role that changes nothing (the auditor) reads this page.
        let forReaders: Bool
    }

    static let entries: [Entry] = [
        Entry(item: NavItem(href: "/console", label: "Work list"), operations: nil, forReaders: true),
        Entry(item: NavItem(href: "/console/freezers", label: "Freezers"),
              operations: ["placeVial", "moveVial", "createFreezer", "recordTemperature", "evacuateStorage", "checkOutStorage"], forReaders: true),
        Entry(item: NavItem(href: "/console/lots", label: "Lots"),
              operations: ["registerLot", "createVials", "changeLotStatus", "releaseLot", "recordQcResult"], forReaders: true),
        Entry(item: NavItem(href: "/console/release", label: "Release"),
              operations: ["recordQcResult", "releaseLot", "rejectLot", "placeHold", "liftHold"], forReaders: true),
        Entry(item: NavItem(href: "/console/pharmacy", label: "Pharmacy"),
              operations: ["planAllocation", "commitAllocation", "shipVials", "receiveShipment"], forReaders: true),
        Entry(item: NavItem(href: "/console/bedside", label: "Bedside"), operations: ["thawVial", "administerVial"], forReaders: false),
        Entry(item: NavItem(href: "/console/patients", label: "Patients"),
              operations: ["enrollPatient", "recordDlt", "planAllocation", "administerVial"], forReaders: true),
        Entry(item: NavItem(href: "/console/supply", label: "Supply"), operations: ["startSupplyForecast", "getSupplyForecast"], forReaders: true),
        Entry(item: NavItem(href: "/console/studies", label: "Cohorts"),
              operations: ["createStudy", "enrollPatient", "recordDlt", "confirmCohortDecision"], forReaders: true),
        Entry(item: NavItem(href: "/console/audit", label: "Audit"),
              operations: ["liftHold", "releaseLot", "recordDonorIneligible", "unlockUser"], forReaders: true),
        Entry(item: NavItem(href: "/console/import", label: "Import"), operations: ["importBatch"], forReaders: false),
        Entry(item: NavItem(href: "/console/users", label: "Users"), operations: ["unlockUser"], forReaders: false),
        Entry(item: NavItem(href: "/console/admin/notifications", label: "Notification defaults"), operations: ["listWebhookEndpoints"], forReaders: false),
        Entry(item: NavItem(href: "/console/admin/webhooks", label: "Webhooks"), operations: ["listWebhookEndpoints"], forReaders: false),
    ]

    static func items(for role: Role) -> [NavItem] {
        entries.filter { shows($0, to: role) }.map(\.item)
    }

    static func shows(_ entry: Entry, to role: Role) -> Bool {
        guard let operations = entry.operations else { return true }
        if entry.forReaders && changesNothing(role) { return true }
        return operations.contains { OperationAccess.roles(for: $0)?.contains(role) == true }
    }

    /// A role that may call only reading operations (the auditor: "reads everything, writes nothing").
    static func changesNothing(_ role: Role) -> Bool {
        OperationAccess.table.values.allSatisfy { actions in actions.allSatisfy(\.isRead) || !actions.contains(where: role.may) }
    }
}

/// Who may call each operation of the REST API, by its `operationId` in Sources/CryoAPI/openapi.yaml.
///
/// The one table: the API checks it before it reads a request body (so a forbidden role gets 403 whatever
/// it sends), and the tests walk every role through every operation from it and check that it names every
/// operation of the contract. The store keeps its own, finer checks (which lot transition, which import
/// kind), so an operation open to several roles still refuses a step that is not theirs.
public enum OperationAccess {
    /// Operations that need no token at all.
    public static let unauthenticated: Set<String> = ["health", "ready", "getLogPublicKey"]

    /// The actions an operation can perform; a role may call it when it may do any of them.
    public static let table: [String: [Action]] = [
        // products
        "listProducts": [.readInventory],
        "createProduct": [.manageProducts],
        "getProduct": [.readInventory],
        // donors
        "registerDonor": [.registerDonor],
        "getDonor": [.readInventory],
        "recordDonorIneligible": [.lookBack],
        // lots: manufacturing completes a run, QA does the rest (LotStatus.action)
        "listLots": [.readInventory],
        "registerLot": [.registerLot],
        "getLot": [.readInventory],
        "changeLotStatus": [.advanceLotManufacturing, .dispositionLot, .holdLot],
        "rejectLot": [.dispositionLot],
        // release
        "listQcResults": [.readInventory],
        "recordQcResult": [.recordQc],
        "releaseLot": [.dispositionLot],
        "getCertificateOfAnalysis": [.readInventory],
        "getLotLabels": [.readInventory],
        "printLotLabels": [.printLabels],
        // vials and storage
        "createVials": [.createVials],
        "getVial": [.readInventory],
        "placeVial": [.placeVial],
        "moveVial": [.placeVial],
        "createSite": [.manageStorage],
        "listFreezers": [.readInventory],
        "createFreezer": [.manageStorage],
        "getFreezerMap": [.readInventory],
        "createRack": [.manageStorage],
        "createBox": [.manageStorage],
        "recordTemperature": [.recordTemperature],
        "evacuateStorage": [.placeVial],
        "checkOutStorage": [.placeVial],
        "checkInStorage": [.placeVial],
        "getStorageSpace": [.readInventory],
        "findFreePositions": [.readInventory],
        // custody and audit
        "listCustodyEvents": [.readCustody],
        "verifyAuditTrail": [.readCustody],
        "listTreeHeads": [.readCustody], "getInclusionProof": [.readCustody], "getConsistencyProof": [.readCustody],
        "exportCustodyCSV": [.readCustody], "exportCustodyNDJSON": [.readCustody], "exportCustodyJSON": [.readCustody], "exportCustodyPDF": [.readCustody],
        // holds
        "listHolds": [.readInventory],
        "placeHold": [.manageHolds],
        "liftHold": [.manageHolds],
        // clinical
        "createStudy": [.manageStudies],
        "getStudy": [.readInventory],
        "createRoute": [.manageStudies],
        "enrollPatient": [.enrollPatient],
        "getPatient": [.readInventory],
        "recordDlt": [.recordDlt],
        "recordLymphodepletion": [.prepareInfusion],
        "clearForInfusion": [.prepareInfusion],
        "rescheduleInfusion": [.prepareInfusion],
        "getInfusionReadiness": [.readInventory],
        "getCohortDecision": [.readInventory],
        "confirmCohortDecision": [.decideCohort],
        // pharmacy
        "planAllocation": [.allocate],
        "getPlanInstance": [.readInventory],
        "commitAllocation": [.allocate],
        "getPickList": [.readInventory],
        "pickAllocation": [.dispense],
        "shipVials": [.dispense],
        "receiveShipment": [.dispense],
        "thawVial": [.dispense],
        "administerVial": [.dispense],
        "destroyVial": [.dispense],
        // imports: every kind is manufacturing's (ImportKind.action)
        "importBatch": ImportKind.allCases.map(\.action),
        // users
        "unlockUser": [.manageUsers],
        "securityReport": [.manageUsers],
        // notifications (issue 28)
        "listWebhookEndpoints": [.manageNotifications],
        "addWebhookEndpoint": [.manageNotifications],
        "removeWebhookEndpoint": [.manageNotifications],
        "rotateWebhookSecret": [.manageNotifications],
        "listNotificationDeliveries": [.manageNotifications],
        "redeliverNotification": [.manageNotifications],
        "testWebhookEndpoint": [.manageNotifications],
        // a person's own bell and choices: every role, the auditor too (their own settings, not records)
        "listMyNotifications": [.readInventory],
        "markNotificationsRead": [.readInventory],
        "listMySubscriptions": [.readInventory],
        "setMySubscription": [.readInventory],
        // supply forecast (docs/supply.md)
        "startSupplyForecast": [.forecastSupply],
        "getSupplyForecast": [.readSupplyForecasts],
    ]

    /// The roles that may call `operation`; nil for an operation the table does not know.
    public static func roles(for operation: String) -> Set<Role>? {
        table[operation].map { actions in actions.reduce(into: Set<Role>()) { $0.formUnion($1.allowedRoles) } }
    }

    /// Throws 403's error unless `role` may call `operation`. An operation missing from the table is refused
    /// to everyone: a new operation is closed until someone decides who may call it.
    public static func check(_ operation: String, role: Role) throws(DomainError) {
        let allowed = roles(for: operation) ?? []
        guard allowed.contains(role) else { throw .forbiddenOperation(operation: operation, role: role, allowed: allowed) }
    }
}

/// What people and other systems are told about (issue 28, notifications). Each kind is caused by one custody event;
/// the outbox row is written by the database in the transaction of that event (trigger `custody_event_notifies` →
/// `notification_kind()`, the SQL twin of `NotificationRule.kind(for:toState:source:)`).
public enum NotificationKind: String, CaseIterable, Sendable, Codable {
    case holdPlaced = "hold.placed"
    case holdLifted = "hold.lifted"
    case lotReleased = "lot.released"
    case lotRejected = "lot.rejected"
    case lotExpired = "lot.expired"
    case temperatureExcursion = "temperature.excursion"
    case donorFoundIneligible = "donor.found-ineligible"
    case signInBurst = "security.sign-in-burst"
    case signatureLockout = "security.signature-burst"
    case auditVerificationFailed = "audit.verification-failed"
    /// An administrator's test send: delivered to the one endpoint it names, nowhere else.
    case webhookTest = "webhook.test"
    // Conditions found by the system (migration 050), each once: see ExpiryWarning, StorageFullness, DryShipperHold,
    // InfusionDoseWarning and StockOutRisk.
    case lotExpiring30Days = "lot.expiring-30-days"
    case lotExpiring7Days = "lot.expiring-7-days"
    case boxNearlyFull = "box.nearly-full"
    case freezerNearlyFull = "freezer.nearly-full"
    case shipmentHoldRunningOut = "shipment.hold-running-out"
    case infusionWithoutDose = "patient.infusion-without-dose"
    case stockOutRisk = "supply.stock-out-risk"
    case backupFailed = "backup.failed"
}

public enum NotificationRule {
    /// Whether a custody event notifies, and as what. `toState` is the event's to-state, `source` the hold's source
    /// (`details.source`). Holds placed by an excursion or a look-back do not notify one by one: the excursion or the
    /// look-back itself does, once.
    public static func kind(for action: String, toState: String? = nil, source: String? = nil) -> NotificationKind? {
        switch action {
        case "hold.placed": source == "excursion" || source == "look-back" ? nil : .holdPlaced
        case "hold.lifted": .holdLifted
        case "lot.released": .lotReleased
        case "lot.status-changed", "lot.status-signed": toState == "rejected" ? .lotRejected : nil
        case "lot.expired": .lotExpired
        case "temperature.excursion": .temperatureExcursion
        case "donor.found-ineligible": .donorFoundIneligible
        case "security.sign-in-burst": .signInBurst
        case "security.signature-burst": .signatureLockout
        case "audit.verification-failed": .auditVerificationFailed
        case "webhook.test-requested": .webhookTest
        case "lot.expiring-30-days": .lotExpiring30Days
        case "lot.expiring-7-days": .lotExpiring7Days
        case "box.nearly-full": .boxNearlyFull
        case "freezer.nearly-full": .freezerNearlyFull
        case "shipment.hold-running-out": .shipmentHoldRunningOut
        case "patient.infusion-without-dose": .infusionWithoutDose
        case "supply.stock-out-risk": .stockOutRisk
        case "backup.failed": .backupFailed
        default: nil
        }
    }
}

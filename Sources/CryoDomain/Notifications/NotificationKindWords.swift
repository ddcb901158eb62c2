extension NotificationKind {
    /// The kind in people's words, as the settings page and the bell show it (never the code).
    public var words: String {
        switch self {
        case .holdPlaced: "A hold is placed on a lot, a vial, a donor or a freezer"
        case .holdLifted: "A hold is lifted"
        case .lotReleased: "A lot is released"
        case .lotRejected: "A lot is rejected"
        case .lotExpired: "A lot has expired"
        case .temperatureExcursion: "A freezer's temperature went out of range"
        case .donorFoundIneligible: "A donor is found ineligible (look-back)"
        case .signInBurst: "A burst of failed sign-ins"
        case .signatureLockout: "A user is locked out after wrong signing passwords"
        case .auditVerificationFailed: "The audit trail failed verification"
        case .webhookTest: "A test sent to a webhook endpoint"
        case .lotExpiring30Days: "A lot enters its last 30 days before expiry"
        case .lotExpiring7Days: "A lot enters its last 7 days before expiry"
        case .boxNearlyFull: "A box is over 90 % full"
        case .freezerNearlyFull: "A freezer is over 90 % full"
        case .shipmentHoldRunningOut: "A dry shipper's hold time is running out"
        case .infusionWithoutDose: "An infusion day is near and no vial is reserved"
        case .stockOutRisk: "A supply forecast shows a stock-out risk above 20 %"
        case .backupFailed: "A backup or the check of the backup repository failed"
        }
    }
}

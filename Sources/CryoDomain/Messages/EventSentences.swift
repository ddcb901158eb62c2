/// Custody event types (`vial.created`, …) as people read them, in the console's timelines and the custody PDF.
/// The API and the exports keep the type itself beside the sentence. A type this table does not know yet
/// (another part of the system may add one before the table does) is still read as words: see `sentence(for:)`.
public enum EventSentences {
    public static let catalogue: [String: String] = [
        // vials
        "vial.created": "Vial created",
        "vial.placed": "Vial put into storage",
        "vial.moved": "Vial moved to another position",
        "vial.checked-out": "Vial taken out of storage (its position kept)",
        "vial.checked-in": "Vial returned to storage",
        "vial.reserved": "Vial reserved for a patient",
        "vial.reservation-cancelled": "Reservation of the vial cancelled",
        "vial.picked": "Vial picked for shipment",
        "vial.shipped": "Vial shipped",
        "vial.received": "Vial received at the site",
        "vial.thawed": "Vial thawed",
        "vial.administered": "Vial administered to the patient",
        "vial.administration-refused": "Administration refused",
        "vial.destroyed": "Vial destroyed",
        "vial.pick-refused": "Pick refused (the scans did not match what was handed over)",
        "vial.ship-refused": "Shipment refused (the scans did not match what was handed over)",
        "vial.receive-refused": "Receipt refused (the scans did not match what was handed over)",
        "vial.thaw-refused": "Thaw refused",
        "vial.infusion-rescheduled": "The patient's infusion day moved; the reserved vial follows",
        // lots
        "lot.registered": "Lot registered",
        "lot.labels-printed": "Labels sent to a printer",
        "lot.status-changed": "Lot status changed",
        "lot.status-signed": "Lot status changed (signed)",
        "lot.released": "Lot released (signed)",
        "lot.expired": "Lot expired",
        "lot.expiring-30-days": "Lot entered its last 30 days before expiry",
        "lot.expiring-7-days": "Lot entered its last 7 days before expiry",
        // donors
        "donor.registered": "Donor registered",
        "donor.found-ineligible": "Donor found ineligible (look-back)",
        // QC
        "qc.recorded": "QC result recorded",
        "qc.corrected": "QC result corrected",
        // holds and temperatures
        "hold.placed": "Hold placed",
        "hold.lifted": "Hold lifted (signed)",
        "temperature.excursion": "Temperature excursion: vials put on hold",
        // storage
        "site.created": "Site created",
        "site.label-printer-set": "Site's label printer set",
        "freezer.created": "Freezer created",
        "rack.created": "Rack created",
        "box.created": "Box created",
        "box.nearly-full": "Box over 90 % full",
        "freezer.nearly-full": "Freezer over 90 % full",
        "route.set": "Shipping route set",
        "product.created": "Product and specification defined",
        "product.isbt128-set": "Product's ISBT 128 label codes set",
        // clinical
        "study.created": "Study created",
        "patient.enrolled": "Patient enrolled",
        "patient.allocated": "Dose allocated to the patient",
        "patient.dosed": "Patient dosed",
        "patient.lymphodepletion-given": "Lymphodepletion dose recorded",
        "patient.cleared-for-infusion": "Patient cleared for infusion (signed)",
        "patient.infusion-rescheduled": "Infusion rescheduled",
        "patient.pick-refused": "Pick for the patient refused",
        "patient.ship-refused": "Shipment for the patient refused",
        "patient.receive-refused": "Receipt for the patient refused",
        "patient.thaw-refused": "Thaw for the patient refused",
        "patient.administration-refused": "Administration to the patient refused",
        "patient.dlt-recorded": "Dose-limiting toxicity recorded",
        "patient.donor-look-back": "Patient listed in a donor look-back",
        "cohort.opened": "Cohort opened",
        "cohort.expanded": "Cohort expanded to 6 patients",
        "cohort.decided": "Cohort decision confirmed (signed)",
        "cohort.declared-mtd": "Dose declared the maximum tolerated dose",
        "cohort.dlt-recorded": "Dose-limiting toxicity counted in the cohort",
        // pharmacy
        "allocation.planned": "Allocation planned",
        "allocation.committed": "Allocation committed: vials reserved",
        "allocation.reservations-cancelled": "Reservations of the allocation cancelled",
        "shipment.dispatched": "Shipment dispatched",
        "shipment.received": "Shipment received",
        "shipment.hold-running-out": "The dry shipper's validated hold time is running out, the shipment not yet received",
        "patient.infusion-without-dose": "Infusion day near, no vial reserved for the patient",
        // users and signatures
        "user.created": "User created",
        "user.created-by-admin": "User created by an administrator",
        "user.deactivated": "User deactivated",
        "user.reactivated": "User reactivated",
        "user.password-reset": "Password reset",
        "user.unlocked": "User unlocked",
        "user.role-changed": "User's role changed",
        "user.tokens-replaced": "User's API tokens replaced",
        "supply.assumption-set": "Supply planning assumptions set",
        "supply.site-assumption-set": "Expected arrivals at a site set",
        "supply.stock-out-risk": "Supply forecast shows a stock-out risk above 20 %",
        "security.sign-in-failed": "Sign-in failed for an unknown login name",
        "security.sign-in-burst": "Burst of failed sign-ins (reported to administrators)",
        "security.signature-burst": "Burst of wrong signing passwords: account locked (reported to administrators)",
        "audit.log-key.first": "Transparency log signing key registered",
        "audit.log-key.rotated": "Transparency log signing key rotated",
        "webhook.endpoint-added": "Webhook endpoint added",
        "webhook.endpoint-secret-rotated": "Webhook endpoint's signing secret rotated (the previous one still signs for a day)",
        "webhook.endpoint-removed": "Webhook endpoint removed",
        "webhook.redelivery-requested": "Notification delivery requested again",
        "webhook.test-requested": "Test notification sent to a webhook endpoint",
        "backup.failed": "A backup or the check of the backup repository failed",
        "notification.default-set": "Default way a role gets a kind of notification changed",
        "notification.subscription-set": "Own choice of how to get a kind of notification set",
        "notification.subscription-removed": "Own choice of how to get a kind of notification removed (the role's default applies)",
        "user.email-set": "Own e-mail address for notifications changed",
        "audit.verification-failed": "The audit trail failed verification (reported to administrators)",
        "user.signed-in": "Signed in to the console",
        "user.signed-out": "Signed out of the console",
        "user.sign-in-failed": "Sign-in failed (wrong password)",
        "user.sign-in-refused": "Sign-in refused",
        "signature.failed": "Electronic signature refused (wrong password)",
        "record.read-by-auditor": "Record read by an auditor",
    ]

    /// The sentence for an event type; for a type not in the catalogue, the type's own words
    /// ("vial.thaw-refused" reads "Vial: thaw refused"), never the dotted code.
    public static func sentence(for action: String) -> String {
        if let known = catalogue[action] { return known }
        let parts = action.split(separator: ".", maxSplits: 1).map { $0.replacingOccurrences(of: "-", with: " ") }
        guard let subject = parts.first, !subject.isEmpty else { return action }
        let capitalised = subject.prefix(1).uppercased() + subject.dropFirst()
        return parts.count == 2 ? "\(capitalised): \(parts[1])" : capitalised
    }
}

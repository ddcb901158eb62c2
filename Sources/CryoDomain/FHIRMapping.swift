/// How CryoLedger states map to FHIR R5 codes (docs/fhir.md). Pure: the FHIR endpoints call these and never restate them.
public enum FHIRMapping {
    /// BiologicallyDerivedProduct.productStatus (http://hl7.org/fhir/biologicallyderived-product-status): a vial is
    /// `available` only while it is stored and nothing stops its use (rule 3's `vial_blockers` is empty); otherwise
    /// (reserved for a patient, on its way, used, destroyed, held, expired, checked out) `unavailable`.
    public static func productStatus(vial: VialStatus, blocked: Bool) -> String {
        vial == .stored && !blocked ? "available" : "unavailable"
    }

    /// The productStatus of a vial's effective availability (rule 10).
    public static func productStatus(_ availability: VialAvailability) -> String {
        productStatus(vial: availability.status, blocked: !availability.unblocked)
    }

    /// The CodeSystem of the reasons a product is unavailable (`VialAvailability.Code`).
    public static let blockerSystem = "https://cryoledger.example/fhir/CodeSystem/vial-blocker"

    /// BiologicallyDerivedProductDispense.status (http://hl7.org/fhir/biologicallyderivedproductdispense-status, required)
    /// of a reservation, from its vial's status: reserved = allocated (ready for transport), shipped = in-progress,
    /// received / thawed / administered = issued (handed over to the clinical site); a cancelled reservation or a
    /// destroyed vial = unfulfilled. A stored vial under a live reservation cannot exist (rule 1): `unknown`.
    public static func dispenseStatus(vial: VialStatus, reservationCancelled: Bool) -> String {
        if reservationCancelled { return "unfulfilled" }
        switch vial {
        case .reserved: return "allocated"
        case .shipped: return "in-progress"
        case .received, .thawed, .administered: return "issued"
        case .destroyed: return "unfulfilled"
        case .stored: return "unknown"
        }
    }

    /// A FHIR id allows A-Z, a-z, 0-9, '-' and '.', but a vial id's MOD 37-2 check character can be '*': the resource id
    /// spells it '-' (no vial id has a '-', so the mapping is reversible). The identifier keeps the vial id as it is.
    public static func resourceId(vialId: String) -> String { vialId.replacingOccurrences(of: "*", with: "-") }

    /// The vial id of a resource id (either spelling of the check character is accepted).
    public static func vialId(resourceId: String) -> String {
        resourceId.hasSuffix("-") ? String(resourceId.dropLast()) + "*" : resourceId
    }

    /// The productStatus codes a search may ask for.
    public static let productStatuses: Set<String> = ["available", "unavailable"]
}

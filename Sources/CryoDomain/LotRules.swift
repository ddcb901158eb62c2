/// The lot number: the one Swift definition. Its twins: the `lot_number_valid()` SQL function behind the
/// `lot` table's CHECK (033), and `LotNumber.pattern` in openapi.yaml; a test holds the three to the same samples.
public enum LotNumber {
    public static let pattern = "^[A-Z0-9][A-Z0-9-]{2,31}$"
    public static let rule = "must be 3 to 32 characters of A-Z, 0-9 and '-', starting with a letter or digit"

    /// `pattern`, byte by byte: it runs once per row of a vial import.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        return (3...32).contains(bytes.count) && bytes.enumerated().allSatisfy { i, b in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (i > 0 && b == UInt8(ascii: "-"))
        }
    }

    public static func validate(_ text: String, field: String = "lotNumber") throws(DomainError) {
        try Validator().require(isValid(text), field, rule)
    }
}

/// Lot registration and vial filling, decided once for the single operations and the importers.
public enum LotRules {
    /// No lot from an ineligible donor; expiry at most manufacture + shelf life (the product's default when none
    /// is given). Returns the expiry to record. Database twin: trigger `lot_registration` → `check_lot_registration()` (033).
    public static func checkRegistration(donorCode: String, donorEligibility: DonorEligibility, manufacturedOn: CalendarDay,
                                         expiresOn: CalendarDay?, shelfLifeDays: Int) throws(DomainError) -> CalendarDay {
        if donorEligibility == .ineligible {
            throw .conflict(field: "donorCode", rule: "donor \(donorCode) is ineligible; no lot may be made from it")
        }
        let maxExpiry = manufacturedOn.adding(days: shelfLifeDays)
        let expires = expiresOn ?? maxExpiry
        if expires > maxExpiry {
            throw .invalid(field: "expiresOn", rule: "must not be later than manufacture + shelf life (\(maxExpiry))")
        }
        return expires
    }

    /// Vials are filled only while the lot is in-process or in quarantine, and never beyond the planned count.
    /// Database twin: trigger `vial_filling` → `check_vial_filling()` (033).
    public static func checkVialFilling(lotNumber: String, status: LotStatus, plannedVials: Int, existingVials: Int, adding count: Int,
                                        field: String = "count") throws(DomainError) {
        guard status == .inProcess || status == .quarantine else {
            throw .conflict(field: "lotNumber", rule: "vials are filled while a lot is in-process or in quarantine; lot \(lotNumber) is \(status.rawValue)")
        }
        guard existingVials + count <= plannedVials else {
            throw .conflict(field: field, rule: "lot \(lotNumber) plans \(plannedVials) vials and has \(existingVials); \(count) more would exceed it")
        }
    }
}

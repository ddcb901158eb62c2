/// Why a patient was not dosed within the target time: the first constraint, in this order, that no lot gets past.
public enum MissCause: Int, Codable, Sendable, CaseIterable {
    /// Every lot of the product has a donor allele the patient has an antibody against.
    case noCompatibleDonor
    /// The compatible lots have expired.
    case expired
    /// The compatible, unexpired lots cannot make the patient's dose: the dose level moved away from what their vials fit.
    case doseLevelChanged
    /// The compatible lots that fit the dose have been used up.
    case stockUsedUp
    /// The compatible lots with vials left are still in QC or in manufacture.
    case notReleasedYet
    /// A compatible, released dose exists, but not at the patient's site and not within the target time.
    case wrongSite

    public var sentence: String {
        switch self {
        case .noCompatibleDonor: "no compatible donor"
        case .expired: "expired"
        case .doseLevelChanged: "dose level changed"
        case .stockUsedUp: "stock used up"
        case .notReleasedYet: "not released yet"
        case .wrongSite: "wrong site"
        }
    }
}

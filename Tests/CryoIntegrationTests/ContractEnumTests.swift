import CryoAPIGenerated
import CryoDomain
import Testing

/// The records carry domain enums; the API maps them to the contract's enums by raw value. Each domain case exists there.
@Suite("Domain enums and the contract")
struct ContractEnumTests {
    @Test("every lot status, vial status, cohort decision and donor eligibility has its value in openapi.yaml")
    func everyCaseMapped() {
        for s in LotStatus.allCases { #expect(Components.Schemas.LotStatus(rawValue: s.rawValue) != nil, "\(s)") }
        for s in VialStatus.allCases { #expect(Components.Schemas.VialStatus(rawValue: s.rawValue) != nil, "\(s)") }
        for d in CohortDecision.allCases { #expect(Components.Schemas.CohortDecision.DecisionPayload(rawValue: d.rawValue) != nil, "\(d)") }
        for c in VialAvailability.Code.allCases { #expect(Components.Schemas.VialBlocker.CodePayload(rawValue: c.rawValue) != nil, "\(c)") }
        for e in DonorEligibility.allCases { #expect(Components.Schemas.Donor.EligibilityPayload(rawValue: e.rawValue) != nil, "\(e)") }
        #expect("\(LotStatus.inProcess)" == "in-process" && "\(VialStatus.stored)" == "stored")
    }
}

import CryoDomain
import Testing

/// Each status mapping of docs/fhir.md, case by case.
@Suite("FHIR status mappings")
struct FHIRMappingTests {
    @Test("productStatus: available only for a stored vial that nothing blocks")
    func productStatus() {
        #expect(FHIRMapping.productStatus(vial: .stored, blocked: false) == "available")
        #expect(FHIRMapping.productStatus(vial: .stored, blocked: true) == "unavailable")
        for status in VialStatus.allCases where status != .stored {
            #expect(FHIRMapping.productStatus(vial: status, blocked: false) == "unavailable", "\(status)")
            #expect(FHIRMapping.productStatus(vial: status, blocked: true) == "unavailable", "\(status)")
        }
    }

    @Test("dispense status: each vial status, and a cancelled reservation")
    func dispenseStatus() {
        let expected: [VialStatus: String] = [.reserved: "allocated", .shipped: "in-progress", .received: "issued", .thawed: "issued",
                                              .administered: "issued", .destroyed: "unfulfilled", .stored: "unknown"]
        #expect(Set(expected.keys) == Set(VialStatus.allCases))
        for (vial, status) in expected {
            #expect(FHIRMapping.dispenseStatus(vial: vial, reservationCancelled: false) == status, "\(vial)")
            #expect(FHIRMapping.dispenseStatus(vial: vial, reservationCancelled: true) == "unfulfilled", "\(vial)")
        }
        let r5: Set<String> = ["preparation", "in-progress", "allocated", "issued", "unfulfilled", "returned", "entered-in-error", "unknown"]
        #expect(Set(expected.values).isSubset(of: r5))
    }

    @Test("resource ids: a '*' check character is spelled '-' and read back either way")
    func resourceIds() {
        #expect(FHIRMapping.resourceId(vialId: "CV0000000288*") == "CV0000000288-")
        #expect(FHIRMapping.resourceId(vialId: "CV0000000001O") == "CV0000000001O")
        #expect(FHIRMapping.vialId(resourceId: "CV0000000288-") == "CV0000000288*")
        #expect(FHIRMapping.vialId(resourceId: "CV0000000288*") == "CV0000000288*")
        #expect(FHIRMapping.vialId(resourceId: "CV0000000001O") == "CV0000000001O")
    }
}

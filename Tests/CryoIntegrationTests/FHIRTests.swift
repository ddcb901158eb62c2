import CryoDomain
import CryoStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Issue 19, part 4: the FHIR R5 read API through the router (the R5 models themselves are checked by Tests/FHIR).
@Suite("FHIR R5 read API")
struct FHIRTests {
    func get(_ http: any TestClientProtocol, _ uri: String, token: String?) async throws -> (HTTPResponse.Status, [String: Any], String?) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await http.execute(uri: uri, method: .get, headers: headers, body: nil) { response in
            let object = (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers[.contentType])
        }
    }

    @Test("a vial as a BiologicallyDerivedProduct: id with its check character, lot, coded donor, status; search by lot and status")
    func product() async throws {
        try await withApp { f, http in
            let vials = try await f.lot("LOT-F1", vials: 2, box: "BOX-1")
            let token = f.tokens[.auditor]!
            let (status, p, type) = try await get(http, "/fhir/BiologicallyDerivedProduct/\(vials[0].id)", token: token)
            #expect(status == .ok && type == "application/fhir+json")
            #expect(p["resourceType"] as? String == "BiologicallyDerivedProduct" && p["id"] as? String == vials[0].id)
            #expect((p["identifier"] as? [[String: Any]])?.first?["value"] as? String == vials[0].id)
            #expect((p["biologicalSourceEvent"] as? [String: Any])?["value"] as? String == "DN-000001")
            #expect((p["productCategory"] as? [String: Any])?["code"] as? String == "cells")
            // In process: not released, so unavailable, with the reason.
            #expect((p["productStatus"] as? [String: Any])?["code"] as? String == "unavailable")
            let properties = p["property"] as? [[String: Any]] ?? []
            #expect(properties.contains { $0["valueString"] as? String == "LOT-F1" })
            let (_, byLot, _) = try await get(http, "/fhir/BiologicallyDerivedProduct?lot=LOT-F1&product-status=unavailable", token: token)
            #expect(byLot["resourceType"] as? String == "Bundle" && byLot["total"] as? Int == 2)
            let (_, none, _) = try await get(http, "/fhir/BiologicallyDerivedProduct?lot=LOT-F1&status=available", token: token)
            #expect(none["total"] as? Int == 0 && none["entry"] == nil)
        }
    }

    @Test("errors are OperationOutcomes: malformed id, unknown vial, unknown parameter, no token")
    func errors() async throws {
        try await withApp { f, http in
            let token = f.tokens[.auditor]!
            for (uri, token, expected, code) in [("/fhir/BiologicallyDerivedProduct/NOT-A-VIAL", token, HTTPResponse.Status.badRequest, "invalid"),
                                                 ("/fhir/BiologicallyDerivedProductDispense/42", token, .notFound, "not-found"),
                                                 ("/fhir/BiologicallyDerivedProduct?colour=blue", token, .badRequest, "invalid"),
                                                 ("/fhir/BiologicallyDerivedProductDispense?patient=RES-001", nil, .unauthorized, "login")] as [(String, String?, HTTPResponse.Status, String)] {
                let (status, outcome, type) = try await get(http, uri, token: token)
                #expect(status == expected, "\(uri)")
                #expect(type == "application/fhir+json" && outcome["resourceType"] as? String == "OperationOutcome", "\(uri)")
                #expect((outcome["issue"] as? [[String: Any]])?.first?["code"] as? String == code, "\(uri)")
            }
        }
    }

    @Test("a reservation as a BiologicallyDerivedProductDispense, searched by patient; statuses follow the vial")
    func dispense() async throws {
        try await withApp { f, http in
            try await f.clinical(lots: [("LOT-F2", 4)])
            try await f.enrol("RES-001")
            let plan = try await f.store.planAllocation(PlanRequest(patients: ["RES-001"]), actor: f.user(.pharmacy), logger: Fixture.logger)
            let done = try await f.store.commitAllocation(planId: plan.id, patients: nil, actor: f.user(.pharmacy), logger: Fixture.logger)
            let token = f.tokens[.pharmacy]!
            let (_, bundle, _) = try await get(http, "/fhir/BiologicallyDerivedProductDispense?patient=Patient/RES-001", token: token)
            let entries = (bundle["entry"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? [String: Any] }
            #expect(entries.count == done[0].vialIds.count)
            let first = try #require(entries.first)
            #expect(first["status"] as? String == "allocated")
            #expect((first["patient"] as? [String: Any])?["display"] == nil)
            #expect(((first["patient"] as? [String: Any])?["identifier"] as? [String: Any])?["value"] as? String == "RES-001")
            let (status, one, _) = try await get(http, "/fhir/BiologicallyDerivedProductDispense/\(first["id"] as! String)", token: token)
            #expect(status == .ok && one["id"] as? String == first["id"] as? String)
            let (_, product, _) = try await get(http, "/fhir/\((first["product"] as? [String: Any])?["reference"] as! String)", token: token)
            #expect((product["productStatus"] as? [String: Any])?["code"] as? String == "unavailable")
        }
    }
}

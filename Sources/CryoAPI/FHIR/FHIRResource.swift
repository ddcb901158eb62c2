import CryoDomain
import CryoStore
import Foundation

/// CryoLedger records as FHIR R5 JSON (docs/fhir.md has the mapping, field by field).
enum FHIRResource {
    static let base = "https://cryoledger.example/fhir"
    static let vialSystem = base + "/vial-id"
    static let productSystem = base + "/CodeSystem/product"
    static let donorSystem = base + "/donor"
    static let propertySystem = base + "/CodeSystem/product-property"
    static let vialStatusSystem = base + "/CodeSystem/vial-status"
    static let reservationSystem = base + "/reservation"
    static let subjectSystem = base + "/subject-id"
    static let siteSystem = base + "/site"
    /// The ISBT 128 donation identification number of a vial whose product prints ISBT 128 labels.
    static let isbt128DINSystem = base + "/isbt128-din"

    static func product(_ f: ProductFacts) -> [String: Any] {
        let status = FHIRMapping.productStatus(f.availability)
        func property(_ code: String, _ value: [String: Any]) -> [String: Any] {
            ["type": ["coding": [["system": propertySystem, "code": code]]]].merging(value) { a, _ in a }
        }
        var properties: [[String: Any]] = [
            property("lot-number", ["valueString": f.lotNumber]),
            property("vial-status", ["valueCodeableConcept": ["coding": [["system": vialStatusSystem, "code": f.status.rawValue]]]]),
            property("cells-per-vial", ["valueQuantity": ["value": f.cellsPerVial, "unit": "viable CAR+ T cells"]]),
        ]
        for r in f.availability.reasons {
            properties.append(property("unavailable-because",
                                       ["valueCodeableConcept": ["coding": [["system": FHIRMapping.blockerSystem, "code": r.code.rawValue]], "text": r.detail]]))
        }
        return [
            "resourceType": "BiologicallyDerivedProduct",
            "id": FHIRMapping.resourceId(vialId: f.vialId),
            "identifier": [["use": "official", "system": vialSystem, "value": f.vialId]]
                + (f.isbt128DIN.map { [["use": "secondary", "system": isbt128DINSystem, "value": $0]] } ?? []),
            "productCategory": ["system": "http://hl7.org/fhir/product-category", "code": "cells", "display": "Cells"],
            "productCode": ["coding": [["system": productSystem, "code": f.productCode, "display": f.productName]], "text": f.productName],
            "biologicalSourceEvent": ["system": donorSystem, "value": f.donorCode],
            "division": String(f.ordinal),
            "productStatus": ["system": "http://hl7.org/fhir/biologicallyderived-product-status", "code": status,
                              "display": status == "available" ? "Available" : "Unavailable"],
            "expirationDate": f.expiresOn,
            "storageTempRequirements": ["high": ["value": f.storageMaxCelsius, "unit": "°C", "system": "http://unitsofmeasure.org", "code": "Cel"]],
            "property": properties,
        ]
    }

    static func dispense(_ f: DispenseFacts) -> [String: Any] {
        var out: [String: Any] = [
            "resourceType": "BiologicallyDerivedProductDispense",
            "id": String(f.reservationId),
            "identifier": [["system": reservationSystem, "value": String(f.reservationId)]],
            "status": FHIRMapping.dispenseStatus(vial: f.status, reservationCancelled: f.cancelled),
            "product": ["reference": "BiologicallyDerivedProduct/\(FHIRMapping.resourceId(vialId: f.vialId))"],
            // A coded subject id only: CryoLedger holds no names, and serves no Patient resource to resolve.
            "patient": ["identifier": ["system": subjectSystem, "value": f.subjectId]],
            "matchStatus": ["coding": [["system": "http://hl7.org/fhir/CodeSystem/biologicallyderivedproductdispense-match-status",
                                        "code": "selected", "display": "Selected"]]],
            "destination": ["identifier": ["system": siteSystem, "value": f.siteCode], "display": "clinical site \(f.siteCode)"],
            "quantity": ["value": 1, "unit": "vial"],
        ]
        if let thawed = f.thawedAt { out["preparedDate"] = dateTime(thawed) }
        if let received = f.receivedAt { out["whenHandedOver"] = dateTime(received) }
        return out
    }

    static func searchset(_ resources: [[String: Any]]) -> [String: Any] {
        var bundle: [String: Any] = ["resourceType": "Bundle", "type": "searchset", "total": resources.count]
        // FHIR JSON has no empty arrays: no matches, no `entry`.
        if !resources.isEmpty { bundle["entry"] = resources.map { ["resource": $0, "search": ["mode": "match"]] } }
        return bundle
    }

    static func outcome(code: String, diagnostics: String) -> [String: Any] {
        ["resourceType": "OperationOutcome", "issue": [["severity": "error", "code": code, "diagnostics": diagnostics]]]
    }

    static func dateTime(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}

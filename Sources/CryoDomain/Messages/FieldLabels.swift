/// Field names (`subjectId`, `hla[2]`, `screeningTests[0].result`) as labels people read. The API keeps the
/// path in its problem documents; the console and the reports show these words.
public enum FieldLabels {
    public static let catalogue: [String: String] = [
        "subjectId": "Patient (subject id)", "vialId": "Vial id", "vialIds": "Vial ids", "id": "Id",
        "boxId": "Box", "box": "Box", "row": "Row", "column": "Column", "position": "Position",
        "lotNumber": "Lot number", "lot": "Lot", "productCode": "Product", "product": "Product", "donorCode": "Donor",
        "cellsPerVial": "Viable CAR+ cells per vial", "vialCount": "Number of vials", "plannedVials": "Number of vials",
        "manufacturedOn": "Manufacture date", "expiresOn": "Expiry date", "eligibility": "Eligibility",
        "hla": "HLA typing", "screeningTests": "Screening tests", "antiHla": "Anti-HLA antibodies",
        "weightKg": "Weight (kg)", "infusionOn": "Infusion date", "ldStartOn": "Lymphodepletion start",
        "siteCode": "Site", "site": "Site", "studyCode": "Study", "cohortId": "Cohort", "testCode": "Test",
        "value": "Value", "unit": "Unit", "method": "Method", "analyst": "Analyst", "instrument": "Instrument",
        "reason": "Reason", "password": "Password", "meaning": "Meaning of the signature", "signature": "Signature",
        "login": "Login name", "name": "Printed name", "role": "Role", "grade": "Grade", "onsetOn": "Onset date",
        "description": "Description", "dryShipperId": "Dry shipper", "dataLoggerId": "Data logger",
        "celsius": "Temperature (°C)", "freezerId": "Freezer", "file": "File", "kind": "Kind of file",
        "decision": "Decision", "userId": "User",
        // the point-of-care scans and forms
        "scannedVialIds": "Vials scanned", "scannedVialId": "Vial scanned", "scannedSubjectId": "Patient band scanned",
        "scannedDryShipperId": "Dry shipper scanned", "validatedHoldHours": "Validated hold time (hours)", "toSite": "To site",
        "loggerMaxCelsius": "Data logger maximum (°C)", "givenOn": "Day given", "agent": "Agent", "items": "Clearance checklist",
        "patients": "Patients", "planId": "Plan", "allocationId": "Allocation", "shipmentId": "Shipment",
        // the allocation optimizer's levels
        "unassignedPatients": "Patients left without a dose", "unassignedSlots": "Doses left unassigned",
        "cohortSpread": "Lots per cohort beyond one", "expirySlackDays": "Days of shelf life used up early",
        "overageCells": "Cells given above the target",
    ]

    /// The label of a field path: `hla[2]` reads "HLA typing, item 3"; an unknown camelCase name is split into words.
    public static func label(_ path: String) -> String {
        var parts: [String] = []
        for segment in path.split(separator: ".") {
            var name = Substring(segment), index: Int?
            if let open = segment.firstIndex(of: "["), let close = segment.firstIndex(of: "]"), open < close {
                index = Int(segment[segment.index(after: open)..<close])
                name = segment[..<open]
            }
            var words = catalogue[String(name)] ?? spaced(String(name))
            if let index { words += ", item \(index + 1)" }
            parts.append(parts.isEmpty ? words : words.lowercased())
        }
        return parts.joined(separator: ": ")
    }

    /// "cellsPerVial" → "Cells per vial"; "counting-bound" → "Counting bound".
    public static func spaced(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase, !out.isEmpty { out += " " + ch.lowercased() } else if ch == "-" || ch == "_" { out += " " } else { out.append(ch) }
        }
        return out.prefix(1).uppercased() + out.dropFirst()
    }
}

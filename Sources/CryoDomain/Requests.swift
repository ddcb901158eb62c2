import Foundation

/// Inputs of the inventory operations, validated here so the API and the CLI share the rules.

public struct ScreeningTest: Sendable, Equatable {
    public var test: String
    public var result: String
    public var testedOn: CalendarDay
    public init(test: String, result: String, testedOn: CalendarDay) {
        self.test = test; self.result = result; self.testedOn = testedOn
    }
    public static let results: Set<String> = ["negative", "positive", "non-reactive", "reactive", "pass", "fail", "pending"]
}

public struct DonorRegistration: Sendable {
    public var code: String
    public var eligibility: DonorEligibility
    public var screeningTests: [ScreeningTest]
    public var hla: [String]
    public init(code: String, eligibility: DonorEligibility, screeningTests: [ScreeningTest], hla: [String]) {
        self.code = code; self.eligibility = eligibility; self.screeningTests = screeningTests; self.hla = hla
    }

    public func validate() throws(DomainError) {
        let v = Validator()
        try v.require(DonorCode.isValid(code), "code", "must be a coded donor id DN-NNNNNN (six digits); never a name or record number")
        var seen = Set<String>()
        for (i, t) in screeningTests.enumerated() {
            try v.require(!t.test.trimmingCharacters(in: .whitespaces).isEmpty && t.test.count <= 100, "screeningTests[\(i)].test", "must be 1 to 100 characters")
            try v.require(ScreeningTest.results.contains(t.result), "screeningTests[\(i)].result", "must be one of \(ScreeningTest.results.sorted().joined(separator: ", "))")
            try v.require(seen.insert(t.test).inserted, "screeningTests[\(i)].test", "each test is listed once")
        }
        if eligibility == .eligible {
            try v.require(!screeningTests.isEmpty, "screeningTests", "an eligible donor needs the screening tests behind the determination")
            for (i, t) in screeningTests.enumerated() where !["negative", "non-reactive", "pass"].contains(t.result) {
                throw .invalid(field: "screeningTests[\(i)].result", rule: "a donor with a \(t.result) test cannot be eligible")
            }
        }
        try HLA.validateTyping(hla)
    }
}

public struct LotRegistration: Sendable {
    public var lotNumber: String
    public var productCode: String
    public var donorCode: String
    public var manufacturedOn: CalendarDay
    public var expiresOn: CalendarDay?
    public var cellsPerVial: Int
    public var plannedVials: Int
    public init(lotNumber: String, productCode: String, donorCode: String, manufacturedOn: CalendarDay, expiresOn: CalendarDay?, cellsPerVial: Int, plannedVials: Int) {
        self.lotNumber = lotNumber; self.productCode = productCode; self.donorCode = donorCode
        self.manufacturedOn = manufacturedOn; self.expiresOn = expiresOn; self.cellsPerVial = cellsPerVial; self.plannedVials = plannedVials
    }

    public func validate() throws(DomainError) {
        let v = Validator()
        try LotNumber.validate(lotNumber)
        try v.require(DonorCode.isValid(donorCode), "donorCode", "must be a coded donor id DN-NNNNNN")
        try v.require(cellsPerVial > 0, "cellsPerVial", "must be a positive number of viable CAR+ cells")
        try v.require((1...10_000).contains(plannedVials), "vialCount", "must be between 1 and 10000")
        if let expiresOn {
            try v.require(expiresOn > manufacturedOn, "expiresOn", "must be after manufacturedOn")
        }
    }
}

public struct Position: Sendable, Equatable, Hashable {
    public var boxId: String
    public var row: Int
    public var column: Int
    public init(boxId: String, row: Int, column: Int) { self.boxId = boxId; self.row = row; self.column = column }

    public func validate(field: String = "") throws(DomainError) {
        let prefix = field.isEmpty ? "" : field + "."
        try Validator().require((1...26).contains(row), prefix + "row", "must be between 1 and 26")
        try Validator().require((1...26).contains(column), prefix + "column", "must be between 1 and 26")
    }

    /// "BOX-ID:C4": the row as a letter, the column as a number, as printed on cryoboxes.
    public var label: String {
        let letter = Character(UnicodeScalar(UInt8(64 + row)))
        return "\(boxId):\(letter)\(column)"
    }
}

/// `DN-` and six digits, byte by byte (a regex literal is compiled anew on every call).
public enum DonorCode {
    public static func isValid(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return bytes.count == 9 && bytes.starts(with: Array("DN-".utf8))
            && bytes.dropFirst(3).allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

public enum StorageID {
    /// `[A-Z0-9][A-Z0-9-]{1,47}`, byte by byte.
    public static func isValid(_ id: String) -> Bool {
        let bytes = id.utf8
        return (2...48).contains(bytes.count) && bytes.enumerated().allSatisfy { i, b in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (i > 0 && b == UInt8(ascii: "-"))
        }
    }

    public static func validate(_ id: String, field: String) throws(DomainError) {
        try Validator().require(isValid(id), field, "must be 2 to 48 characters of A-Z, 0-9 and '-'")
    }
}

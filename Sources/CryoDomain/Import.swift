import Foundation

/// What a bulk import loads. Column names are the API's field names; the header may list them in any
/// order and in any letter case. Each row is validated by the same rules as the single operation.
public enum ImportKind: String, CaseIterable, Sendable, Codable {
    case donors, lots, vials, placements

    public var requiredColumns: [String] {
        switch self {
        case .donors: return ["code", "eligibility"]
        case .lots: return ["lotNumber", "productCode", "donorCode", "manufacturedOn", "cellsPerVial", "vialCount"]
        case .vials: return ["vialId", "lotNumber"]
        case .placements: return ["vialId", "boxId", "row", "column"]
        }
    }

    public var optionalColumns: [String] {
        switch self {
        case .donors: return ["hla", "screeningTests"]
        case .lots: return ["expiresOn"]
        case .vials, .placements: return []
        }
    }

    public var columns: [String] { requiredColumns + optionalColumns }

    /// Who may import it: the same action as the single operation.
    public var action: Action {
        switch self {
        case .donors: return .registerDonor
        case .lots: return .registerLot
        case .vials: return .createVials
        case .placements: return .placeVial
        }
    }

    func checkHeader(_ names: [String]) throws(CSVFormatError) {
        let known = Dictionary(uniqueKeysWithValues: columns.map { ($0.lowercased(), $0) })
        var seen = Set<String>()
        for name in names {
            guard known[name.lowercased()] != nil else {
                throw CSVFormatError(line: 1, message: "unknown column '\(name)'; a \(rawValue) file has the columns \(columns.joined(separator: ","))")
            }
            guard seen.insert(name.lowercased()).inserted else {
                throw CSVFormatError(line: 1, message: "column '\(name)' appears twice in the header")
            }
        }
        let missing = requiredColumns.filter { !seen.contains($0.lowercased()) }
        if !missing.isEmpty {
            throw CSVFormatError(line: 1, message: "missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")); a \(rawValue) file needs \(requiredColumns.joined(separator: ","))")
        }
    }
}

/// Why a row was not imported: the column (or API field path) and the rule it broke.
public struct RowReject: Error, Sendable, Equatable, Codable {
    public var row: Int
    public var line: Int
    public var field: String
    public var rule: String
    public var value: String
    /// For a record that is not well-formed CSV: the column (character) of the line `line` where it goes wrong.
    public var column: Int?
    /// The record's fields as they were in the file (for a rejects file); not encoded.
    public var record: [String] = []

    enum CodingKeys: String, CodingKey { case row, line, field, rule, value, column }

    public init(row: Int, line: Int, column: Int? = nil, field: String, rule: String, value: String, record: [String] = []) {
        self.row = row; self.line = line; self.column = column; self.field = field; self.rule = rule; self.value = value; self.record = record
    }

    /// The rejection of a record that is not well-formed CSV (or has the wrong number of fields): its raw text is the value.
    public init(malformed record: CSVRecord, _ problem: CSVProblem) {
        self.init(row: record.row, line: problem.line, column: problem.column, field: "record",
                  rule: "column \(problem.column): \(problem.message)", value: record.fields.first ?? "", record: record.fields)
    }

    public init(_ record: CSVRecord, field: String, rule: String, value: String? = nil) {
        self.init(row: record.row, line: record.line, field: field, rule: rule,
                  value: value ?? record.values[field.lowercased()] ?? "", record: record.fields)
    }

    /// A rejection from a domain error raised for this record.
    public init(_ record: CSVRecord, _ error: DomainError) {
        let (field, rule): (String, String)
        switch error {
        case .invalid(let f, let r): (field, rule) = (f, r)
        case .conflict(let f, let r): (field, rule) = (f ?? "row", r)
        case .notFound(let kind, let id): (field, rule) = (kind, "\(kind) '\(id)' does not exist")
        default: (field, rule) = ("row", error.description)
        }
        let column = field.split(separator: "[").first.map(String.init) ?? field
        self.init(record, field: field, rule: rule, value: record.values[column.lowercased()] ?? "")
    }
}

/// Parsing of import rows into the requests of the single operations. No I/O.
public enum ImportRows {
    /// A donor row: `hla` lists alleles separated by spaces or ';', `screeningTests` lists
    /// `NAME=RESULT@YYYY-MM-DD` separated by ';'.
    public static func donor(_ r: CSVRecord) throws(DomainError) -> DonorRegistration {
        let code = r["code"] ?? ""
        guard let eligibility = DonorEligibility(rawValue: r["eligibility"] ?? "") else {
            throw .invalid(field: "eligibility", rule: "must be one of eligible, ineligible, pending")
        }
        var tests: [ScreeningTest] = []
        let testItems = (r["screeningTests"] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for (i, item) in testItems.enumerated() {
            guard let m = item.wholeMatch(of: /(.+)=([a-z-]+)@([0-9-]+)/) else {
                throw .invalid(field: "screeningTests[\(i)]", rule: "must be NAME=RESULT@YYYY-MM-DD, items separated by ';'")
            }
            tests.append(ScreeningTest(test: String(m.1).trimmingCharacters(in: .whitespaces), result: String(m.2),
                                       testedOn: try CalendarDay(parsing: String(m.3), field: "screeningTests[\(i)].testedOn")))
        }
        let hla = (r["hla"] ?? "").split(whereSeparator: { $0.isWhitespace || $0 == ";" || $0 == "," }).map(String.init)
        let request = DonorRegistration(code: code, eligibility: eligibility, screeningTests: tests, hla: hla)
        try request.validate()
        return request
    }

    public static func lot(_ r: CSVRecord) throws(DomainError) -> LotRegistration {
        let request = LotRegistration(
            lotNumber: r["lotNumber"] ?? "", productCode: r["productCode"] ?? "", donorCode: r["donorCode"] ?? "",
            manufacturedOn: try CalendarDay(parsing: r["manufacturedOn"] ?? "", field: "manufacturedOn"),
            expiresOn: try r["expiresOn"].map { v throws(DomainError) in try CalendarDay(parsing: v, field: "expiresOn") },
            cellsPerVial: try integer(r, "cellsPerVial", "must be a positive whole number of viable CAR+ cells"),
            plannedVials: try integer(r, "vialCount", "must be a whole number between 1 and 10000"))
        try request.validate()
        return request
    }

    public struct VialRow: Sendable, Equatable {
        public var vialId: String
        public var lotNumber: String
        public init(vialId: String, lotNumber: String) { self.vialId = vialId; self.lotNumber = lotNumber }
    }

    public static func vial(_ r: CSVRecord) throws(DomainError) -> VialRow {
        let id = try VialID(parsing: r["vialId"] ?? "")
        let lot = r["lotNumber"] ?? ""
        try LotNumber.validate(lot)
        return VialRow(vialId: id.value, lotNumber: lot)
    }

    public struct PlacementRow: Sendable, Equatable {
        public var vialId: String
        public var position: Position
        public init(vialId: String, position: Position) { self.vialId = vialId; self.position = position }
    }

    public static func placement(_ r: CSVRecord) throws(DomainError) -> PlacementRow {
        let id = try VialID(parsing: r["vialId"] ?? "")
        let box = r["boxId"] ?? ""
        try StorageID.validate(box, field: "boxId")
        let position = Position(boxId: box, row: try BoxRow.parse(r["row"] ?? ""),
                                column: try integer(r, "column", "must be a whole number between 1 and 26"))
        try position.validate()
        return PlacementRow(vialId: id.value, position: position)
    }

    static func integer(_ r: CSVRecord, _ column: String, _ rule: String) throws(DomainError) -> Int {
        guard let text = r[column], let value = Int(text) else { throw .invalid(field: column, rule: rule) }
        return value
    }
}

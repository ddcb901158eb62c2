import Foundation

/// Decodes and validates a `cryoledger.allocation/v1` instance.
///
/// Optional fields take the defaults that ../shared/allocation/alloc_rules.py uses
/// (policy fields, `routes`, `antiHla`, `excludedLots`, `donorHla`); every present
/// field must have the right type and range.
public enum AllocationInstanceParser {
    public static let format = "cryoledger.allocation/v1"
    /// Cell counts above this are refused so that every product of FORMAT.md's
    /// arithmetic, and sums over a million assignments, fit in an Int.
    public static let maxCells = 1_000_000_000_000
    public static let maxVials = 1_000_000_000

    public static func parse(_ data: Data) throws(InstanceError) -> AllocationInstance {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw InstanceError(path: "", message: "not valid JSON (\(error))")
        }
        return try parse(Field(value: root, path: ""))
    }

    static func parse(_ root: Field) throws(InstanceError) -> AllocationInstance {
        _ = try root.object()
        let format = try root.required("format").string()
        guard format == Self.format else {
            throw try root.required("format").error("must be \"\(Self.format)\"")
        }
        let asOf = try root.required("asOf").day()

        var policy = AllocationPolicy(doseTolerancePct: 0, expiryMarginDays: 0, cohortLots: .off)
        if let p = try root.optional("policy") {
            _ = try p.object()
            if let t = try p.optional("doseTolerancePct") { policy.doseTolerancePct = try t.integer(in: 0...100, "an integer from 0 to 100") }
            if let m = try p.optional("expiryMarginDays") { policy.expiryMarginDays = try m.integer(in: 0...36_500, "a non-negative integer") }
            if let c = try p.optional("cohortLots") {
                let s = try c.string()
                guard let v = CohortLotsPolicy(rawValue: s) else { throw c.error("must be one of soft, hard, off") }
                policy.cohortLots = v
            }
        }

        var lots: [Lot] = []
        var lotIndex: [String: Int] = [:]
        for f in try root.required("lots").array() {
            let idField = try f.required("id")
            let id = try idField.nonEmptyString()
            if let other = lotIndex[id] { throw idField.error("duplicate lot id \(id) (also lots[\(other)].id)") }
            lotIndex[id] = lots.count
            lots.append(Lot(
                id: id,
                product: try f.required("product").nonEmptyString(),
                status: try f.required("status").string(),
                expiry: try f.required("expiry").day(),
                cellsPerVial: try f.required("cellsPerVial").integer(in: 1...maxCells, "a positive integer"),
                vialsAvailable: try f.required("vialsAvailable").integer(in: 0...maxVials, "a non-negative integer"),
                depot: try f.required("depot").nonEmptyString(),
                donorHla: try f.optional("donorHla")?.strings() ?? []))
        }

        var demands: [Demand] = []
        var demandIndex: [String: Int] = [:]
        for f in try root.required("demands").array() {
            let idField = try f.required("id")
            let id = try idField.nonEmptyString()
            if let other = demandIndex[id] { throw idField.error("duplicate demand id \(id) (also demands[\(other)].id)") }
            demandIndex[id] = demands.count
            let kindField = try f.required("kind")
            guard let kind = DemandKind(rawValue: try kindField.string()) else {
                throw kindField.error("must be \"patient\" or \"slot\"")
            }
            demands.append(Demand(
                id: id,
                kind: kind,
                product: try f.required("product").nonEmptyString(),
                cohort: try f.required("cohort").nonEmptyString(),
                targetCells: try f.required("targetCells").integer(in: 1...maxCells, "a positive integer"),
                site: try f.required("site").nonEmptyString(),
                infusionDate: try f.required("infusionDate").day(),
                antiHla: try f.optional("antiHla")?.strings() ?? [],
                excludedLots: try f.optional("excludedLots")?.strings() ?? []))
        }

        var routes: [Route] = []
        if let r = try root.optional("routes") {
            for f in try r.array() {
                routes.append(Route(
                    from: try f.required("from").nonEmptyString(),
                    to: try f.required("to").nonEmptyString(),
                    days: try f.required("days").integer(in: 0...36_500, "a non-negative integer")))
            }
        }
        return AllocationInstance(asOf: asOf, policy: policy, lots: lots, demands: demands, routes: routes)
    }
}

/// A JSON value with the path it was found at.
struct Field {
    let value: JSONValue
    let path: String

    func error(_ message: String) -> InstanceError { InstanceError(path: path, message: message) }

    func object() throws(InstanceError) -> [String: JSONValue] {
        guard case .object(let o) = value else {
            throw error(path.isEmpty ? "the instance must be a JSON object" : "must be an object, not \(value.typeName)")
        }
        return o
    }

    private func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func optional(_ key: String) throws(InstanceError) -> Field? {
        guard let v = try object()[key] else { return nil }
        if case .null = v { return nil }
        return Field(value: v, path: child(key))
    }

    func required(_ key: String) throws(InstanceError) -> Field {
        guard let v = try object()[key] else { throw InstanceError(path: child(key), message: "is required") }
        if case .null = v { throw InstanceError(path: child(key), message: "is required (null given)") }
        return Field(value: v, path: child(key))
    }

    func array() throws(InstanceError) -> [Field] {
        guard case .array(let a) = value else { throw error("must be an array, not \(value.typeName)") }
        return a.enumerated().map { Field(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws(InstanceError) -> String {
        guard case .string(let s) = value else { throw error("must be a string, not \(value.typeName)") }
        return s
    }

    func nonEmptyString() throws(InstanceError) -> String {
        let s = try string()
        guard !s.isEmpty else { throw error("must be a non-empty string") }
        return s
    }

    func strings() throws(InstanceError) -> [String] {
        var out: [String] = []
        for f in try array() { out.append(try f.nonEmptyString()) }
        return out
    }

    func integer(in range: ClosedRange<Int>, _ what: String) throws(InstanceError) -> Int {
        let v: Int
        switch value {
        case .int(let i): v = i
        case .number(let d) where d == d.rounded() && abs(d) < 9e15: v = Int(d)
        default: throw error("must be \(what)")
        }
        guard range.contains(v) else {
            throw error(range.upperBound < Int.max && v > range.upperBound ? "must be \(what) (at most \(range.upperBound))" : "must be \(what)")
        }
        return v
    }

    func day() throws(InstanceError) -> Day {
        let s = try string()
        guard let d = Day(iso: s) else { throw error("must be a calendar date YYYY-MM-DD, not \"\(s)\"") }
        return d
    }
}

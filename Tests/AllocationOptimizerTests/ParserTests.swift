import AllocationOptimizer
import Foundation
import Testing

@Suite("Instance parser")
struct ParserTests {
    static var valid: [String: Any] { [
        "format": "cryoledger.allocation/v1",
        "asOf": "2026-06-01",
        "policy": ["doseTolerancePct": 20, "expiryMarginDays": 1, "cohortLots": "hard"],
        "lots": [[
            "id": "L-1", "product": "P", "status": "released", "expiry": "2027-01-10", "cellsPerVial": 40_000_000,
            "vialsAvailable": 24, "depot": "SSF", "donorHla": ["A*02:01"],
        ]],
        "demands": [
            ["id": "D-1", "kind": "patient", "product": "P", "cohort": "C", "targetCells": 120_000_000, "site": "S01",
             "infusionDate": "2026-06-10", "antiHla": ["B*44"], "excludedLots": []],
            ["id": "D-2", "kind": "slot", "product": "P", "cohort": "C", "targetCells": 120_000_000, "site": "S01",
             "infusionDate": "2026-06-11"],
        ],
        "routes": [["from": "SSF", "to": "S01", "days": 2]],
    ] }

    /// Parses `valid` after `edit`, returning the error's description.
    func error(_ edit: (inout [String: Any]) -> Void) -> String? {
        var json = Self.valid
        edit(&json)
        let data = try! JSONSerialization.data(withJSONObject: json)
        do {
            _ = try AllocationInstanceParser.parse(data)
            return nil
        } catch {
            return error.description
        }
    }

    func editDemand(_ i: Int, _ key: String, _ value: Any?) -> (inout [String: Any]) -> Void {
        { json in
            var demands = json["demands"] as! [[String: Any]]
            demands[i][key] = value
            json["demands"] = demands
        }
    }

    func editLot(_ key: String, _ value: Any?) -> (inout [String: Any]) -> Void {
        { json in
            var lots = json["lots"] as! [[String: Any]]
            lots[0][key] = value
            json["lots"] = lots
        }
    }

    @Test("a valid instance parses with every field")
    func validInstance() throws {
        let data = try JSONSerialization.data(withJSONObject: Self.valid)
        let inst = try AllocationInstanceParser.parse(data)
        #expect(inst.policy.cohortLots == .hard)
        #expect(inst.policy.doseTolerancePct == 20)
        #expect(inst.lots[0].expiry == Day(iso: "2027-01-10"))
        #expect(inst.demands[1].kind == .slot)
        #expect(inst.demands[1].antiHla.isEmpty)
        #expect(inst.demands[0].antiHla == ["B*44"])
        #expect(inst.routes[0].days == 2)
    }

    @Test("non-positive and non-integer counts name their path")
    func counts() {
        #expect(error(editDemand(1, "targetCells", 0)) == "demands[1].targetCells: must be a positive integer")
        #expect(error(editDemand(0, "targetCells", -5)) == "demands[0].targetCells: must be a positive integer")
        #expect(error(editDemand(0, "targetCells", 1.5)) == "demands[0].targetCells: must be a positive integer")
        #expect(error(editDemand(0, "targetCells", "120")) == "demands[0].targetCells: must be a positive integer")
        #expect(error(editLot("cellsPerVial", 0)) == "lots[0].cellsPerVial: must be a positive integer")
        #expect(error(editLot("vialsAvailable", -1)) == "lots[0].vialsAvailable: must be a non-negative integer")
    }

    @Test("missing fields and wrong types name their path")
    func missingAndTypes() {
        #expect(error(editDemand(1, "site", nil)) == "demands[1].site: is required")
        #expect(error(editLot("depot", nil)) == "lots[0].depot: is required")
        #expect(error { $0["asOf"] = nil } == "asOf: is required")
        #expect(error { $0["lots"] = "none" } == "lots: must be an array, not a string")
        #expect(error(editLot("donorHla", "A*02:01")) == "lots[0].donorHla: must be an array, not a string")
        #expect(error(editDemand(0, "antiHla", [7])) == "demands[0].antiHla[0]: must be a string, not a number")
        #expect(error(editDemand(0, "kind", "cohort")) == "demands[0].kind: must be \"patient\" or \"slot\"")
    }

    @Test("bad dates, policies and formats name their path")
    func datesAndPolicy() {
        #expect(error(editLot("expiry", "2027-02-30")) == "lots[0].expiry: must be a calendar date YYYY-MM-DD, not \"2027-02-30\"")
        #expect(error(editDemand(0, "infusionDate", "10/06/2026"))?.hasPrefix("demands[0].infusionDate: must be a calendar date") == true)
        #expect(error { $0["policy"] = ["cohortLots": "strict"] } == "policy.cohortLots: must be one of soft, hard, off")
        #expect(error { $0["policy"] = ["doseTolerancePct": 150] }?.hasPrefix("policy.doseTolerancePct: must be an integer from 0 to 100") == true)
        #expect(error { $0["format"] = "cryoledger.allocation/v2" } == "format: must be \"cryoledger.allocation/v1\"")
        #expect(error { $0["routes"] = [["from": "SSF", "to": "S01"]] } == "routes[0].days: is required")
    }

    @Test("duplicate ids are refused")
    func duplicates() {
        #expect(error(editDemand(1, "id", "D-1")) == "demands[1].id: duplicate demand id D-1 (also demands[0].id)")
        #expect(error { json in
            var lots = json["lots"] as! [[String: Any]]
            lots.append(lots[0])
            json["lots"] = lots
        } == "lots[1].id: duplicate lot id L-1 (also lots[0].id)")
    }

    @Test("text that is not JSON, or not an object, is refused")
    func notJSON() {
        #expect(throws: InstanceError.self) { try AllocationInstanceParser.parse(Data("{".utf8)) }
        #expect(throws: InstanceError(path: "", message: "the instance must be a JSON object")) {
            try AllocationInstanceParser.parse(Data("[1]".utf8))
        }
    }
}

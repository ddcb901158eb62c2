import CryoDomain
import Testing

/// Evacuation.plan decided without a database.
@Suite("Evacuation plan")
struct EvacuationPlanTests {
    let source = StorageRef(level: .rack, id: "R-A"), target = StorageRef(level: .rack, id: "R-B")
    let sourceBoxes = [PlanningBox(id: "A1", rackLabel: "R", label: "1", rows: 2, columns: 2), PlanningBox(id: "A2", rackLabel: "R", label: "2", rows: 2, columns: 2)]
    let targetBoxes = [PlanningBox(id: "B1", rackLabel: "S", label: "1", rows: 2, columns: 2), PlanningBox(id: "B2", rackLabel: "S", label: "2", rows: 2, columns: 2)]
    func vial(_ id: String, _ box: String, _ r: Int, _ c: Int, lot: String = "L1", expires: String = "2027-01-01", stuck: String? = nil) -> PlanningVial {
        PlanningVial(id: id, lotNumber: lot, expiresOn: expires, position: Position(boxId: box, row: r, column: c), cannotMove: stuck)
    }

    @Test("same positions pair boxes by rank and keep row and column")
    func same() throws {
        let moves = try Evacuation.plan(source: source, target: target, mode: .samePositions, vials: [vial("V2", "A2", 2, 1), vial("V1", "A1", 1, 2)],
                                        sourceBoxes: sourceBoxes, targetBoxes: targetBoxes, occupied: [:])
        #expect(moves.map(\.vialId) == ["V1", "V2"])
        #expect(moves.map(\.to) == ["B1:A2", "B2:B1"])
    }

    @Test("the first conflict is named: a vial that may not move, then an occupied target position")
    func conflicts() {
        #expect(throws: DomainError.conflict(field: "source", rule: "vial V1 at A1:A2 may not move: vial V1 is checked out of storage")) {
            _ = try Evacuation.plan(source: source, target: target, mode: .samePositions,
                                    vials: [vial("V2", "A2", 1, 1, stuck: "x"), vial("V1", "A1", 1, 2, stuck: "vial V1 is checked out of storage")],
                                    sourceBoxes: sourceBoxes, targetBoxes: targetBoxes, occupied: [:])
        }
        #expect(throws: DomainError.conflict(field: "target", rule: "position B2:A1 already holds vial X; the target is not free")) {
            _ = try Evacuation.plan(source: source, target: target, mode: .samePositions, vials: [vial("V1", "A1", 1, 2), vial("V2", "A2", 1, 1)],
                                    sourceBoxes: sourceBoxes, targetBoxes: targetBoxes, occupied: [Position(boxId: "B2", row: 1, column: 1): "X"])
        }
        #expect(throws: DomainError.invalid(field: "target", rule: "same-positions needs a target of the same level as the source (a rack)")) {
            _ = try Evacuation.plan(source: source, target: StorageRef(level: .box, id: "B1"), mode: .samePositions, vials: [vial("V1", "A1", 1, 2)],
                                    sourceBoxes: sourceBoxes, targetBoxes: [targetBoxes[0]], occupied: [:])
        }
    }

    @Test("free positions: FEFO, lots together, row by row past occupied ones")
    func free() throws {
        let moves = try Evacuation.plan(source: source, target: target, mode: .freePositions,
                                        vials: [vial("L1", "A1", 1, 1, lot: "LATE", expires: "2027-06-01"), vial("S1", "A1", 1, 2, lot: "SOON", expires: "2027-01-01"),
                                                vial("L2", "A2", 1, 1, lot: "LATE", expires: "2027-06-01"), vial("S2", "A2", 1, 2, lot: "SOON", expires: "2027-01-01")],
                                        sourceBoxes: sourceBoxes, targetBoxes: targetBoxes, occupied: [Position(boxId: "B1", row: 1, column: 2): "X"])
        #expect(moves.map(\.vialId) == ["S1", "S2", "L1", "L2"])
        #expect(moves.map(\.to) == ["B1:A1", "B1:B1", "B1:B2", "B2:A1"])
    }
}
